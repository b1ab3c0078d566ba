"""GET /s/<survey-id>[?code=CODE]: the web answer page reached from a mailed letter.

Plain HTML forms, POST-redirect-GET, no JavaScript and no third-party assets, so it works
in any phone browser and inside LINE's in-app browser (LIFF). The code a person typed
lives in their signed session cookie; progress is a draft under the code's hash; nothing
that identifies the person, the code, the session or the address is stored with a response.
Every POST carries a CSRF token; code attempts and requests are limited per client address;
bodies over WEB_SURVEY_MAX_BODY bytes are refused (413). Answers are never logged.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, request, session, url_for

from bot import web_survey_guard as guard
from bot import web_survey_pages as pages
from bot.web_survey_guard import client_address, csrf_token, state
from db import surveys as db_surveys
from db.session import transaction
from db.surveys import Survey
from handlers import invitations, web_answers

__all__ = ["bp", "client_address", "csrf_token"]

bp = Blueprint(
    "web_survey",
    __name__,
    url_prefix="/s",
    template_folder="web_survey_templates",
    static_folder="web_survey_static",
    static_url_path="/_static",
)
HELD = "ws"  # session key: {"survey": id, "code": normalised code}
NOTE = "ws_note"
bp.before_request(guard.check)
bp.after_request(guard.headers)
for _code in pages.ERRORS:
    bp.register_error_handler(_code, pages.error_page)


def _survey(survey_id: str) -> Survey:
    with state().sessions() as s:
        survey = db_surveys.get_survey(s, survey_id) if len(survey_id) <= 64 else None
        if survey is None:
            abort(404)
        return survey


def _held(survey: Survey) -> str | None:
    held = session.get(HELD) or {}
    return held.get("code") if held.get("survey") == survey.id else None


def _forget() -> None:
    session.pop(HELD, None)


# --- the code -------------------------------------------------------------------------------------


@bp.get("/<survey_id>")
def start(survey_id: str):
    """The start: the code form, or straight on with `?code=` or a code already entered."""
    survey = _survey(survey_id)
    closed = pages.not_open_page(survey)
    if closed:
        return closed
    typed = request.args.get("code")
    if typed is not None:
        return _try_code(survey, typed)
    if _held(survey):
        return redirect(url_for(".question", survey_id=survey.id), 303)
    return pages.code_page(survey)


@bp.post("/<survey_id>")
def enter_code(survey_id: str):
    """The code form was sent."""
    survey = _survey(survey_id)
    closed = pages.not_open_page(survey)
    if closed:
        return closed
    return _try_code(survey, request.form.get("code", ""))


def _try_code(survey: Survey, typed: str):
    if guard.limited("code", "WEB_SURVEY_CODE_ATTEMPTS"):
        abort(429)
    typed = typed[:40]
    with state().sessions() as s:
        status = invitations.status(s, survey.id, typed)
        code = invitations.normalize(typed)
        # `ok` means the code is well formed, so normalize gave it
        resumed = status == "ok" and code is not None and web_answers.load(s, survey, code)[1]
    if status != "ok":
        return pages.code_page(survey, status, typed, 422)
    session[HELD] = {"survey": survey.id, "code": code}
    if resumed:
        session[NOTE] = "resumed"
    return redirect(url_for(".question", survey_id=survey.id), 303)


# --- the questions -------------------------------------------------------------------------------


def _answering(survey_id: str):
    """((survey, code, draft data), None), or (None, a response to return instead)."""
    survey = _survey(survey_id)
    closed = pages.not_open_page(survey)
    if closed:
        return None, closed
    code = _held(survey)
    if not code:
        return None, redirect(url_for(".start", survey_id=survey.id), 303)
    with state().sessions() as s:
        status = invitations.status(s, survey.id, code)
        data, existed = web_answers.load(s, survey, code)
    if status == "used":
        _forget()
        if existed:
            with transaction(state().sessions) as s:
                web_answers.forget(s, code)
        return None, pages.message(survey, "web.notice", [pages.tr("web.code.used")], 409)
    if status != "ok":
        _forget()
        return None, redirect(url_for(".start", survey_id=survey.id), 303)
    return (survey, code, data), None


@bp.get("/<survey_id>/q")
def question(survey_id: str):
    """The current screen: a question, the eligibility refusal, or the confirmation."""
    got, stop = _answering(survey_id)
    if stop is not None:
        return stop
    survey, _code, data = got
    note = session.pop(NOTE, None)
    return pages.show_screen(survey, data, web_answers.current(survey, data), note=note)


@bp.post("/<survey_id>/q")
def answer(survey_id: str):
    """An answer, a skip, a step back, or a jump back from the confirmation."""
    got, stop = _answering(survey_id)
    if stop is not None:
        return stop
    survey, code, data = got
    screen = request.form.get("screen", "")[:80]
    action = request.form.get("action", "next")[:16]
    raw = request.form.getlist("a")
    result = web_answers.step(survey, pages.the_town(), data, screen, action, raw)
    if result.error in ("stale", "bad_action"):
        shown = web_answers.current(survey, data)
        return pages.show_screen(survey, data, shown, error=result.error, status=409)
    if result.error:
        return pages.show_screen(
            survey, data, screen, error=result.error, detail=result.detail, given=raw, status=422
        )
    with transaction(state().sessions) as s:
        web_answers.save(s, survey, code, result.data, state().now())
    return redirect(url_for(".question", survey_id=survey.id), 303)


@bp.post("/<survey_id>/submit")
def submit(survey_id: str):
    """Send: the code used, the response written and the draft gone, in one transaction."""
    got, stop = _answering(survey_id)
    if stop is not None:
        return stop
    survey, code, _data = got
    st = state()
    with transaction(st.sessions) as s:
        fresh = db_surveys.get_survey(s, survey.id)
        assert fresh is not None  # _answering has just found it
        data, _ = web_answers.load(s, fresh, code)
        outcome = web_answers.submit(s, fresh, code, data, st.now(), st.settings.town_tz)
        if outcome == "incomplete":
            data["at"] = web_answers.first_missing(fresh, data)
            web_answers.save(s, fresh, code, data, st.now())
    if outcome == "ok":
        _forget()
        return redirect(url_for(".thanks", survey_id=survey.id), 303)
    if outcome == "used":
        _forget()
        return pages.message(survey, "web.notice", [pages.tr("web.code.used")], 409)
    if outcome == "closed":
        return pages.not_open_page(survey) or redirect(
            url_for(".question", survey_id=survey.id), 303
        )
    if outcome == "incomplete":
        session[NOTE] = "incomplete"
    return redirect(url_for(".question", survey_id=survey.id), 303)


@bp.get("/<survey_id>/thanks")
def thanks(survey_id: str):
    """The thank-you page (it shows nothing of the answers)."""
    survey = _survey(survey_id)
    return pages.message(survey, "web.thanks_heading", [pages.tr("web.thanks")])


# --- one screen -------------------------------------------------------------------------------
