"""Announcements: compose with a LINE-like preview, build a segment, check the recipient count
and quota cost, send now or schedule, watch the progress, cancel, history.

Everything goes through handlers/broadcast.py (the same functions `broadcast send` calls);
sending now runs in a background thread of bot/dispatcher.py. Staff see names, never ids:
districts by name, surveys by title, events by title and date (the id only in a small grey
line); the audience is shown as it will really be reached (blocked residents, stopped
announcements and the topic applied), with the send time in JST. What the pages show is
bot/console/announcements_view.py's.
"""

from __future__ import annotations

import threading
from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from bot import dispatcher
from bot.console.announcements_view import (
    action_choices,
    action_label,
    describe,
    describe_text,
    draft_args,
    error_words,
    estimate,
    history,
    overdue,
    say,
    segment_fields,
    segment_problem,
    skip_reasons,
    status_names,
    status_text,
    summary,
)
from bot.console.base import actor, bp, clock_warning, db, jst, now, state, write
from handlers import broadcast, segments
from handlers.broadcast_errors import BroadcastError
from handlers.town import load_town

__all__ = ["start_sending", "summary"]


def _when(form) -> tuple[datetime | None, str | None]:
    if form.get("when") != "later":
        return None, None
    raw = form.get("send_at", "")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None, say("console.send_at_missing")
    if at.tzinfo is None:
        at = at.replace(tzinfo=state().settings.tz)
    if at <= now():
        return None, say("console.send_at_past")
    return at, None


def _compose(
    form=None, *, check=None, preview=None, preview_en=None, error=None, status=200, extra=None
):
    session = db()
    town = load_town(session)
    form = form or {}
    chosen = {}
    if hasattr(form, "getlist"):
        chosen = {name: form.getlist(f"seg_{name}") for name in segments.FIELDS}
    return (
        render_template(
            "console/announcements.html",
            fields=segment_fields(session),
            topics=town.topics,
            actions=action_choices(session),
            form=form,
            chosen=chosen,
            check=check,
            preview=preview,
            preview_en=preview_en,
            error=error,
            history=history(session),
            status_names=status_names(),
            **(extra or {}),
        ),
        status,
    )


@bp.get("/announcements")
def announcements():
    """The compose form and the history."""
    return _compose()


@bp.post("/announcements/check")
def announcement_check():
    """Who really receives it (and who not, why), cost, send time in JST, the preview."""
    args = draft_args(request.form)
    session = db()
    problem = segment_problem(session, args["segment"])
    if problem:
        return _compose(request.form, error=problem, status=400)
    try:
        result = broadcast.dry_run(session, state().gateway, now=now(), **args)
        town = load_town(session)
        draft = broadcast.prepare(session, town, now=now(), **args)
        reach = segments.audience(session, town, draft.segment, draft.topic, draft.urgent)
    except BroadcastError as exc:
        return _compose(request.form, error=error_words(exc), status=400)
    at, when_problem = _when(request.form)
    same = broadcast.find_duplicate(session, draft, now())
    english = draft.messages("en") if draft.text_en else None
    return _compose(
        request.form,
        check=result,
        preview=draft.messages("ja"),
        preview_en=english,
        extra={
            "reach": reach,
            "audience_words": describe(session, draft.segment),
            "send_at": at,
            "later": request.form.get("when") == "later",
            "when_problem": when_problem,
            "duplicate": same,
            "urgent": draft.urgent,
        },
    )


@bp.post("/announcements")
def announcement_create():
    """Send now (in the background) or schedule for later; audited by the broadcast area.

    The same announcement within 24 hours is refused (the error says how to send it again
    on purpose) unless the check's "again" box is ticked."""
    args = draft_args(request.form)
    at, problem = _when(request.form)
    problem = problem or segment_problem(db(), args["segment"])
    if problem:
        return _compose(request.form, error=problem, status=400)
    again = request.form.get("again") == "1"
    try:
        with write() as s:
            b = broadcast.create_broadcast(
                s,
                actor=actor(),
                now=now(),
                at=at,
                allow_repeat=again,
                **args,
            )
            b_id, scheduled = b.id, b.scheduled_at
    except BroadcastError as exc:
        return _compose(request.form, error=error_words(exc), status=400)
    if scheduled <= now():
        start_sending(b_id)
        flash(say("console.started"), "ok")
    else:
        message = say("console.scheduled", at=jst(scheduled))
        if clock_warning():
            message += say("console.clock_stopped")
        flash(message, "warn" if clock_warning() else "ok")
    return redirect(url_for("console.announcement", broadcast_id=b_id))


def start_sending(broadcast_id: int) -> threading.Thread:
    """Send in a background thread (the dispatch job finishes it if this process stops)."""
    return dispatcher.send_in_background(state(), broadcast_id)


@bp.get("/announcements/<int:broadcast_id>")
def announcement(broadcast_id: int):
    """One announcement: what it says, to whom, progress and delivery counts."""
    session = db()
    st = broadcast.broadcast_status(session, broadcast_id)
    if st is None:
        abort(404)
    return render_template(
        "console/announcement.html",
        st=st,
        status_names=status_names(),
        status_text=status_text(st),
        overdue=overdue(st),
        reach=estimate(session, st) if st["recipients"] is None else None,
        audience=describe_text(session, st["segment"]),
        button=action_label(session, st["action"]),
        skip_reasons=skip_reasons(),
    )


@bp.get("/announcements/<int:broadcast_id>/progress")
def announcement_progress(broadcast_id: int):
    """Progress as JSON for the live progress bar."""
    st = broadcast.broadcast_status(db(), broadcast_id)
    if st is None:
        abort(404)
    total = st["batches_total"]
    done = total - st["batches"].get("pending", 0) - st["batches"].get("sending", 0)
    finished = st["status"] in {"done", "cancelled", "paused"} or (
        st["status"] == "scheduled" and st["scheduled_at"] > now()
    )
    label = say("console.progress", status=status_text(st), delivered=f"{st['delivered']:,}")
    if st["status"] == "scheduled":
        label = say(
            "console.progress_scheduled", status=status_text(st), at=jst(st["scheduled_at"])
        )
    return jsonify(
        status=st["status"],
        done=done,
        total=total,
        delivered=st["delivered"],
        failed=st["failed"],
        skipped=st["skipped"],
        finished=finished,
        label=label,
    )


@bp.post("/announcements/<int:broadcast_id>/cancel")
def announcement_cancel(broadcast_id: int):
    """Cancel a scheduled, sending or paused announcement."""
    try:
        with write() as s:
            broadcast.cancel(s, broadcast_id, actor(), now())
    except BroadcastError as exc:
        flash(error_words(exc), "error")
    else:
        flash(say("console.cancelled"), "ok")
    return redirect(url_for("console.announcement", broadcast_id=broadcast_id))
