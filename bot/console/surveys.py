"""Surveys: list, upload (YAML), open and close, preview, results with charts, exports.

Everything calls the surveys area's own functions (handlers/survey_results.py,
handlers/survey_export.py, handlers/charts.py) and the content pipeline; nothing here
re-counts answers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)

from bot.console import uploads
from bot.console.base import MIME, actor, bp, db, me, now, state, write
from db import surveys as store
from handlers import population, privacy, translations
from handlers import staff as staff_accounts
from handlers.content import Document
from handlers.survey_cells import ALSO_HIDDEN, is_hidden
from handlers.survey_export import FORMATS, ExportError
from handlers.survey_export import export as export_survey
from handlers.survey_results import (
    ALL_DIMENSIONS,
    CHANNEL_NAMES,
    CHANNELS,
    list_surveys,
    responses_between,
    survey_results,
)
from handlers.town import load_town
from messages.postback import ascii_int
from messages.survey_staff import DIM_TITLES, TYPE_NAMES, word
from messages.survey_staff import RESIDENCY_NAMES as RESIDENCY

ANSWERS_PER_PAGE = 100


def status_of(row: Mapping[str, Any], moment: datetime) -> str:
    """open / upcoming / closed."""
    if row["opens_at"] <= moment < row["closes_at"]:
        return "open"
    return "upcoming" if moment < row["opens_at"] else "closed"


def summary(session) -> list[dict] | None:
    """Open surveys with responses and completion rate, for the dashboard."""
    moment = now()
    out = []
    for row in list_surveys(session):
        if status_of(row, moment) != "open":
            continue
        tz = state().settings.town_tz
        totals = responses_between(session, row["id"], moment - timedelta(days=7), moment, tz)
        out.append(
            {
                "title": row["title"],
                "closes_at": row["closes_at"],
                "responses": row["responses"],
                "week": totals["finished"],
                "completion_rate": totals["completion_rate"],
                "url": url_for("console.survey", survey_id=row["id"]),
            }
        )
    return out


def _list_page(problems: list[str] | None = None, status: int = 200):
    moment = now()
    rows = [{**row, "status": status_of(row, moment)} for row in list_surveys(db())]
    return (
        render_template(
            "console/surveys.html",
            rows=rows,
            problems=problems or [],
            simulator=state().settings.simulator_enabled,
        ),
        status,
    )


@bp.get("/surveys")
def surveys():
    """Every survey with its period and responses; the upload form."""
    return _list_page()


@bp.post("/surveys/upload")
def survey_upload():
    """Upload a survey YAML file: applied when valid, otherwise every problem is listed."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _list_page([word("upload.no_file")], 400)
    result = uploads.apply_upload(
        file.read(uploads.MAX_UPLOAD + 1), file.filename, "survey", actor()
    )
    if not result.ok:
        return _list_page(result.problems, 400)
    verb = word("upload.created") if result.counts.get("created") else word("upload.updated")
    if result.counts.get("unchanged"):
        verb = word("upload.unchanged")
    flash(word("upload.done", key=result.key, verb=verb), "ok")
    return redirect(url_for("console.survey", survey_id=result.key))


def _local_input(value: datetime) -> str:
    return value.astimezone(state().settings.tz).strftime("%Y-%m-%dT%H:%M")


def _channel() -> str | None:
    """The `?channel=` filter (line / web / paper); anything else is a 404."""
    channel = request.args.get("channel") or None
    if channel is not None and channel not in CHANNELS:
        abort(404)
    return channel


@bp.get("/surveys/<survey_id>")
def survey(survey_id: str):
    """Results: counts and charts, cross-tabs (small cells suppressed), free text and words.

    `?channel=line|web|paper` restricts every count to one answer channel.
    """
    session = db()
    found = store.get_survey(session, survey_id)
    if found is None:
        abort(404)
    channel = _channel()
    res = survey_results(session, survey_id, by=ALL_DIMENSIONS, channel=channel, words="stored")
    coverage = _coverage(session, survey_id, channel)
    for n, q in enumerate(res["questions"], 1):
        q["n"] = n
    moment = now()
    for q in res["questions"]:  # a channel's texts: none while any channel's are hidden
        q["texts_hidden"] = (
            res["suppressed"] or is_hidden(q["answered"]) or bool(q.get("texts_hidden"))
        )
    texts = {
        q["id"]: [] if q["texts_hidden"] else _answers(session, survey_id, q["id"], 0, 20, channel)
        for q in res["questions"]
        if q["type"] == "text"
    }
    return render_template(
        "console/survey.html",
        res=res,
        sv=res["survey"],
        status=status_of(res["survey"], moment),
        week=responses_between(
            session, survey_id, moment - timedelta(days=7), moment, state().settings.town_tz
        ),
        texts=texts,
        dims=DIM_TITLES,
        residency=RESIDENCY,
        type_names=TYPE_NAMES,
        opens_input=_local_input(res["survey"]["opens_at"]),
        closes_input=_local_input(res["survey"]["closes_at"]),
        simulator=state().settings.simulator_enabled,
        formats=FORMATS,
        coverage=coverage,
        channel=channel,
        channel_names=CHANNEL_NAMES,
        all_channels=privacy.hide_small(
            store.channel_counts(session, survey_id) if channel else res["channels"],
            res["survey"]["anonymous"],
        ),
        all_responses=res["responses"] if not channel else store.response_count(session, survey_id),
        pending=store.stored_answers(session, survey_id) - store.response_count(session, survey_id),
        may_download_rows=privacy.may_download_rows(
            (staff.role if (staff := me()) else None), res["survey"]["anonymous"]
        ),
        translation_warnings=translations.warnings(session, {"kind": "survey", **found.definition}),
    )


def _coverage(session, survey_id: str, channel: str | None = None):
    """Respondents against the population per age band and district, split by channel (None
    without a population file); `channel` counts only that channel's respondents."""
    pop = population.load(session)
    if pop is None:
        return None
    town = load_town(session)
    survey = store.get_survey(session, survey_id)
    assert survey is not None  # the results page has found it
    min_age = (survey.definition.get("eligibility") or {}).get("min_age")
    cov = population.survey_coverage(
        pop,
        store.respondent_groups_by_channel(session, survey_id),
        town,
        survey_id,
        skip_bands=population.bands_below(town.age_bands, min_age),
        channel=channel,
    )
    return privacy.coverage_view(cov, survey.anonymous)  # small counts hidden (anonymous)


def _answers(
    session, survey_id: str, question_id: str, offset: int, limit: int, channel=None
) -> list[str]:
    out = []
    for i, text in enumerate(store.text_answers(session, survey_id, question_id, channel)):
        if i >= offset + limit:
            break
        if i >= offset:
            out.append(text)
    return out


@bp.get("/surveys/<survey_id>/answers/<question_id>")
def survey_answers(survey_id: str, question_id: str):
    """Every free-text answer to one question, a page at a time (always escaped)."""
    session = db()
    sv = store.get_survey(session, survey_id)
    question = sv.question(question_id) if sv else None
    if question is None or question["type"] != "text":
        abort(404)
    page = max(1, ascii_int(request.args.get("page", "1"), digits=6) or 1)  # ASCII digits only
    offset = (page - 1) * ANSWERS_PER_PAGE
    answers = _answers(session, survey_id, question_id, offset, ANSWERS_PER_PAGE + 1)
    return render_template(
        "console/survey_answers.html",
        sv=sv,
        question=question,
        answers=answers[:ANSWERS_PER_PAGE],
        more=len(answers) > ANSWERS_PER_PAGE,
        page=page,
        first=offset + 1,
    )


def _chart_mark(count) -> str:
    """A hidden bar's note: under 5, or hidden so that another cannot be worked out (※)."""
    if not is_hidden(count):
        return ""
    return word("chart.also_hidden" if count == ALSO_HIDDEN else "chart.hidden")


@bp.get("/surveys/<survey_id>/chart/<question_id>.png")
def survey_chart(survey_id: str, question_id: str):
    """A bar chart (PNG) of one choice or scale question's shares (`?channel=` as the page)."""
    session = db()
    if store.get_survey(session, survey_id) is None:
        abort(404)
    res = survey_results(session, survey_id, top_words=0, by=(), channel=_channel())
    q = next((q for q in res["questions"] if q["id"] == question_id), None)
    if q is None or "choices" not in q:
        abort(404)
    # a suppressed count (anonymous, filtered to a small channel) is named, not drawn as 0
    labels = [c["label"] + _chart_mark(c["count"]) for c in q["choices"]]
    values = [(c["share"] or 0) / 100 for c in q["choices"]]
    from handlers import charts  # matplotlib: loaded on the first chart, not in every worker

    try:
        data = charts.hbar(q["text"], labels, values, note=word("chart.answered", n=q["answered"]))
    except charts.MissingGlyph:
        data = charts.hbar(question_id, [c["value"] for c in q["choices"]], values)
    response = Response(data, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response


@bp.get("/surveys/<survey_id>/export.<fmt>")
def survey_export(survey_id: str, fmt: str):
    """One row per response, CSV (UTF-8 with BOM) or xlsx; formulas neutralised; audited.

    `?channel=line|web|paper` exports only that channel's responses.
    """
    if fmt not in FORMATS:
        abort(404)
    return _download(survey_id, fmt, with_rows=True)


@bp.get("/surveys/<survey_id>/results.xlsx")
def survey_results_workbook(survey_id: str):
    """The aggregate workbook (集計 only, the privacy rule applied): for every role; audited."""
    return _download(survey_id, "xlsx", with_rows=False)


def _download(survey_id: str, fmt: str, with_rows: bool):
    """An export as an attachment. Row-level answers of an anonymous survey only for the
    role handlers/privacy allows (403 with the reason otherwise), coarsened and audited."""
    session = db()
    survey = store.get_survey(session, survey_id)
    if survey is None:
        abort(404)
    channel = _channel()
    staff = me()
    if with_rows and not privacy.may_download_rows(staff.role if staff else None, survey.anonymous):
        title, body = word("privacy.refused_title"), privacy.REFUSED_ROWS
        page = render_template("console/error.html", code=403, title=title, body=body)
        return page, 403
    tz = state().settings.tz
    buffer = io.BytesIO()
    try:
        count = export_survey(  # the words as the clock counted them: no analyser here
            session, survey_id, fmt, buffer, channel, with_rows=with_rows, tz=tz, words="stored"
        )
    except ExportError as exc:
        current_app.logger.warning("export failed: %s", exc)
        abort(404)
    with write() as s:
        detail = {"format": fmt, "rows": count}
        if channel is not None:
            detail["channel"] = channel
        if not with_rows:
            detail["aggregate"] = True
        elif survey.anonymous:
            detail["coarsened"] = True
        action = "survey.export" if with_rows else "survey.results_export"
        staff_accounts.audit(s, actor(), action, survey_id, detail)
    buffer.seek(0)
    kind = "" if with_rows else "-results"
    return send_file(
        buffer,
        mimetype=MIME[fmt],
        as_attachment=True,
        download_name=f"{survey_id}{kind}{'-' + channel if channel else ''}"
        f"-{now().astimezone(tz):%Y%m%d}.{fmt}",
    )


def _parse_local(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=state().settings.tz)
    return value


@bp.post("/surveys/<survey_id>/period")
def survey_period(survey_id: str):
    """Open now, close now, or set the period: the stored file is re-applied with new dates."""
    action = request.form.get("action", "set")
    with state().sessions() as s:
        data = uploads.stored_document(s, "survey", survey_id)
    if data is None:
        abort(404)
    tz = state().settings.tz
    moment = now().astimezone(tz).replace(microsecond=0)
    opens = _parse_local(str(data["opens_at"]))
    closes = _parse_local(str(data["closes_at"]))
    if action == "open":
        opens = moment
        if closes is None or closes <= moment:
            closes = _parse_local(request.form.get("closes_at", ""))
            if closes is None or closes <= moment:
                flash(word("period.close_after_now"), "error")
                return redirect(url_for("console.survey", survey_id=survey_id))
    elif action == "close":
        closes = moment
        if opens is not None and opens > moment:
            opens = moment
    else:
        opens = _parse_local(request.form.get("opens_at", ""))
        closes = _parse_local(request.form.get("closes_at", ""))
        if opens is None or closes is None:
            flash(word("period.both"), "error")
            return redirect(url_for("console.survey", survey_id=survey_id))
    assert opens is not None and closes is not None  # the stored period parses
    if closes <= opens:
        flash(word("period.order"), "error")
        return redirect(url_for("console.survey", survey_id=survey_id))
    data["opens_at"] = opens.astimezone(tz).isoformat(timespec="seconds")
    data["closes_at"] = closes.astimezone(tz).isoformat(timespec="seconds")
    doc = Document(path=f"console:{survey_id}", data=data, lines={})
    result = uploads.apply_document(doc, "survey", actor())
    if not result.ok:
        for problem in result.problems:
            flash(getattr(problem, "plain", problem), "error")
        return redirect(url_for("console.survey", survey_id=survey_id))
    with write() as s:
        staff_accounts.audit(
            s,
            actor(),
            f"survey.{action if action in {'open', 'close'} else 'period'}",
            survey_id,
            {"opens_at": data["opens_at"], "closes_at": data["closes_at"]},
        )

    done = {"open": "period.opened", "close": "period.closed"}
    flash(word(done.get(action, "period.changed")), "ok")
    return redirect(url_for("console.survey", survey_id=survey_id))
