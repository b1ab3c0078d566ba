"""Held replies: a follow's welcome kept in the outbox until it is known to have gone out.

Stored as *held* in the event's transaction; a reply that goes out deletes it, one that
fails releases it as a push at once, and a process that died leaves it for the inbox job,
which releases it after HELD_FOR (longer than any reply can take).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import outbox
from bot.state import AppState
from db.models import Outbox
from handlers.pushes import queue as queue_push

HELD_FOR = timedelta(minutes=2)  # a reply starts within 50 s and is given up within seconds
HELD = "held"  # the outbox status of a reply kept until it is known to have gone out
HELD_EVENTS = {"follow"}  # events whose reply is kept that way
OUTBOX = Outbox.__table__


def hold(state: AppState, s: Session, user_id: str, replies: list, event_id: str) -> int:
    """Keep a copy of the reply in the outbox, not yet to be sent, in the event's transaction."""
    outbox_id = queue_push(s, user_id, replies, "reply", ("event", event_id))
    kept = s.get(Outbox, outbox_id)
    assert kept is not None  # queued just now, in this transaction
    kept.status, kept.created_at = HELD, state.now()
    return outbox_id


def replied(state: AppState, sent, token: str, replies: list) -> bool:
    """Whether a held reply reached the resident.

    With no answer at all (a timeout) it may have: the token is single-use, so asking once
    more either delivers it now or is refused with 400 because it was used.
    """
    if sent.ok or (sent.error or "").startswith("HTTP"):
        return sent.ok
    again = state.gateway.reply(token, replies)
    return again.ok or again.error == "HTTP 400"


def settle_held(state: AppState, outbox_id: int, went: bool) -> None:
    """The reply went out: forget the copy; it did not: send the copy as a push now."""
    with state.engine.begin() as conn:
        mine = OUTBOX.c.id == outbox_id, OUTBOX.c.status == HELD
        if went:
            conn.execute(OUTBOX.delete().where(*mine))
            return
        conn.execute(update(OUTBOX).where(*mine).values(status="pending"))
    outbox.deliver(state, outbox_id)


def release_held(state: AppState) -> int:
    """Send as pushes the held replies a dead process left (older than HELD_FOR)."""
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
