"""Publishing in the console (#18): a survey's results and an event's report, a preview of the
public page, and the one announcement to those who took part (dry run first).

Picks of free text are made from the answers shown on the page (each one visible before it
is published); the handler checks every pick is part of a real answer. Every change goes
through the content pipeline (audited as content.publication / content.report).
"""

from __future__ import annotations

from collections import Counter

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console.announcements import start_sending
from bot.console.base import actor, bp, db, now, state, write
from db import events as db_events
from db import surveys as store
from db.surveys import ALL_DIMENSIONS
from handlers import publishing
from handlers import publishing_snapshot as publication_snapshot
from handlers.content import parse_time
from messages.broadcast import localized_label
from messages.catalog import t
from messages.rsvp import local
from messages.survey_staff import DIM_TITLES

DIM_NAMES = DIM_TITLES
ANSWERS_SHOWN = 300  # free-text answers listed for picking, per question
KINDS = {"results": "publication", "report": "report"}


def _base() -> str:
    return state().settings.public_base_url


def _survey_page(survey_id: str, error: str | None = None, dry=None, status: int = 200):
    session = db()
    survey = store.get_survey(session, survey_id)
    if survey is None:
        abort(404)
    pub = publishing.record(session, "publication", survey_id) or {}
    picked = {(e["question"], e["text"]) for e in pub.get("excerpts", [])}
    texts = []
    for n, q in enumerate(survey.questions, 1):
        if q["type"] != "text":
            continue
        answers = []
        for i, a in enumerate(store.text_answers(session, survey_id, q["id"])):
            if i >= ANSWERS_SHOWN:
                break
            answers.append(a)
        chosen = [e["text"] for e in pub.get("excerpts", []) if e["question"] == q["id"]]
        same = Counter(answers)
        rest = [a for a in same if (q["id"], a) not in picked]
        listed = [(a, same.get(a, 1)) for a in chosen] + [(a, same[a]) for a in rest]
        texts.append({"n": n, "q": q, "answers": listed, "shown": len(answers)})
    return (
        render_template(
            "console/publish_survey.html",
            sv=survey,
            pub=pub,
            picked=picked,
            texts=texts,
            dims=DIM_NAMES,
            all_dims=ALL_DIMENSIONS,
            error=error,
            dry=dry,
            announced=publishing.announced(session, "results", survey_id),
            public_url=f"{_base().rstrip('/')}/results/{survey_id}",
            title=local("ja", survey.definition["title"]),
            local=local,
            since=parse_time(str(pub.get("published_at", ""))),
            counted=_counted(session, survey_id) if pub.get("published") else None,
            still_open=now() < survey.closes_at,
            held=_held(session, survey),
        ),
        status,
    )


def _counted(session, survey_id: str):
    """When the public figures were counted (the snapshot taken at publication)."""
    found = publication_snapshot.read(session, survey_id)
    return found[1] if found else None


def _held(session, survey) -> int | None:
    """Anonymous answers still sealed in the holding pool, not yet counted (staff already
    see this number on the survey's page: it says nothing about anyone)."""
    if not survey.anonymous:
        return None
    return store.stored_answers(session, survey.id) - store.response_count(session, survey.id)


@bp.get("/surveys/<survey_id>/publish")
def survey_publish(survey_id: str):
    """What is (or would be) published, the picks, and the announcement."""
    return _survey_page(survey_id)


@bp.post("/surveys/<survey_id>/publish")
def survey_publish_save(survey_id: str):
    """Save the choices; publish or unpublish (editor; audited)."""
    do = request.form.get("do", "save")
    if do not in ("save", "publish", "unpublish"):
        abort(400)
    dims = request.form.getlist("crosstab")
    if any(d not in ALL_DIMENSIONS for d in dims):
        return _survey_page(survey_id, error=t("ja", "publishing_staff.bad_crosstab"), status=400)
    excerpts = []
    for raw in request.form.getlist("excerpt"):
        qid, _, text = raw.partition(":")  # ids hold no colon; browsers send CRLF for LF
        text = text.replace("\r\n", "\n")
        if qid and text.strip():
            excerpts.append({"question": qid, "text": text})
    try:
        with write() as s:
            before = publishing.record(s, "publication", survey_id) or {}
            published = do == "publish" or (do == "save" and bool(before.get("published")))
            publishing.publish_survey(
                s, survey_id, actor(), now(), published=published, crosstabs=dims, excerpts=excerpts
            )
    except publishing.PublishError as exc:
        return _survey_page(survey_id, error=str(exc), status=400)
    flash(t("ja", f"publishing_staff.{do}"), "ok")
    return redirect(url_for("console.survey_publish", survey_id=survey_id))


@bp.get("/surveys/<survey_id>/publish/preview")
def survey_publish_preview(survey_id: str):
    """The public page as it is (or would be) published, with the saved choices."""
    from bot.public_pages import render_results

    session = db()
    if store.get_survey(session, survey_id) is None:
        abort(404)
    lang = "en" if request.args.get("lang") == "en" else "ja"
    return render_results(session, survey_id, lang, inline_images=True, live=True)


def _report_page(event_id: str, error: str | None = None, dry=None, values=None, status=200):
    session = db()
    event = db_events.get_event(session, event_id)
    if event is None:
        abort(404)
    rep = publishing.record(session, "report", event_id) or {}
    text = rep.get("text", "")
    values = values or {
        "text": text.get("ja", "") if isinstance(text, dict) else text,
        "text_en": text.get("en", "") if isinstance(text, dict) else "",
        "images": "\n".join(rep.get("images", [])),
    }
    counts = {c.mode: c.attended for c in db_events.signup_counts(session, [event_id])}
    return (
        render_template(
            "console/publish_report.html",
            ev=event,
            rep=rep,
            values=values,
            counts=counts,
            error=error,
            dry=dry,
            announced=publishing.announced(session, "report", event_id),
            public_url=f"{_base().rstrip('/')}/reports/{event_id}",
            title=local("ja", event.title),
            local=local,
            since=parse_time(str(rep.get("published_at", ""))),
            too_early=now() < event.starts_at,
        ),
        status,
    )


@bp.get("/events/<event_id>/report")
def event_report(event_id: str):
    """Write the report of an event; publish it; tell those who attended."""
    return _report_page(event_id)


@bp.post("/events/<event_id>/report")
def event_report_save(event_id: str):
    """Save the report; publish or unpublish it (editor; audited)."""
    do = request.form.get("do", "save")
    if do not in ("save", "publish", "unpublish"):
        abort(400)
    values = {k: request.form.get(k, "") for k in ("text", "text_en", "images")}
    try:
        with write() as s:
            before = publishing.record(s, "report", event_id) or {}
            if do == "unpublish" and before:
                publishing.unpublish_report(s, event_id, actor(), now())
            else:
                published = do == "publish" or (do == "save" and bool(before.get("published")))
                publishing.save_report(
                    s,
                    event_id,
                    actor(),
                    now(),
                    text=values["text"],
                    text_en=values["text_en"],
                    images=values["images"].splitlines(),
                    published=published,
                )
    except publishing.PublishError as exc:
        return _report_page(event_id, error=str(exc), values=values, status=400)
    flash(t("ja", f"publishing_staff.{do}"), "ok")
    return redirect(url_for("console.event_report", event_id=event_id))


def _page(kind: str, target: str, **kw):
    if kind == "results":
        return _survey_page(target, **kw)
    return _report_page(target, **kw)


@bp.post("/publish/<kind>/<target>/check")
def publish_check(kind: str, target: str):
    """The dry run: who receives the announcement, what it costs, what it says."""
    if kind not in KINDS:
        abort(404)
    session = db()
    try:
        note, result = publishing.announce_dry_run(
            session, state().gateway, kind, target, _base(), now()
        )
        token = publishing.check_token(session, kind, target, _base())
    except publishing.PublishError as exc:
        return _page(kind, target, error=str(exc), status=400)
    label = localized_label(note.link_label or "", "ja")
    dry = {"note": note, "result": result, "token": token, "label": label}
    return _page(kind, target, dry=dry)


@bp.post("/publish/<kind>/<target>/announce")
def publish_announce(kind: str, target: str):
    """Send the announcement once (only after its dry run); then its progress page."""
    if kind not in KINDS:
        abort(404)
    try:
        with write() as s:
            b = publishing.announce(
                s, kind, target, _base(), actor(), now(), request.form.get("checked", "")
            )
            b_id = b.id
    except publishing.PublishError as exc:
        return _page(kind, target, error=str(exc), status=400)
    start_sending(b_id)
    flash(t("ja", "publishing_staff.announcing"), "ok")
    return redirect(url_for("console.announcement", broadcast_id=b_id))
