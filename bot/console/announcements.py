"""Announcements: compose with a LINE-like preview, build a segment, check the recipient count
and quota cost, send now or schedule, watch the progress, cancel, history.

Everything goes through handlers/broadcast.py (the same functions `broadcast send` calls).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from bot.console.base import actor, bp, db, now, state, write
from db.events import upcoming_events
from db.surveys import open_surveys
from handlers import broadcast, segments
from handlers.town import load_town
from messages.rsvp import local

log = logging.getLogger(__name__)
FIELD_NAMES = {
    "district": "地区",
    "age": "年代",
    "residency": "かかわり",
    "topic": "関心のある分野",
    "answered": "回答したアンケート",
    "not_answered": "まだ回答していないアンケート",
    "signed_up": "申し込んだイベント",
    "attended": "参加したイベント",
}
RESIDENCY = {"resident": "町内在住", "commuter": "町内に通勤・通学", "outside": "町外在住"}
STATUS_NAMES = {
    "scheduled": "予約済み",
    "sending": "配信中",
    "paused": "一時停止",
    "done": "配信済み",
    "cancelled": "取り消し",
}


def summary(session) -> list[dict] | None:
    """Scheduled (and sending or paused) announcements for the dashboard."""
    return [
        {
            "send_at": r["scheduled_at"],
            "title": r["text"][:40],
            "recipients": r["recipients"],
            "status": STATUS_NAMES.get(r["status"], r["status"]),
            "url": url_for("console.announcement", broadcast_id=r["id"]),
        }
        for r in broadcast.list_broadcasts(session, 50)
        if r["status"] in {"scheduled", "sending", "paused"}
    ]


def segment_fields(session) -> list[dict]:
    """Each segment field with the values that exist now (for the builder)."""
    town = load_town(session)
    out = []
    for name, field in segments.FIELDS.items():
        values = field.values(session, town)
        if not values:
            continue
        shown = [(v, RESIDENCY.get(v, v) if name == "residency" else v) for v in values]
        out.append({"name": name, "title": FIELD_NAMES.get(name, name), "values": shown})
    return out


def segment_from_form(form) -> str:
    """The segment expression the builder's checkboxes (and the free expression) describe."""
    parts = []
    for name in segments.FIELDS:
        chosen = [v.strip() for v in form.getlist(f"seg_{name}") if v.strip()]
        if chosen:
            parts.append(f"{name}={','.join(chosen)}")
    extra = " ".join(form.get("segment_extra", "").split())
    return " ".join([*parts, extra]).strip()


def _draft_args(form) -> dict:
    topic = form.get("topic", "").strip() or None
    return {
        "text": form.get("text", "")[:5000],
        "segment": segment_from_form(form),
        "topic": topic,
        "urgent": form.get("urgent") == "1",
        "image_url": form.get("image_url", "").strip() or None,
        "link_url": form.get("link_url", "").strip() or None,
        "link_label": form.get("link_label", "").strip() or None,
        "text_en": form.get("text_en", "")[:5000].strip() or None,
        "action": form.get("action", "").strip() or None,
        "tz": state().settings.tz,
    }


def action_choices(session) -> list[tuple[str, str]]:
    """(value, label) for the action select: upcoming events and open surveys."""
    out = []
    for e in upcoming_events(session, now(), limit=30):
        if e.open_at(now()):
            out.append((f"event:{e.id}", f"申し込む: {local('ja', e.title)}"))
    for s in open_surveys(session, now()):
        out.append((f"survey:{s.id}", f"回答する: {local('ja', s.definition['title'])}"))
    return out


def _when(form) -> tuple[datetime | None, str | None]:
    if form.get("when") != "later":
        return None, None
    raw = form.get("send_at", "")
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        return None, "配信日時を入力してください。"
    if at.tzinfo is None:
        at = at.replace(tzinfo=state().settings.tz)
    if at <= now():
        return None, "配信日時は、いまより後にしてください。"
    return at, None


def _compose(form=None, *, check=None, preview=None, preview_en=None, error=None, status=200):
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
            history=broadcast.list_broadcasts(session, 30),
            status_names=STATUS_NAMES,
        ),
        status,
    )


@bp.get("/announcements")
def announcements():
    """The compose form and the history."""
    return _compose()


@bp.post("/announcements/check")
def announcement_check():
    """Recipients now, message objects and quota cost, and the messages as residents see them."""
    args = _draft_args(request.form)
    try:
        result = broadcast.dry_run(db(), state().gateway, now=now(), **args)
        draft = broadcast.prepare(db(), load_town(db()), now=now(), **args)
    except broadcast.BroadcastError as exc:
        return _compose(request.form, error=str(exc), status=400)
    english = draft.messages("en") if draft.text_en else None
    return _compose(request.form, check=result, preview=draft.messages("ja"), preview_en=english)


@bp.post("/announcements")
def announcement_create():
    """Send now (in the background) or schedule for later; audited by the broadcast area."""
    args = _draft_args(request.form)
    at, problem = _when(request.form)
    if problem:
        return _compose(request.form, error=problem, status=400)
    try:
        with write() as s:
            b = broadcast.create_broadcast(
                s,
                actor=actor(),
                now=now(),
                at=at,
                allow_repeat=request.form.get("again") == "1",
                **args,
            )
            b_id, scheduled = b.id, b.scheduled_at
    except broadcast.BroadcastError as exc:
        return _compose(request.form, error=str(exc), status=400)
    if scheduled <= now():
        start_sending(b_id)
        flash("配信を始めました。", "ok")
    else:
        flash("配信を予約しました。", "ok")
    return redirect(url_for("console.announcement", broadcast_id=b_id))


def start_sending(broadcast_id: int) -> threading.Thread:
    """Send in a background thread (the dispatch job finishes it if this process stops)."""
    app_state = state()

    def run() -> None:
        try:
            broadcast.send(app_state, broadcast_id)
        except Exception:
            log.exception("broadcast %s: background send failed", broadcast_id)

    thread = threading.Thread(target=run, name=f"broadcast-{broadcast_id}", daemon=True)
    thread.start()
    return thread


@bp.get("/announcements/<int:broadcast_id>")
def announcement(broadcast_id: int):
    """One announcement: what it says, to whom, progress and delivery counts."""
    st = broadcast.broadcast_status(db(), broadcast_id)
    if st is None:
        abort(404)
    return render_template("console/announcement.html", st=st, status_names=STATUS_NAMES)


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
    label = f"{STATUS_NAMES.get(st['status'], st['status'])}: 配信 {st['delivered']:,}人"
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
    except broadcast.BroadcastError as exc:
        flash(str(exc), "error")
    else:
        flash("配信を取り消しました。", "ok")
    return redirect(url_for("console.announcement", broadcast_id=broadcast_id))
