"""Announcements: compose with a LINE-like preview, build a segment, check the recipient count
and quota cost, send now or schedule, watch the progress, cancel, history.

Everything goes through handlers/broadcast.py (the same functions `broadcast send` calls).
Staff see names, never ids: districts by name, surveys by title, events by title and date (the
id only in a small grey line); the audience is shown as it will really be reached (blocked
residents, stopped announcements and the topic applied), with the send time in JST.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console.base import actor, bp, clock_warning, db, jst, now, state, write
from db.events import Event, upcoming_events
from db.surveys import Survey, open_surveys
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
SKIP_REASONS = {"blocked": "ブロック中", "opted_out": "お知らせ・分野を止めている"}
# The topic is chosen once, with the 分野 select (it limits the audience the way residents'
# choices say); the `topic=` field stays for the CLI and the free expression only.
NOT_IN_BUILDER = {"topic"}


def names(session) -> dict[str, dict[str, tuple[str, str]]]:
    """Per field, value → (what staff read, the grey secondary line) for ids staff never type
    (read once per request)."""
    if "console_names" in g:
        return g.console_names
    surveys = {
        s.id: (local("ja", s.definition.get("title")) or s.title, s.id)
        for s in session.scalars(select(Survey).order_by(Survey.opens_at.desc(), Survey.id))
    }
    events = {
        e.id: (f"{local('ja', e.title)}（{jst(e.starts_at, 'date')}）", e.id)
        for e in session.scalars(select(Event).order_by(Event.starts_at, Event.id))
    }
    residency = {code: (label, "") for code, label in RESIDENCY.items()}
    g.console_names = {
        "answered": surveys,
        "not_answered": surveys,
        "signed_up": events,
        "attended": events,
        "residency": residency,
    }
    return g.console_names


def segment_fields(session) -> list[dict]:
    """Each segment field with the values that exist now, by name (for the builder)."""
    town = load_town(session)
    shown = names(session)
    out = []
    for name, field in segments.FIELDS.items():
        if name in NOT_IN_BUILDER:
            continue
        values = field.values(session, town)
        if not values:
            continue
        known = shown.get(name, {})
        items = [(v, *known.get(v, (v, ""))) for v in values]
        if name in shown and name != "residency":  # newest surveys first, events by date
            order = list(known)
            items.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
        out.append({"name": name, "title": FIELD_NAMES.get(name, name), "values": items})
    return out


def segment_problem(session, expression: str) -> str | None:
    """What is wrong with a typed condition, in staff words (None when it is fine)."""
    town = load_town(session)
    example = "例: district=七ツ森 age=20代,30代"
    try:
        parsed = segments.parse(expression)
    except segments.SegmentError:
        return f"条件は「項目=値」の形で、空白で区切って書いてください（{example}）。"
    for name, values in parsed:
        field = segments.FIELDS.get(name)
        if field is None:
            known = "、".join(f"{k}（{FIELD_NAMES.get(k, k)}）" for k in segments.FIELDS)
            return f"条件の項目「{name}」はありません。使える項目: {known}"
        valid = field.values(session, town) or []
        lookup = {segments.norm(v) for v in valid}
        if field.aliases is not None:
            lookup |= {segments.norm(k) for k in field.aliases(session, town)}
        shown = names(session).get(name, {})
        for value in values:
            if segments.norm(value) not in lookup:
                choices = "、".join(
                    f"{v}（{shown[v][0]}）" if v in shown and shown[v][0] != v else v for v in valid
                )
                return (
                    f"{FIELD_NAMES.get(name, name)}に「{value}」はありません。"
                    f"使える値: {choices or 'まだありません'}"
                )
    return None


def describe(session, expression: str) -> list[dict] | None:
    """A segment in staff words, e.g. [{title: 地区, values: [七ツ森]}] (None if unreadable)."""
    if not (expression or "").strip():
        return []
    try:
        parsed = segments.conditions(session, load_town(session), expression)
    except segments.SegmentError:
        return None
    shown = names(session)
    return [
        {
            "title": FIELD_NAMES.get(c.field, c.field),
            "values": [shown.get(c.field, {}).get(v, (v, ""))[0] for v in c.values],
        }
        for c in parsed
    ]


def describe_text(session, expression: str) -> str:
    """The segment in one line of staff words (友だち全員 when there is none)."""
    parts = describe(session, expression)
    if parts is None:
        return expression
    if not parts:
        return "条件なし（友だち全員）"
    return " ・ ".join(f"{p['title']}: {'、'.join(p['values'])}" for p in parts)


def action_label(session, action: str | None) -> str:
    """The button an announcement carries, by title (なし when it has none)."""
    if not action:
        return "なし（メニューのみ）"
    kind, _, value = action.partition(":")
    if kind == "url":
        return f"リンク: {value}"
    if kind == "event":
        event = session.get(Event, value)
        if event is not None:
            return f"申し込む: {local('ja', event.title)}（{jst(event.starts_at, 'date')}）"
    if kind == "survey":
        survey = session.get(Survey, value)
        if survey is not None:
            return f"回答する: {local('ja', survey.definition.get('title')) or survey.title}"
    return f"{action}（見つかりません）"


def estimate(session, b: dict) -> segments.Audience | None:
    """Who a scheduled announcement would reach if it were sent now (None if unreadable)."""
    try:
        return segments.audience(
            session, load_town(session), b["segment"], b["topic"], b.get("urgent", False)
        )
    except segments.SegmentError:
        return None


def summary(session) -> list[dict] | None:
    """Scheduled (and sending or paused) announcements for the dashboard."""
    out = []
    for r in broadcast.list_broadcasts(session, 50):
        if r["status"] not in {"scheduled", "sending", "paused"}:
            continue
        guess = estimate(session, r) if r["recipients"] is None else None
        out.append(
            {
                "send_at": r["scheduled_at"],
                "title": r["text"][:40],
                "recipients": r["recipients"],
                "estimated": guess.recipients if guess else None,
                "status": status_text(r),
                "url": url_for("console.announcement", broadcast_id=r["id"]),
            }
        )
    return out


def overdue(b: dict) -> bool:
    """Scheduled, its time passed, and not started (no clock has picked it up)."""
    return b["status"] == "scheduled" and b["scheduled_at"] <= now()


def status_text(b: dict) -> str:
    """The status in words; a scheduled one past its time says so."""
    name = STATUS_NAMES.get(b["status"], b["status"])
    return f"{name}（配信時刻を過ぎています）" if overdue(b) else name


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
            status_names=STATUS_NAMES,
            **(extra or {}),
        ),
        status,
    )


def history(session) -> list[dict]:
    """The last 30 announcements with the segment in words and an estimate for scheduled ones."""
    out = []
    for r in broadcast.list_broadcasts(session, 30):
        guess = estimate(session, r) if r["recipients"] is None else None
        out.append(
            {
                **r,
                "audience": describe_text(session, r["segment"]),
                "estimated": guess.recipients if guess else None,
                "status_text": status_text(r),
            }
        )
    return out


@bp.get("/announcements")
def announcements():
    """The compose form and the history."""
    return _compose()


@bp.post("/announcements/check")
def announcement_check():
    """Who really receives it (and who not, why), cost, send time in JST, the preview."""
    args = _draft_args(request.form)
    session = db()
    problem = segment_problem(session, args["segment"])
    if problem:
        return _compose(request.form, error=problem, status=400)
    try:
        result = broadcast.dry_run(session, state().gateway, now=now(), **args)
        town = load_town(session)
        draft = broadcast.prepare(session, town, now=now(), **args)
        reach = segments.audience(session, town, draft.segment, draft.topic, draft.urgent)
    except broadcast.BroadcastError as exc:
        return _compose(request.form, error=str(exc), status=400)
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


def duplicate_refusal(b) -> str:
    """Why a repeat within 24 hours is stopped, and how to send it on purpose."""
    return (
        f"同じ内容・同じ相手のお知らせ #{b.id}（{STATUS_NAMES.get(b.status, b.status)}、"
        f"{jst(b.created_at)} 作成）を24時間以内に作っています。二重に送らないよう止めました。"
        f"わざともう一度送るときは、確認欄の「{AGAIN_LABEL}」を選んでください。"
    )


AGAIN_LABEL = "同じ内容を24時間以内に送った相手にも、もう一度送る"


@bp.post("/announcements")
def announcement_create():
    """Send now (in the background) or schedule for later; audited by the broadcast area."""
    args = _draft_args(request.form)
    at, problem = _when(request.form)
    problem = problem or segment_problem(db(), args["segment"])
    if problem:
        return _compose(request.form, error=problem, status=400)
    again = request.form.get("again") == "1"
    try:
        if not again:
            session = db()
            draft = broadcast.prepare(session, load_town(session), now=now(), **args)
            same = broadcast.find_duplicate(session, draft, now())
            if same is not None:
                return _compose(request.form, error=duplicate_refusal(same), status=400)
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
    except broadcast.BroadcastError as exc:
        return _compose(request.form, error=str(exc), status=400)
    if scheduled <= now():
        start_sending(b_id)
        flash("配信を始めました。", "ok")
    else:
        message = f"{jst(scheduled)} に配信を予約しました。"
        if clock_warning():
            message += (
                "ただし、いまは定時処理（時計）が止まっているため、このままでは送られません。"
            )
        flash(message, "warn" if clock_warning() else "ok")
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
    session = db()
    st = broadcast.broadcast_status(session, broadcast_id)
    if st is None:
        abort(404)
    return render_template(
        "console/announcement.html",
        st=st,
        status_names=STATUS_NAMES,
        status_text=status_text(st),
        overdue=overdue(st),
        reach=estimate(session, st) if st["recipients"] is None else None,
        audience=describe_text(session, st["segment"]),
        button=action_label(session, st["action"]),
        skip_reasons=SKIP_REASONS,
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
    label = f"{status_text(st)}: 配信 {st['delivered']:,}人"
    if st["status"] == "scheduled":
        label = f"{status_text(st)}: {jst(st['scheduled_at'])} に配信"
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
