"""The webhook event queue's statements: store a batch, pick the next event, claim, fail.

Rows are ``webhook_events``. A pending row carries its payload and its ``sender`` (the
source's user, group or room id; the event's own id when it has no source), which orders a
sender's events; both are cleared once the event is claimed or failed. No commits here.

Order: a sender's events are taken by id; within a batch, by ``occurred_at``. Only each
sender's *head* (its first pending event, ``head`` true) is pickable, so a pick reads one
index entry per ready sender however long a sender's backlog is. ``store`` sets the head
when the sender has nothing pending; finishing an event promotes the sender's next one in
the same transaction. On PostgreSQL both first take the sender's advisory lock, so one
sender's ids follow commit order and a store cannot slip between a finish and its promotion
(SQLite's single writer serialises it all). ``leased_until`` keeps a pending event from
other drainers while its drainer reads a LINE profile outside any transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, and_, bindparam, case, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from db.models import WebhookEvent

EVENTS = WebhookEvent.__table__
_INSERTS: dict[str, Callable[[Table], PgInsert | SqliteInsert]] = {
    "postgresql": pg_insert,
    "sqlite": sqlite_insert,
}
FUTURE_SLACK = timedelta(minutes=5)  # LINE's timestamp may run this far ahead of our clock


@dataclass(frozen=True)
class Picked:
    """A pending event taken for this transaction (locked on PostgreSQL)."""

    id: int
    event_id: str
    payload: str | None
    received_at: datetime
    occurred_at: datetime
    sender: str | None


@dataclass(frozen=True)
class Backlog:
    """Events waiting: how many, and how long the oldest has waited (seconds)."""

    pending: int
    oldest_seconds: float


def row(raw: object, now: datetime) -> dict[str, Any] | None:
    """The pending row for one raw event received now; None without a usable webhookEventId."""
    if not isinstance(raw, dict):
        return None
    event_id = raw.get("webhookEventId")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return None
    ts = raw.get("timestamp")
    occurred = (
        datetime.fromtimestamp(ts / 1000, UTC)
        if isinstance(ts, int | float) and not isinstance(ts, bool) and 0 < ts < 1e14
        else now
    )
    if occurred > now + FUTURE_SLACK:  # an absurd clock: the receipt is the better guess
        occurred = now
    found = raw.get("source")
    source: dict[str, Any] = found if isinstance(found, dict) else {}
    user_id = source.get("userId") if isinstance(source.get("userId"), str) else None
    sender = next(
        (v for k in ("userId", "groupId", "roomId") if isinstance(v := source.get(k), str) and v),
        event_id,
    )
    return {
        "event_id": event_id,
        "event_type": str(raw.get("type", "?"))[:32],
        "line_user_id": user_id[:64] if user_id else None,
        "sender": sender[:64],
        "occurred_at": occurred,
        "received_at": now,
        "status": "pending",
        "payload": json.dumps(raw, ensure_ascii=False),
        "head": False,
    }


_ONE = (
    "event_id",
    "event_type",
    "line_user_id",
    "sender",
    "occurred_at",
    "received_at",
    "status",
    "payload",
    "processed_at",
)
# one row, every column a parameter, built once (bench/floor_bot.py stores rows as done)
INSERT_ONE = {
    name: insert(EVENTS)
    .values({c: bindparam(c) for c in _ONE})
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(EVENTS.c.event_id)
    for name, insert in _INSERTS.items()
}


_LOCK_SENDERS = text(
    "SELECT pg_advisory_xact_lock(k) FROM "
    "(SELECT DISTINCT hashtextextended(x, 0) AS k FROM unnest(CAST(:senders AS text[])) AS x "
    "ORDER BY k) AS keys"
)


def lock_senders(conn: Connection, senders: Iterable[str]) -> None:
    """PostgreSQL: take these senders' advisory locks (sorted: no deadlock) until commit."""
    keys = sorted(set(senders))
    if conn.dialect.name == "postgresql" and keys:
        conn.execute(_LOCK_SENDERS, {"senders": keys})


def _known(conn: Connection, rows: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    """(event ids already stored, senders with an event pending) among these rows."""
    ids, senders = [r["event_id"] for r in rows], sorted({r["sender"] for r in rows})
    stored = select(text("'e'"), EVENTS.c.event_id).where(EVENTS.c.event_id.in_(ids))
    waiting = (
        select(text("'s'"), EVENTS.c.sender)
        .where(EVENTS.c.status == "pending", EVENTS.c.sender.in_(senders))
        .distinct()
    )
    found = conn.execute(stored.union_all(waiting)).all()
    return {v for k, v in found if k == "e"}, {v for k, v in found if k == "s"}


def insert_pending(conn: Connection, rows: list[dict[str, Any]]) -> list[str]:
    """Store rows (in order) as pending in one INSERT … ON CONFLICT DO NOTHING; the ids new now.

    Under the senders' locks: each sender with nothing pending gets its first new row as head.
    """
    if not rows:
        return []
    lock_senders(conn, [r["sender"] for r in rows])
    stored, waiting = _known(conn, rows)
    rows = [dict(r, head=False) for r in rows if r["event_id"] not in stored]
    for r in rows:
        if r["sender"] not in waiting:
            r["head"] = True
            waiting.add(r["sender"])
    if not rows:
        return []
    insert = _INSERTS[conn.dialect.name]
    statement = (
        insert(EVENTS)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(EVENTS.c.event_id)
    )
    return list(conn.execute(statement).scalars())


# spelt as the partial index's predicate, literally, so both databases use that index
_READY = text("webhook_events.status = 'pending' AND webhook_events.head")
_COLUMNS = (
    EVENTS.c.id,
    EVENTS.c.event_id,
    EVENTS.c.payload,
    EVENTS.c.received_at,
    EVENTS.c.occurred_at,
    EVENTS.c.sender,
)
_PICK_NEXT = (
    select(*_COLUMNS)
    .where(
        _READY,
        or_(EVENTS.c.leased_until.is_(None), EVENTS.c.leased_until <= bindparam("now")),
    )
    .order_by(EVENTS.c.id)
    .limit(1)
    .with_for_update(skip_locked=True)
)
# The drainer holding the lease waits for a row lock another transaction holds for a moment
# (skipping it would leave the event unworked until its lease ran out, 20 s later).
_PICK_ONE = select(*_COLUMNS).where(_READY, EVENTS.c.id == bindparam("want")).with_for_update()
_DONE = {"payload": None, "sender": None, "head": False, "leased_until": None}
_CLAIM = (
    update(EVENTS)
    .where(EVENTS.c.id == bindparam("row_id"), EVENTS.c.status == "pending")
    .values(status="done", processed_at=bindparam("at"), **_DONE)
)
_FAIL = (
    update(EVENTS)
    .where(EVENTS.c.id == bindparam("row_id"))
    .values(status="failed", error="handler error", processed_at=bindparam("at"), **_DONE)
)
_FIRST_PENDING = (
    select(func.min(EVENTS.c.id))
    .where(EVENTS.c.status == "pending", EVENTS.c.sender == bindparam("of_sender"))
    .scalar_subquery()
)
_PROMOTE = (
    update(EVENTS).where(EVENTS.c.id == _FIRST_PENDING, EVENTS.c.head.is_(False)).values(head=True)
)
_LEASE = (
    update(EVENTS)
    .where(EVENTS.c.id == bindparam("row_id"), EVENTS.c.status == "pending")
    .values(leased_until=bindparam("until"))
)


def pick(conn: Connection, now: datetime, want: int | None = None) -> Picked | None:
    """The first ready head (by id) not leased to another drainer, or None.

    On PostgreSQL it is locked (``FOR UPDATE SKIP LOCKED``) until the transaction ends, so
    another drainer passes over it; on SQLite the transaction holds the database's write
    lock. ``want`` asks for that row only (the drainer holding its lease).
    """
    if want:
        found = conn.execute(_PICK_ONE, {"want": want})
    else:
        found = conn.execute(_PICK_NEXT, {"now": now})
    got = found.first()
    return Picked(*got) if got is not None else None


def lease(conn: Connection, row_id: int, until: datetime) -> None:
    """Keep this pending event from other drainers' picks until then (a profile read)."""
    conn.execute(_LEASE, {"row_id": row_id, "until": until})


def claim(conn: Connection, row_id: int, now: datetime) -> bool:
    """pending → done (payload and sender cleared); False when it was not pending."""
    return bool(conn.execute(_CLAIM, {"row_id": row_id, "at": now}).rowcount)


def promote(conn: Connection, sender: str | None) -> None:
    """The sender's event is finished in this transaction: its next pending one is the head.

    Call it last before the commit: the sender's lock (PostgreSQL) is held until then.
    """
    if sender is not None:
        lock_senders(conn, [sender])
        conn.execute(_PROMOTE, {"of_sender": sender})


def repair_heads(conn: Connection) -> int:
    """Senders with events pending but no head get one (a safety net for the inbox job)."""
    heads = func.sum(case((EVENTS.c.head.is_(True), 1), else_=0))
    headless = (
        select(EVENTS.c.sender)
        .where(EVENTS.c.status == "pending", EVENTS.c.sender.is_not(None))
        .group_by(EVENTS.c.sender)
        .having(heads == 0)
    )
    senders = list(conn.execute(headless).scalars())
    for sender in senders:
        promote(conn, sender)
    return len(senders)


def mark_pushed(conn: Connection, row_id: int) -> None:
    """Its reply went as a push (too late for the reply token): counted for staff."""
    conn.execute(update(EVENTS).where(EVENTS.c.id == row_id).values(replied_by_push=True))


def still_pending(conn: Connection, event_ids: list[str]) -> set[str]:
    """Which of these events are still pending."""
    if not event_ids:
        return set()
    found = select(EVENTS.c.event_id).where(
        EVENTS.c.event_id.in_(event_ids), EVENTS.c.status == "pending"
    )
    return set(conn.execute(found).scalars())


def fail(conn: Connection, row_id: int, now: datetime) -> None:
    """Mark a claimed event failed (its effect was rolled back)."""
    conn.execute(_FAIL, {"row_id": row_id, "at": now})


def backlog(conn: Connection, now: datetime) -> Backlog:
    """How many events are pending and the oldest one's age."""
    pending, oldest = conn.execute(
        select(func.count(), func.min(EVENTS.c.received_at)).where(EVENTS.c.status == "pending")
    ).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return Backlog(int(pending), age)


def pushed_since(conn: Connection, since: datetime) -> int:
    """Events processed since then whose reply went as a push (too late for the token)."""
    return int(
        conn.execute(
            select(func.count()).where(
                and_(EVENTS.c.replied_by_push.is_(True), EVENTS.c.processed_at >= since)
            )
        ).scalar_one()
    )
