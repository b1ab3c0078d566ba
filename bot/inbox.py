"""Store webhook events and process each exactly once in its own transaction, then send.

Exactly-once: every event's row is inserted under a unique webhookEventId before the
webhook is acknowledged, in the same transaction as the event's effect, so a redelivery or
a second worker finds it done. A webhook with one event (LINE's usual delivery in a 1:1
chat) is inserted as done together with its effect: one transaction. A webhook with several
events stores them all as pending first, then claims each (pending → done) with its effect,
so if the worker dies half-way the rest are recovered by the inbox job.

A follow's reply (the welcome and the consent question) must not be lost to a worker that
dies after the commit: it is also stored in the outbox as *held* in the event's transaction.
A reply that goes out deletes it; a reply that fails, or comes too late for its token,
releases it as a push at once; a worker that died leaves it for the inbox job, which
releases it after `HELD_FOR` (longer than any reply can take).
"""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime, timedelta

from linebot.v3.webhooks import Event, FollowEvent, PostbackEvent
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached

from bot import outbox
from bot.router import dispatch
from bot.state import AppState
from db.models import Outbox, Resident, WebhookEvent
from db.session import once_more_if_disconnected, transaction
from handlers.context import Ctx, Outcome
from handlers.pushes import queue
from handlers.rsvp import wants_display_name
from messages import common
from messages.catalog import t

log = logging.getLogger(__name__)
EVENTS = WebhookEvent.__table__
RECOVER_AFTER = timedelta(seconds=30)
REPLY_TOKEN_LIFETIME = timedelta(seconds=50)
HELD_FOR = timedelta(minutes=2)  # a reply starts within 50 s and is given up within seconds
HELD = "held"  # the outbox status of a reply kept until it is known to have gone out
HELD_EVENTS = {"follow"}  # events whose reply is kept that way
OUTBOX = Outbox.__table__

# The hot path's statements, built once (a reused statement skips construction and caching).
_ROW = (
    "event_id",
    "event_type",
    "line_user_id",
    "occurred_at",
    "received_at",
    "status",
    "payload",
    "processed_at",
)
_INSERT = {
    name: insert(EVENTS)
    .values({c: bindparam(c) for c in _ROW})
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(EVENTS.c.event_id)
    for name, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_CLAIM = (
    update(EVENTS)
    .where(EVENTS.c.event_id == bindparam("claim_id"), EVENTS.c.status == "pending")
    .values(status="done", processed_at=bindparam("claimed_at"), payload=None)
)
# lock the resident's row (serialising their events across workers), note them seen, load them
RESIDENTS = Resident.__table__
_SEEN = (
    update(RESIDENTS)
    .where(RESIDENTS.c.line_user_id == bindparam("seen_user"))
    .values(last_seen_at=bindparam("seen_at"))
    .returning(*RESIDENTS.c)
)


def parse_event(raw: dict) -> Event | None:
    """An SDK event from one raw event, or None when it cannot be read."""
    try:
        return Event.from_dict(raw)
    except Exception:
        return None


def receive(state: AppState, raw_events: list) -> int:
    """Store and process a webhook's events, each exactly once; returns how many were new."""
    if len(raw_events) == 1:  # the usual case: the event is inserted with its effect
        row = _row(raw_events[0], state.now(), payload=False)  # stored done: words not kept
        if row is None:
            return 0
        return int(process(state, row["event_id"], insert=(raw_events[0], row)) != "duplicate")
    fresh: dict = {}
    event_ids = store(state, raw_events, fresh)
    for event_id in event_ids:
        process(state, event_id, stored=fresh.get(event_id))
    return len(event_ids)


def _row(raw, now: datetime, payload: bool = True) -> dict | None:
    """The inbox row for one raw event received now (pending; its payload unless told not).

    None when the event has no usable webhookEventId.
    """
    event_id = raw.get("webhookEventId") if isinstance(raw, dict) else None
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        log.warning("event without a usable webhookEventId ignored")
        return None
    ts = raw.get("timestamp")
    occurred = (
        datetime.fromtimestamp(ts / 1000, UTC)
        if isinstance(ts, int | float) and 0 < ts < 1e14
        else now
    )
    source = raw.get("source") if isinstance(raw.get("source"), dict) else {}
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    return {
        "event_id": event_id,
        "event_type": str(raw.get("type", "?"))[:32],
        "line_user_id": user_id[:64] if user_id else None,
        "occurred_at": occurred,
        "received_at": now,
        "status": "pending",
        "payload": json.dumps(raw, ensure_ascii=False) if payload else None,
        "processed_at": None,
    }


def store(
    state: AppState, raw_events: list, fresh: dict[str, tuple[dict, datetime]] | None = None
) -> list[str]:
    """Insert every event we can identify as pending; returns the ids still to be processed.

    ``fresh``, when given, receives ``{event_id: (raw, received_at)}`` for the events this
    call inserted, so :func:`process` need not read them back.
    """
    rows, raws = [], {}
    for raw in raw_events:
        row = _row(raw, state.now())
        if row is not None:
            rows.append(row)
            raws.setdefault(row["event_id"], raw)
    if not rows:
        return []
    inserted, pending = once_more_if_disconnected(lambda: _insert_pending(state, rows))
    if fresh is not None:
        received = {r["event_id"]: r["received_at"] for r in reversed(rows)}
        fresh.update((i, (raws[i], received[i])) for i in inserted)
    seen: set[str] = set()
    ordered = []
    for row in sorted(rows, key=lambda r: r["occurred_at"]):
        if row["event_id"] in pending and row["event_id"] not in seen:
            seen.add(row["event_id"])
            ordered.append(row["event_id"])
    return ordered


def _insert_pending(state: AppState, rows: list[dict]) -> tuple[set[str], set[str]]:
    """Insert the rows; returns (ids inserted now, ids pending — new or left by a dead worker)."""
    ids = {r["event_id"] for r in rows}
    with state.engine.begin() as conn:  # Core: no ORM session on the hot path
        inserted = set()
        for row in rows:
            inserted.update(conn.execute(_INSERT[state.engine.dialect.name], row).scalars())
        pending = set(inserted)
        if inserted != ids:  # some seen before: still pending if a worker died
            pending |= set(
                conn.execute(
                    select(EVENTS.c.event_id).where(
                        EVENTS.c.event_id.in_(ids), EVENTS.c.status == "pending"
                    )
                ).scalars()
            )
    return inserted, pending


def process(
    state: AppState,
    event_id: str,
    *,
    late: bool = False,
    stored: tuple[dict, datetime] | None = None,
    insert: tuple[dict, dict] | None = None,
) -> str:
    """Process one event exactly once; returns what happened (for logs and tests).

    ``insert`` is ``(raw, row)`` of an event not stored yet: its row goes in as done in the
    same transaction as its effect. ``stored`` is ``(raw, received_at)`` of an event
    :func:`store` has just inserted; otherwise the stored event is read back. Either way the
    claim (the insert, or pending → done) decides whether this call has the effect.
    """
    row = None
    if insert is not None:
        raw, row = insert
        received_at = row["received_at"]
    elif stored is not None:
        raw, received_at = stored
    else:
        with state.sessions() as s:
            found = s.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event_id))
            if found is None or found.status != "pending" or found.payload is None:
                return "skipped"
            raw = json.loads(found.payload)
            received_at = found.received_at
    event = parse_event(raw)
    extras: dict = {}
    if isinstance(event, FollowEvent) and event.source.user_id and event.mode == "active":
        extras["language"] = state.gateway.profile_language(event.source.user_id)
    elif (
        isinstance(event, PostbackEvent)
        and getattr(event.source, "user_id", None)
        and event.mode == "active"
        and wants_display_name(event.postback.data)
    ):  # はい to the door-list name: read the profile before the transaction, not inside it
        extras["display_name"] = state.gateway.display_name(event.source.user_id)
    held: list[int] = []  # the outbox id of a held reply, once committed
    try:
        result = once_more_if_disconnected(
            lambda: _effect(state, event_id, raw, event, row, extras, late, held)
        )
    except Exception as exc:
        # where it failed, but not the exception's message: it may quote what a resident said
        where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
        log.error(
            "event %s (%s) failed with %s; marked failed\n%s",
            event_id,
            str(raw.get("type"))[:32],
            type(exc).__name__,
            where,
        )
        _mark_failed(state, event_id, row)
        _apologise(state, raw)
        return "failed"
    if isinstance(result, str):
        return result
    outcome = result
    log.debug("event %s %s processed", event_id, event.type)
    token = getattr(event, "reply_token", None)
    if outcome.replies and token and state.now() - received_at < REPLY_TOKEN_LIFETIME:
        sent = state.gateway.reply(token, outcome.replies)
        if held:
            _settle_held(state, held[0], _replied(state, sent, token, outcome.replies))
    elif held:
        _settle_held(state, held[0], False)  # too late for the token: a push instead
    for outbox_id in outcome.outbox_ids:
        outbox.deliver(state, outbox_id)
    return "done"


def _effect(
    state: AppState,
    event_id: str,
    raw: dict,
    event: Event | None,
    row: dict | None,
    extras: dict,
    late: bool,
    held: list[int],
) -> Outcome | str:
    """The event's one transaction: claim it, decide, queue; a str says why nothing was done."""
    held.clear()  # a transaction run once more starts afresh
    with transaction(state.sessions) as s:
        if not _claim(state, s.connection(), event_id, row):
            return "duplicate"
        if event is None:
            log.info(
                "event %s unreadable (type %s): acknowledged, no effect",
                event_id,
                str(raw.get("type"))[:32],
            )
            return "unreadable"
        outcome = _decide(state, s, event, extras)
        if event.mode != "active" and outcome.replies:
            outcome = Outcome()  # standby: another module owns the chat
        if late and outcome.replies:
            user_id = getattr(event.source, "user_id", None)
            if user_id:
                outcome.outbox_ids.append(
                    queue(s, user_id, outcome.replies, "late-reply", ("event", event_id))
                )
            outcome.replies = []
        user_id = getattr(event.source, "user_id", None) if event.source else None
        if outcome.replies and user_id and event.type in HELD_EVENTS:
            held.append(_hold(state, s, user_id, outcome.replies, event_id))
        return outcome


def _hold(state: AppState, s: Session, user_id: str, replies: list, event_id: str) -> int:
    """Keep a copy of the reply in the outbox, not yet to be sent, in the event's transaction."""
    outbox_id = queue(s, user_id, replies, "reply", ("event", event_id))
    kept = s.get(Outbox, outbox_id)
    kept.status, kept.created_at = HELD, state.now()
    return outbox_id


def _replied(state: AppState, sent, token: str, replies: list) -> bool:
    """Whether a held reply reached the resident.

    With no answer at all (a timeout) it may have: the token is single-use, so asking once
    more either delivers it now or is refused with 400 because it was used.
    """
    if sent.ok or (sent.error or "").startswith("HTTP"):
        return sent.ok
    again = state.gateway.reply(token, replies)
    return again.ok or again.error == "HTTP 400"


def _settle_held(state: AppState, outbox_id: int, replied: bool) -> None:
    """The reply went out: forget the copy; it did not: send the copy as a push now."""
    with state.engine.begin() as conn:
        mine = OUTBOX.c.id == outbox_id, OUTBOX.c.status == HELD
        if replied:
            conn.execute(OUTBOX.delete().where(*mine))
            return
        conn.execute(update(OUTBOX).where(*mine).values(status="pending"))
    outbox.deliver(state, outbox_id)


def release_held(state: AppState) -> int:
    """Send as pushes the held replies a dead worker left (older than HELD_FOR)."""
    cutoff = state.now() - HELD_FOR
    with state.engine.begin() as conn:
        ids = list(
            conn.execute(
                select(OUTBOX.c.id)
                .where(OUTBOX.c.status == HELD, OUTBOX.c.created_at < cutoff)
                .order_by(OUTBOX.c.id)
                .limit(1000)
            ).scalars()
        )
    released = 0
    for outbox_id in ids:
        with state.engine.begin() as conn:
            mine = OUTBOX.c.id == outbox_id, OUTBOX.c.status == HELD
            if not conn.execute(update(OUTBOX).where(*mine).values(status="pending")).rowcount:
                continue
        released += outbox.deliver(state, outbox_id) == "sent"
    return released


def _claim(state: AppState, conn, event_id: str, row: dict | None) -> bool:
    """Take the event for this transaction: insert it as done, or move it pending → done."""
    now = state.now()
    if row is not None:
        done = {**row, "status": "done", "payload": None, "processed_at": now}
        if conn.execute(_INSERT[state.engine.dialect.name], done).first() is not None:
            return True  # new: stored together with its effect
    return bool(conn.execute(_CLAIM, {"claim_id": event_id, "claimed_at": now}).rowcount)


def _decide(state: AppState, s: Session, event: Event, extras: dict) -> Outcome:
    user_id = getattr(event.source, "user_id", None) if event.source else None
    resident = None
    now = state.now()
    if user_id:
        row = s.connection().execute(_SEEN, {"seen_user": user_id, "seen_at": now}).first()
        resident = _attach(s, row) if row is not None else None
    if (
        resident is None
        and user_id
        and getattr(event.source, "type", None) == "user"
        and (event.type in {"message", "postback"})
    ):
        resident = Resident(line_user_id=user_id, created_at=now, followed_at=now, last_seen_at=now)
        s.add(resident)
        s.flush()
    ctx = Ctx(
        session=s,
        resident=resident,
        now=state.now(),
        settings=state.settings,
        lang=resident.language if resident else "ja",
    )
    return dispatch(ctx, event, extras)


def _attach(s: Session, row) -> Resident:
    """The resident from the row the UPDATE returned, in the session as if loaded by it.

    Cheaper than an ORM UPDATE … RETURNING; the topics load if a handler asks.
    """
    resident = Resident(**row._mapping)
    make_transient_to_detached(resident)
    s.add(resident)
    return resident


def _mark_failed(state: AppState, event_id: str, row: dict | None) -> None:
    """Record the event as failed (storing it now if it came in alone), without its words."""
    with state.engine.begin() as conn:
        if row is not None:  # its transaction rolled back: store it, then mark it
            conn.execute(_INSERT[state.engine.dialect.name], {**row, "payload": None})
        conn.execute(
            update(EVENTS)
            .where(EVENTS.c.event_id == event_id, EVENTS.c.status == "pending")
            .values(status="failed", processed_at=state.now(), error="handler error", payload=None)
        )


def _apologise(state: AppState, raw: dict) -> None:
    token = raw.get("replyToken")
    if raw.get("mode") == "active" and isinstance(token, str):
        state.gateway.reply(token, [common.text(t("ja", "fallback.error"))])


def recover(state: AppState) -> int:
    """Process events stored but never processed (a worker died): replies go as pushes.

    Also sends the held replies of events whose worker died after their commit.
    """
    released = release_held(state)
    cutoff = state.now() - RECOVER_AFTER
    with state.sessions() as s:
        ids = list(
            s.scalars(
                select(WebhookEvent.event_id)
                .where(WebhookEvent.status == "pending", WebhookEvent.received_at < cutoff)
                .order_by(WebhookEvent.occurred_at)
                .limit(1000)
            )
        )
    return released + sum(process(state, event_id, late=True) == "done" for event_id in ids)


# --- retention ---------------------------------------------------------------------------------

FORGET_BATCH = 1000
REPLY_KINDS = ("late-reply", "reply")  # the outbox copies of replies (they may quote answers)


def forget_old(state: AppState) -> int:
    """Events older than WEBHOOK_EVENT_RETENTION_DAYS lose who sent them and when.

    The row and its event id stay, so a redelivery is still recognised; the user id and the
    payload go, and the times are cut to the town's day. One still pending after all that
    time is given up (failed). Finished outbox copies of replies are deleted. Safe to run twice.
    """
    now = state.now()
    cutoff = now - timedelta(days=state.settings.webhook_event_retention_days)
    tz = state.settings.tz

    def day(at: datetime | None) -> datetime | None:
        if at is None:
            return None
        return at.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    gave_up = {"pending": now}  # a pending event given up: processed (failed) now
    forgotten = 0
    while True:
        with state.engine.begin() as conn:
            rows = conn.execute(
                select(
                    EVENTS.c.id,
                    EVENTS.c.status,
                    EVENTS.c.error,
                    EVENTS.c.occurred_at,
                    EVENTS.c.received_at,
                    EVENTS.c.processed_at,
                )
                .where(
                    EVENTS.c.received_at < cutoff,
                    or_(EVENTS.c.line_user_id.is_not(None), EVENTS.c.payload.is_not(None)),
                )
                .order_by(EVENTS.c.id)
                .limit(FORGET_BATCH)
            ).all()
            if not rows:
                break
            conn.execute(
                update(EVENTS)
                .where(EVENTS.c.id == bindparam("row_id"))
                .values(
                    line_user_id=None,
                    payload=None,
                    status=bindparam("new_status"),
                    error=bindparam("new_error"),
                    occurred_at=bindparam("occurred"),
                    received_at=bindparam("received"),
                    processed_at=bindparam("processed"),
                ),
                [
                    {
                        "row_id": r.id,
                        "new_status": "failed" if r.status == "pending" else r.status,
                        "new_error": "never processed" if r.status == "pending" else r.error,
                        "occurred": day(r.occurred_at),
                        "received": day(r.received_at),
                        "processed": day(r.processed_at or gave_up.get(r.status)),
                    }
                    for r in rows
                ],
            )
        forgotten += len(rows)
    with state.engine.begin() as conn:
        finished = or_(
            OUTBOX.c.status.in_(("sent", "skipped", "failed")),
            (OUTBOX.c.status == "pending") & (OUTBOX.c.attempts >= outbox.MAX_ATTEMPTS),
        )
        conn.execute(delete(OUTBOX).where(OUTBOX.c.kind.in_(REPLY_KINDS), finished))
    return forgotten
