"""GET /s/<survey-id>[?code=CODE]: the web answer page reached from a mailed letter.

Plain HTML forms, POST-redirect-GET, no JavaScript and no third-party assets, so it works
in any phone browser and inside LINE's in-app browser (LIFF). The code a person typed
lives in their signed session cookie; progress is a draft under the code's hash; nothing
that identifies the person, the code, the session or the address is stored with a response.
Every POST carries a CSRF token; code attempts and requests are limited per client address;
bodies over WEB_SURVEY_MAX_BODY bytes are refused (413). Answers are never logged.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import deque

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from bot.state import AppState
from db import surveys as db_surveys
from db.session import transaction
from db.surveys import Survey
from handlers import invitations, survey_rules, web_answers
from handlers.town import Town, load_town
from messages.catalog import t
from messages.survey import local, when

bp = Blueprint(
    "web_survey",
    __name__,
    url_prefix="/s",
    template_folder="web_survey_templates",
    static_folder="web_survey_static",
    static_url_path="/_static",
)

DEFAULTS = {
    "WEB_SURVEY_CODE_ATTEMPTS": 10,  # code checks per client address per minute
    "WEB_SURVEY_REQUESTS": 240,  # pages and posts per client address per minute
    "WEB_SURVEY_MAX_BODY": 32 * 1024,  # bytes; a 2,000-character answer needs ~18 KB
}
WINDOW = 60.0
HELD = "ws"  # session key: {"survey": id, "code": normalised code}
CSRF = "ws_csrf"
LANG = "ws_lang"
NOTE = "ws_note"
LANGS = ("ja", "en")


def _state() -> AppState:
    return current_app.extensions["machikoe"]


def _conf(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


# --- rate limit (in this process) -------------------------------------------------------------


class Limiter:
    """At most `limit` hits per `window` seconds per (bucket, key); held in memory only."""

    MAX_KEYS = 50_000

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, limit: int, now: float, window: float = WINDOW) -> bool:
        """Count one hit; False (not counted) when the limit is reached."""
        with self._lock:
            if len(self._hits) > self.MAX_KEYS:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
            times = self._hits.setdefault((bucket, key), deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return False
            times.append(now)
            return True


def client_address() -> str:
    """Who is asking, for the limiter only (never stored or logged).

    Behind a reverse proxy on this host or a private network (gunicorn behind nginx), the
    address the proxy appended last to X-Forwarded-For; from anywhere else the header is
    ignored, so a client cannot pick its own address.
    """
    peer = request.remote_addr or "-"
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        behind_proxy = ipaddress.ip_address(peer).is_private
    except ValueError:
        behind_proxy = False
    last = forwarded.split(",")[-1].strip()[:64]
    return last if behind_proxy and last else peer


def _limited(bucket: str, setting: str) -> bool:
    limiter = current_app.extensions.setdefault("web_survey_limiter", Limiter())
    now = _state().now().timestamp()
    return not limiter.hit(bucket, client_address(), _conf(setting), now)


# --- every request ------------------------------------------------------------------------------


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        session[LANG] = asked
        return asked
    if session.get(LANG) in LANGS:
        return session[LANG]
    return request.accept_languages.best_match(LANGS, default="ja")


def csrf_token() -> str:
    """This browser's token for the answer forms (created on first use)."""
    token = session.get(CSRF)
    if not token:
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    expected = session.get(CSRF) or ""
    given = request.form.get("csrf_token") or ""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


@bp.before_request
def _guard():
    """Size, language, rate and CSRF checks, before any form is read."""
    if request.endpoint == "web_survey.static":
        return None
    limit = _conf("WEB_SURVEY_MAX_BODY")
    request.max_content_length = limit  # also stops a chunked body without a length
    if (request.content_length or 0) > limit:
        abort(413)
    g.lang = _lang()
    if _limited("request", "WEB_SURVEY_REQUESTS"):
        abort(429)
    if request.method == "POST" and not _csrf_ok():
        abort(400)
    return None


@bp.after_request
def _headers(response):
    """No caching, no scripts, no third-party anything; framing is left to LINE's browser."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint != "web_survey.static":
        response.headers["Cache-Control"] = "no-store"
    return response


ERRORS = {
    400: ("web.bad_request_heading", "web.bad_request"),
    404: ("web.not_found_heading", "web.not_found"),
    413: ("web.too_large_heading", "web.too_large"),
    429: ("web.limit_heading", "web.limit"),
}


def _error(exc):
    code = getattr(exc, "code", 500) or 500
    if "lang" not in g:
        g.lang = "ja"
    heading, body = ERRORS[code]
    return _message(None, heading, [t(g.lang, body)], status=code)


for _code in ERRORS:
    bp.register_error_handler(_code, _error)


# --- showing ------------------------------------------------------------------------------------


def tr(key: str, **values) -> str:
    """Catalog text in this page's language."""
    return t(g.lang, key, **values)


def _town() -> Town:
    if "ws_town" not in g:
        with _state().sessions() as s:
            g.ws_town = load_town(s)
    return g.ws_town


def _render(template: str, survey: Survey | None, status: int = 200, **ctx):
    town = _town()
    other = "en" if g.lang == "ja" else "ja"
    args = {**request.view_args} if request.view_args else {}
    switch = None
    if request.endpoint and request.method == "GET" and request.endpoint != "web_survey.start":
        switch = url_for(request.endpoint, **args, lang=other)
    elif survey is not None:
        switch = url_for("web_survey.start", survey_id=survey.id, lang=other)
    html = render_template(
        f"web_survey/{template}",
        lang=g.lang,
        tr=tr,
        survey=survey,
        title=local(survey.definition["title"], g.lang) if survey else "",
        town=town,
        switch=switch,
        switch_lang=other,
        csrf_token=csrf_token,
        **ctx,
    )
    return html, status


def _message(survey: Survey | None, heading: str, lines: list[str], status: int = 200, **ctx):
    return _render("message.html", survey, status, heading=tr(heading), lines=lines, **ctx)


def _when(moment) -> str:
    return when(moment, g.lang, _state().settings.town_tz)


def _not_open_page(survey: Survey):
    """The polite page for a survey outside its dates (with the dates in JST)."""
    reason = web_answers.opening(survey, _state().now())
    if reason is None:
        return None
    title = local(survey.definition["title"], g.lang)
    opens, closes = _when(survey.opens_at), _when(survey.closes_at)
    if reason == "not_open":
        lines = [tr("web.not_open", title=title, opens=opens)]
    else:
        lines = [tr("web.closed", title=title, closes=closes)]
    lines.append(tr("web.dates", opens=opens, closes=closes))
    return _message(survey, "web.notice", lines)


def _survey(survey_id: str) -> Survey:
    with _state().sessions() as s:
        survey = db_surveys.get_survey(s, survey_id) if len(survey_id) <= 64 else None
        if survey is None:
            abort(404)
        return survey


def _code_page(survey: Survey, error: str | None = None, typed: str = "", status: int = 200):
    return _render(
        "code.html",
        survey,
        status,
        error=tr(f"web.code.{error}") if error else None,
        typed=typed,
        dates=tr("web.dates", opens=_when(survey.opens_at), closes=_when(survey.closes_at)),
    )


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
    closed = _not_open_page(survey)
    if closed:
        return closed
    typed = request.args.get("code")
    if typed is not None:
        return _try_code(survey, typed)
    if _held(survey):
        return redirect(url_for(".question", survey_id=survey.id), 303)
    return _code_page(survey)


@bp.post("/<survey_id>")
def enter_code(survey_id: str):
    """The code form was sent."""
    survey = _survey(survey_id)
    closed = _not_open_page(survey)
    if closed:
        return closed
    return _try_code(survey, request.form.get("code", ""))


def _try_code(survey: Survey, typed: str):
    if _limited("code", "WEB_SURVEY_CODE_ATTEMPTS"):
        abort(429)
    typed = typed[:40]
    with _state().sessions() as s:
        status = invitations.status(s, survey.id, typed)
        code = invitations.normalize(typed)
        resumed = status == "ok" and web_answers.load(s, survey, code)[1]
    if status != "ok":
        return _code_page(survey, status, typed, 422)
    session[HELD] = {"survey": survey.id, "code": code}
    if resumed:
        session[NOTE] = "resumed"
    return redirect(url_for(".question", survey_id=survey.id), 303)


# --- the questions -------------------------------------------------------------------------------


def _answering(survey_id: str):
    """((survey, code, draft data), None), or (None, a response to return instead)."""
    survey = _survey(survey_id)
    closed = _not_open_page(survey)
    if closed:
        return None, closed
    code = _held(survey)
    if not code:
        return None, redirect(url_for(".start", survey_id=survey.id), 303)
    with _state().sessions() as s:
        status = invitations.status(s, survey.id, code)
        data, existed = web_answers.load(s, survey, code)
    if status == "used":
        _forget()
        if existed:
            with transaction(_state().sessions) as s:
                web_answers.forget(s, code)
        return None, _message(survey, "web.notice", [tr("web.code.used")], 409)
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
    return _screen(survey, data, web_answers.current(survey, data), note=note)


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
    result = web_answers.step(survey, _town(), data, screen, action, raw)
    if result.error in ("stale", "bad_action"):
        shown = web_answers.current(survey, data)
        return _screen(survey, data, shown, error=result.error, status=409)
    if result.error:
        return _screen(
            survey, data, screen, error=result.error, detail=result.detail, given=raw, status=422
        )
    with transaction(_state().sessions) as s:
        web_answers.save(s, survey, code, result.data, _state().now())
    return redirect(url_for(".question", survey_id=survey.id), 303)


@bp.post("/<survey_id>/submit")
def submit(survey_id: str):
    """Send: the code used, the response written and the draft gone, in one transaction."""
    got, stop = _answering(survey_id)
    if stop is not None:
        return stop
    survey, code, _data = got
    st = _state()
    with transaction(st.sessions) as s:
        fresh = db_surveys.get_survey(s, survey.id)
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
        return _message(survey, "web.notice", [tr("web.code.used")], 409)
    if outcome == "closed":
        return _not_open_page(survey) or redirect(url_for(".question", survey_id=survey.id), 303)
    if outcome == "incomplete":
        session[NOTE] = "incomplete"
    return redirect(url_for(".question", survey_id=survey.id), 303)


@bp.get("/<survey_id>/thanks")
def thanks(survey_id: str):
    """The thank-you page (it shows nothing of the answers)."""
    survey = _survey(survey_id)
    return _message(survey, "web.thanks_heading", [tr("web.thanks")])


# --- one screen -------------------------------------------------------------------------------


def _option_label(q: dict, value) -> str:
    if q["type"] in ("single", "multi"):
        choice = next((c for c in q["choices"] if c["value"] == value), None)
        return local(choice["label"], g.lang) if choice else str(value)
    if q["type"] == "scale":
        label = (q.get("labels") or {}).get(str(value))
        return f"{value}（{local(label, g.lang)}）" if label else str(value)
    return str(value)


def _profile_label(screen: str, value: str) -> str:
    if screen == "p:residency":
        return tr(f"residency.{value}")
    return _town().label("age_band", value, g.lang)  # the English label in English


def _error_text(error: str | None, detail: dict | None) -> str | None:
    if not error:
        return None
    return tr(f"web.error.{error}", **(detail or {}))


def _screen(
    survey: Survey,
    data: dict,
    screen: str,
    *,
    error: str | None = None,
    detail: dict | None = None,
    given: list[str] | None = None,
    note: str | None = None,
    status: int = 200,
):
    town = _town()
    notes = [tr("web.resumed")] if note == "resumed" else []
    if note == "incomplete":
        notes.append(tr("web.incomplete"))
    error_text = _error_text(error, detail)
    if screen == web_answers.INELIGIBLE:
        return _ineligible(survey, data, status)
    if screen == web_answers.CONFIRM:
        return _render(
            "confirm.html", survey, status, rows=_rows(survey, data), notes=notes, error=error_text
        )
    n, total = web_answers.progress(survey, data, screen)
    view = {"screen": screen, "n": n, "total": total, "first": n == 1}
    if screen.startswith("p:"):
        field = screen[2:]
        chosen = given if given is not None else [data["profile"].get(field)]
        view.update(
            kind="single",
            text=tr("web.ask_age")
            if field == "age_band"
            else tr("web.ask_residency", town=town.name),
            hint=tr("web.hint_single"),
            required=True,
            options=[
                (v, _profile_label(screen, v)) for v in web_answers.profile_options(town, screen)
            ],
            chosen={str(v) for v in chosen if v},
            profile_note=tr("web.profile_note"),
        )
    else:
        q = web_answers.question_of(survey, screen)
        saved = data["answers"].get(q["id"]) or []
        chosen = given if given is not None else saved
        view.update(kind=q["type"], text=local(q["text"], g.lang), required=q["required"])
        if q["type"] in ("single", "multi"):
            view["options"] = [(c["value"], local(c["label"], g.lang)) for c in q["choices"]]
            view["hint"] = (
                tr("web.hint_single")
                if q["type"] == "single"
                else tr("web.hint_multi", max=q["max_choices"])
            )
        elif q["type"] == "scale":
            labels = q.get("labels") or {}
            view["options"] = [
                (str(v), str(v), local(labels[str(v)], g.lang) if str(v) in labels else "")
                for v in range(q["min"], q["max"] + 1)
            ]
            view["hint"] = tr("web.hint_scale", min=q["min"], max=q["max"])
            view["ends"] = [f"{v} = {end}" for v, _, end in view["options"] if end]
        else:
            view["max_length"] = q["max_length"]
            view["hint"] = tr("web.hint_text", max=q["max_length"])
            view["text_value"] = chosen[0] if chosen else ""
        view["chosen"] = {str(v) for v in chosen}
    return _render("question.html", survey, status, q=view, notes=notes, error=error_text)


def _rows(survey: Survey, data: dict) -> list[dict]:
    rows = []
    for screen in web_answers.screens(survey, data):
        if screen.startswith("p:"):
            field = screen[2:]
            value = data["profile"].get(field)
            question = (
                tr("web.ask_age")
                if field == "age_band"
                else tr("web.ask_residency", town=_town().name)
            )
            shown = [_profile_label(screen, value)] if value else []
        else:
            q = web_answers.question_of(survey, screen)
            question = local(q["text"], g.lang)
            shown = [_option_label(q, v) for v in data["answers"].get(q["id"]) or []]
        rows.append({"screen": screen, "question": question, "answers": shown})
    return rows


def _ineligible(survey: Survey, data: dict, status: int):
    title = local(survey.definition["title"], g.lang)
    reason = survey_rules.ineligible_reason(survey.definition, data.get("profile") or {})
    rule = survey.definition.get("eligibility") or {}
    if reason == "age":
        line = tr("survey.ineligible_age", title=title, min_age=rule["min_age"])
    else:
        who = tr("survey.or").join(tr(f"survey.who.{r}") for r in rule.get("residency") or [])
        line = tr("survey.ineligible_residency", title=title, who=who)
    return _render(
        "message.html",
        survey,
        status,
        heading=tr("web.ineligible_heading"),
        lines=[line, tr("web.code_kept")],
        back_from=web_answers.INELIGIBLE,
    )
