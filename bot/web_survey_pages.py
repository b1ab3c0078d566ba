"""The web answer page's screens: rendering a question, the confirmation, notices (no routes).

Used by the routes in bot/web_survey.py; every word comes from messages/catalog/web.py in
the page's language (`g.lang`, set by bot/web_survey_guard.py).
"""

from __future__ import annotations

from typing import Any

from flask import g, render_template, request, url_for

from bot.web_survey_guard import csrf_token, state
from db.surveys import Survey
from handlers import survey_rules, web_answers
from handlers.town import Town, load_town
from messages.catalog import t
from messages.survey import local, when

ERRORS = {
    400: ("web.bad_request_heading", "web.bad_request"),
    404: ("web.not_found_heading", "web.not_found"),
    413: ("web.too_large_heading", "web.too_large"),
    429: ("web.limit_heading", "web.limit"),
}


def error_page(exc):
    """The page for an HTTP error (400, 404, 413, 429) in the page's language."""
    code = getattr(exc, "code", 500) or 500
    if "lang" not in g:
        g.lang = "ja"
    heading, body = ERRORS[code]
    return message(None, heading, [t(g.lang, body)], status=code)


def tr(key: str, **values) -> str:
    """Catalog text in this page's language."""
    return t(g.lang, key, **values)


def the_town() -> Town:
    """The town (loaded once per request)."""
    if "ws_town" not in g:
        with state().sessions() as s:
            g.ws_town = load_town(s)
    return g.ws_town


def render(template: str, survey: Survey | None, status: int = 200, **ctx):
    """A page of the web survey, with the language switch and the CSRF token."""
    town = the_town()
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


def message(survey: Survey | None, heading: str, lines: list[str], status: int = 200, **ctx):
    """A notice page: a heading (catalog key) and lines."""
    return render("message.html", survey, status, heading=tr(heading), lines=lines, **ctx)


def when_shown(moment) -> str:
    """A time as the page shows it, in the town's zone."""
    return when(moment, g.lang, state().settings.town_tz)


def not_open_page(survey: Survey):
    """The polite page for a survey outside its dates (with the dates in JST)."""
    reason = web_answers.opening(survey, state().now())
    if reason is None:
        return None
    title = local(survey.definition["title"], g.lang)
    opens, closes = when_shown(survey.opens_at), when_shown(survey.closes_at)
    if reason == "not_open":
        lines = [tr("web.not_open", title=title, opens=opens)]
    else:
        lines = [tr("web.closed", title=title, closes=closes)]
    lines.append(tr("web.dates", opens=opens, closes=closes))
    return message(survey, "web.notice", lines)


def code_page(survey: Survey, error: str | None = None, typed: str = "", status: int = 200):
    """The form for the answer code (with the problem, if any)."""
    return render(
        "code.html",
        survey,
        status,
        error=tr(f"web.code.{error}") if error else None,
        typed=typed,
        dates=tr(
            "web.dates", opens=when_shown(survey.opens_at), closes=when_shown(survey.closes_at)
        ),
    )


def option_label(q: dict, value) -> str:
    """An answer as the confirmation shows it."""
    if q["type"] in ("single", "multi"):
        choice = next((c for c in q["choices"] if c["value"] == value), None)
        return local(choice["label"], g.lang) if choice else str(value)
    if q["type"] == "scale":
        label = (q.get("labels") or {}).get(str(value))
        return (
            tr("web.scale_option", value=value, label=local(label, g.lang)) if label else str(value)
        )
    return str(value)


def profile_label(screen: str, value: str) -> str:
    """A profile answer (age band, residency) in the page's language."""
    if screen == "p:residency":
        return tr(f"residency.{value}")
    return the_town().label("age_band", value, g.lang)  # the English label in English


def error_sentence(error: str | None, detail: dict | None) -> str | None:
    """The sentence for an answer's problem."""
    if not error:
        return None
    return tr(f"web.error.{error}", **(detail or {}))


def show_screen(
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
    """One screen: a question (or a profile question), the confirmation or the refusal."""
    town = the_town()
    notes = [tr("web.resumed")] if note == "resumed" else []
    if note == "incomplete":
        notes.append(tr("web.incomplete"))
    error_text = error_sentence(error, detail)
    if screen == web_answers.INELIGIBLE:
        return ineligible(survey, data, status)
    if screen == web_answers.CONFIRM:
        return render(
            "confirm.html",
            survey,
            status,
            rows=confirm_rows(survey, data),
            notes=notes,
            error=error_text,
        )
    n, total = web_answers.progress(survey, data, screen)
    view: dict[str, Any] = {"screen": screen, "n": n, "total": total, "first": n == 1}
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
                (v, profile_label(screen, v)) for v in web_answers.profile_options(town, screen)
            ],
            chosen={str(v) for v in chosen if v},
            profile_note=tr("web.profile_note"),
        )
    else:
        q = web_answers.question_of(survey, screen)
        assert q is not None  # every screen past the profile is one of its questions
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
    return render("question.html", survey, status, q=view, notes=notes, error=error_text)


def confirm_rows(survey: Survey, data: dict) -> list[dict]:
    """The confirmation's rows: each question and its answers."""
    rows = []
    for screen in web_answers.screens(survey, data):
        if screen.startswith("p:"):
            field = screen[2:]
            value = data["profile"].get(field)
            question = (
                tr("web.ask_age")
                if field == "age_band"
                else tr("web.ask_residency", town=the_town().name)
            )
            shown = [profile_label(screen, value)] if value else []
        else:
            q = web_answers.question_of(survey, screen)
            assert q is not None  # every screen past the profile is one of its questions
            question = local(q["text"], g.lang)
            shown = [option_label(q, v) for v in data["answers"].get(q["id"]) or []]
        rows.append({"screen": screen, "question": question, "answers": shown})
    return rows


def ineligible(survey: Survey, data: dict, status: int):
    """The page for someone the survey is not for (the code is kept)."""
    title = local(survey.definition["title"], g.lang)
    reason = survey_rules.ineligible_reason(survey.definition, data.get("profile") or {})
    rule = survey.definition.get("eligibility") or {}
    if reason == "age":
        line = tr("survey.ineligible_age", title=title, min_age=rule["min_age"])
    else:
        who = tr("survey.or").join(tr(f"survey.who.{r}") for r in rule.get("residency") or [])
        line = tr("survey.ineligible_residency", title=title, who=who)
    return render(
        "message.html",
        survey,
        status,
        heading=tr("web.ineligible_heading"),
        lines=[line, tr("web.code_kept")],
        back_from=web_answers.INELIGIBLE,
    )
