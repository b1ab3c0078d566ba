"""Store webhook events as a queue, then process each exactly once in its own transaction.

The webhook stores every event of a batch as pending (one INSERT … ON CONFLICT DO NOTHING
under the unique webhookEventId) and is acknowledged; :func:`drain` (the pool's threads in
each web worker, the `worker` process, the `inbox` job, the tests) takes them one by one:
in one transaction it picks the first sender head, each sender's first pending event
(`db.webhook_queue.pick`: SKIP LOCKED on PostgreSQL), claims it (pending → done)
and runs its effect. Replies go after commit. A drainer that dies mid-event rolls back: the
event is pending again and the next drainer takes it. An event whose reply token has ended
(REPLY_WINDOW after the webhook that brought it; for a redelivery, also 20 minutes after
LINE's timestamp) is answered by push (outbox, retry key) instead; this is decided at pick
and checked again just before the reply.

A follow's reply (the welcome and the consent question) must not be lost to a process that
dies after the commit: it is also stored in the outbox as *held* in the event's transaction.
A reply that goes out deletes it; a reply that fails releases it as a push at once; a
process that died leaves it for the inbox job, which releases it after `HELD_FOR`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from linebot.v3.webhooks import Event, FollowEvent, PostbackEvent
from sqlalchemy import bindparam, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, make_transient_to_detached

from bot import metrics, outbox
from bot.inbox_held import (  # noqa: F401 (HELD, HELD_FOR: the inbox's names)
    HELD,
    HELD_EVENTS,
    HELD_FOR,
    hold,
    release_held,
    replied,
    settle_held,
)
from bot.inbox_late import (  # noqa: F401 (the inbox's names)
    BACKLOG_WARN_EVERY,
    REPLY_WINDOW,
    _warned,
    push_late,
    reply_by,
    warn_backlog,
    watch_backlog,
)
from bot.inbox_retention import REPLY_KINDS, forget_old  # noqa: F401 (the jobs' names)
from bot.router import dispatch
from bot.state import AppState
from db import webhook_queue as queue
from db.models import Resident
from db.session import once_more_if_disconnected, transaction, urgent_writes
from handlers.context import Ctx, Outcome
from handlers.pushes import queue as queue_push
from handlers.rsvp_door_name import wants_display_name
from messages import common
from messages.catalog import t

log = logging.getLogger(__name__)
REPLY_TOKEN_LIFETIME = REPLY_WINDOW  # the older name
PROFILE_LEASE = timedelta(seconds=20)  # other drainers pass over an event while its profile loads

# lock the resident's row (serialising their events across workers), note them seen, load them
RESIDENTS = Resident.__table__
_SEEN = (
    update(RESIDENTS)
    .where(RESIDENTS.c.line_user_id == bindparam("seen_user"))
    .values(last_seen_at=bindparam("seen_at"))
    .returning(*RESIDENTS.c)
)
_settled = threading.Condition()  # notified whenever this process finishes an event
_in_flight: set[str] = set()  # event ids this process has claimed and not finished
_mine = threading.local()  # .event_id: the one this thread is processing


def parse_event(raw: dict) -> Event | None:
    """An SDK event from one raw event, or None when it cannot be read."""
    try:
        return Event.from_dict(raw)
    except Exception:
        return None


# --- storing --------------------------------------------------------------------------------


def store(state: AppState, raw_events: list) -> list[str]:
    """Insert the batch's events as pending in one statement; returns the ids new now.

    Events without a usable webhookEventId are ignored; a repeated id is kept once.
    """
    now, rows, seen = state.now(), [], set()
    for raw in raw_events:
        row = queue.row(raw, now)
        if row is None:
            log.warning("event without a usable webhookEventId ignored")
        elif row["event_id"] not in seen:
            seen.add(row["event_id"])
            rows.append(row)
    rows.sort(key=lambda r: r["occurred_at"])  # stable: a batch keeps LINE's order

    def insert() -> list[str]:
        with urgent_writes(), state.engine.begin() as conn:  # Core: no ORM on the hot path
            return queue.insert_pending(conn, rows)

    return once_more_if_disconnected(insert) if rows else []


def receive(state: AppState, raw_events: list) -> int:
    """Store a webhook's events (processing is the pool's); returns how many were new."""
    return len(store(state, raw_events))


# --- draining -------------------------------------------------------------------------------


@dataclass
class _Taken:
    """One event's transaction, committed: what to do after the commit."""

    event_id: str
    raw: dict[str, Any]
    row_id: int = 0
    reply_by: datetime | None = None  # when the reply token ends (inbox_late.reply_by)
    event: Event | None = None
    result: Outcome | str = "done"
    held: list[int] = field(default_factory=list)
    failed: BaseException | None = None
    pushed: bool = False  # its reply was queued as a push (too late for the token)


@dataclass(frozen=True)
class _NeedsProfile:
    """The event needs a LINE profile read first (outside any transaction)."""

    row_id: int
    user_id: str
    what: str  # language | display_name


def drain(state: AppState, limit: int | None = None, stop=None) -> int:
    """Process pending events until none is ready (or ``limit``, or ``stop()``); how many."""
    taken = 0
    while (limit is None or taken < limit) and not (stop and stop()):
        if process_next(state) is None:
            break
        taken += 1
    return taken


def process_next(state: AppState) -> str | None:
    """Take and process the next ready event; what happened, or None when none is ready."""
    want, extras = None, None
    for _ in range(4):
        try:
            taken = once_more_if_disconnected(partial(_take, state, want, extras))
        except BaseException:
            _forget_mine()
            raise
        if isinstance(taken, _NeedsProfile):  # read it without holding the event, then again
            want, extras = taken.row_id, (taken.row_id, _profile(state, taken))
            continue
        if taken is None and want is not None:  # another drainer took it meanwhile
            want, extras = None, None
            continue
        if taken is None:
            return None
        try:
            return _after_commit(state, taken)
        finally:
            _forget_mine()
    return "contended"  # other drainers kept taking what this one prepared: try again


def _forget_mine() -> None:
    """This thread's event is finished (or its transaction rolled back)."""
    with _settled:
        _in_flight.discard(getattr(_mine, "event_id", None))
        _mine.event_id = None
        _settled.notify_all()


def _profile(state: AppState, need: _NeedsProfile) -> dict:
    try:
        if need.what == "language":
            return {"language": state.gateway.profile_language(need.user_id)}
        return {"display_name": state.gateway.display_name(need.user_id)}
    except Exception as exc:
        log.warning("profile unavailable (%s): going on without it", type(exc).__name__)
        return {}


def _wanted_profile(event: Event | None) -> tuple[str, str] | None:
    """(user id, what) when deciding this event needs the resident's LINE profile."""
    user_id = getattr(getattr(event, "source", None), "user_id", None)
    if not user_id or getattr(event, "mode", None) != "active":
        return None
    if isinstance(event, FollowEvent):
        return user_id, "language"
    if isinstance(event, PostbackEvent) and wants_display_name(event.postback.data):
        return user_id, "display_name"  # はい to the door-list name
    return None


def _lost_connection(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _take(state: AppState, want: int | None, prepared: tuple[int, dict] | None):
    """The event's one transaction: pick, claim, decide, queue (or mark failed)."""
    with transaction(state.sessions) as s:
        conn = s.connection()
        picked = queue.pick(conn, state.now(), want)
        if picked is None:
            return None
        now = state.now()  # after the pick: a sender's events get increasing processed_at
        due = reply_by(picked)
        late = now >= due
        taken = _Taken(picked.event_id, {}, picked.id, due)
        try:
            loaded = json.loads(picked.payload or "null")
            if not isinstance(loaded, dict):
                raise TypeError("a stored event is not an object")
            taken.raw = loaded
            taken.event = parse_event(taken.raw)
            need = _wanted_profile(taken.event)
            if need and (prepared is None or prepared[0] != picked.id):
                queue.lease(conn, picked.id, now + PROFILE_LEASE)
                return _NeedsProfile(picked.id, *need)
        except Exception as exc:
            taken.failed = exc
        if not queue.claim(conn, picked.id, now):
            return _Taken(picked.event_id, taken.raw, result="duplicate")
        with _settled:
            _in_flight.add(picked.event_id)
            _mine.event_id = picked.event_id
        if late:
            warn_backlog(state, conn, now)
        if taken.failed is None:
            extras = prepared[1] if prepared else {}
            try:
                with s.begin_nested():
                    taken.result = _effect(state, s, taken, extras, late)
            except Exception as exc:
                if _lost_connection(exc):
                    raise
                taken.failed, taken.result, taken.held, taken.pushed = exc, "failed", [], False
        if taken.failed is not None:
            queue.fail(conn, picked.id, now)
        elif taken.pushed:
            queue.mark_pushed(conn, picked.id)
        queue.promote(conn, picked.sender)  # last: the sender's lock is held until the commit
        return taken


def _effect(state: AppState, s: Session, taken: _Taken, extras: dict, late: bool):
    """Decide and queue; a str says why nothing was done."""
    event = taken.event
    if event is None:
        log.info(
            "event %s unreadable (type %s): acknowledged, no effect",
            taken.event_id,
            str(taken.raw.get("type"))[:32],
        )
        return "unreadable"
    outcome = _decide(state, s, event, extras)
    if event.mode != "active" and outcome.replies:
        outcome = Outcome()  # standby: another module owns the chat
    user_id = getattr(event.source, "user_id", None)
    if late and outcome.replies:
        if user_id:
            key = ("event", taken.event_id)
            outcome.outbox_ids.append(queue_push(s, user_id, outcome.replies, "late-reply", key))
            taken.pushed = True
        outcome.replies = []
    if outcome.replies and user_id and event.type in HELD_EVENTS:
        taken.held.append(hold(state, s, user_id, outcome.replies, taken.event_id))
    return outcome


def _after_commit(state: AppState, taken: _Taken) -> str:
    """Reply once, settle a held reply, send queued pushes; or log a failure and apologise."""
    if taken.failed is not None:
        exc = taken.failed
        # where it failed, but not the exception's message: it may quote what a resident said
        where = "".join(traceback.format_tb(exc.__traceback__)[-3:])
        kind = taken.raw.get("type") if isinstance(taken.raw, dict) else "?"
        log.error(
            "event %s (%s) failed with %s; marked failed\n%s",
            taken.event_id,
            str(kind)[:32],
            type(exc).__name__,
            where,
        )
        _apologise(state, taken.raw)
        return "failed"
    if isinstance(taken.result, str):
        return taken.result
    outcome, event = taken.result, taken.event
    assert event is not None  # an unreadable event's result is a str
    if taken.pushed:
        metrics.count_late_reply()
    log.debug("event %s %s processed", taken.event_id, event.type)
    token = getattr(event, "reply_token", None)
    if outcome.replies and token and taken.reply_by and state.now() >= taken.reply_by:
        push_late(state, taken, outcome)  # it took too long: the token has expired
    elif outcome.replies and token:
        sent = state.gateway.reply(token, outcome.replies)
        if taken.held:
            settle_held(state, taken.held[0], replied(state, sent, token, outcome.replies))
    elif taken.held:
        settle_held(state, taken.held[0], False)
    for outbox_id in outcome.outbox_ids:
        outbox.deliver(state, outbox_id)
    return "done"


def settle(state: AppState, event_ids: list[str], timeout: float = 10.0) -> bool:
    """Wait until these events are processed and their replies sent (the simulator).

    Drains in the calling thread first, so it works with no pool threads too; then waits
    for events another thread of this process (or another process) is finishing.
    """
    drain(state, limit=50)
    deadline = time.monotonic() + timeout
    while True:
        with state.engine.connect() as conn:
            pending = queue.still_pending(conn, event_ids)
        with _settled:
            if not pending and not _in_flight.intersection(event_ids):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            _settled.wait(min(left, 0.05))


# --- deciding -------------------------------------------------------------------------------


def _decide(state: AppState, s: Session, event: Event, extras: dict) -> Outcome:
    user_id = getattr(event.source, "user_id", None)
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


def _apologise(state: AppState, raw) -> None:
    token = raw.get("replyToken") if isinstance(raw, dict) else None
    if isinstance(token, str) and raw.get("mode") == "active":
        state.gateway.reply(token, [common.text(t("ja", "fallback.error"))])


def recover(state: AppState) -> int:
    """The inbox job: held replies a dead process left, senders left without a head (never
    expected), then any pending events (late ones by push). How many were sent or processed."""
    with state.engine.begin() as conn:
        repaired = queue.repair_heads(conn)
    if repaired:
        log.warning("webhook queue: %d senders had no head; repaired", repaired)
    return release_held(state) + drain(state, limit=1000)
