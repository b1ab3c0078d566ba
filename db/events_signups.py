"""Changing sign-ups: row locks, seats taken only while free, waitlist places, codes.

Storage primitives only; which of them to call (and who is promoted) is decided in
`handlers/seats.py`. Call them with the event locked (`lock_event`): counting the seats
and taking one is then one step, so an event is never overbooked.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.events import ACTIVE, Event, Signup, seats_left
from db.models import Resident

__all__ = [
    "cancel_row",
    "confirm_waiting",
    "first_waiting",
    "join_waitlist",
    "lock_event",
    "lock_signup",
    "mark_attended",
    "mark_due_reminders",
    "mark_reminded",
    "series_code",
    "series_codes_of",
    "set_door_name",
    "signup_by_code",
    "take_seat_if_free",
]

CODE_DIGITS = 4


def lock_event(session: Session, event_id: str) -> Event | None:
    """The event, locked for this transaction (serialises sign-ups for it)."""
    return session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_signup(session: Session, event_id: str, resident_id: int) -> Signup | None:
    """The resident's sign-up row for the event (any status), locked for this transaction."""
    return session.scalar(
        select(Signup)
        .where(Signup.event_id == event_id, Signup.resident_id == resident_id)
        .with_for_update()
    )


# --- attendance codes ----------------------------------------------------------------------


def _fresh_code(taken: set[str]) -> str:
    for _ in range(1000):
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if code not in taken:
            return code
    digits = CODE_DIGITS + 2  # a very full event: longer codes
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def _taken_by_others(session: Session, event_ids: list[str], resident_id: int) -> set[str]:
    return set(
        session.scalars(
            select(Signup.attendance_code).where(
                Signup.event_id.in_(event_ids), Signup.resident_id != resident_id
            )
        )
    )


def _new_code(session: Session, event_id: str) -> str:
    taken = set(session.scalars(select(Signup.attendance_code).where(Signup.event_id == event_id)))
    return _fresh_code(taken)


def series_code(session: Session, event_ids: list[str], resident_id: int) -> str:
    """One attendance code for the resident across these events (call with them all locked).

    The resident's own code from one of them (active sign-ups first) when no one else holds
    it in any of them; otherwise a new code free in all of them.
    """
    taken = _taken_by_others(session, event_ids, resident_id)
    mine = session.scalars(
        select(Signup.attendance_code)
        .where(Signup.event_id.in_(event_ids), Signup.resident_id == resident_id)
        .order_by(Signup.status.not_in(ACTIVE), Signup.created_at, Signup.id)
    )
    for code in mine:
        if code not in taken:
            return code
    return _fresh_code(taken)


def series_codes_of(session: Session, series: str, resident_id: int) -> list[str]:
    """The codes of the resident's active sign-ups in a series, oldest first."""
    return list(
        session.scalars(
            select(Signup.attendance_code)
            .join(Event, Event.id == Signup.event_id)
            .where(
                Event.series == series,
                Signup.resident_id == resident_id,
                Signup.status.in_(ACTIVE),
            )
            .order_by(Signup.created_at, Signup.id)
        )
    )


# --- taking a place (call with the event locked) ---------------------------------------------


def _next_seq(session: Session, event_id: str) -> int:
    top = session.scalar(select(func.max(Signup.waitlist_seq)).where(Signup.event_id == event_id))
    return (top or 0) + 1


def _write(
    session: Session,
    event_id: str,
    resident_id: int,
    mode: str,
    now: datetime,
    seq: int | None,
    prefer: Iterable[str],
) -> Signup:
    """Store the resident's place: a seat (seq None) or waitlist place `seq`.

    `prefer`: attendance codes to use, first one no one else holds for this event; otherwise
    the row keeps its code, or a new row gets a new one.
    """
    prefer = list(prefer)
    taken = _taken_by_others(session, [event_id], resident_id) if prefer else set()
    code = next((c for c in prefer if c not in taken), None)
    row = lock_signup(session, event_id, resident_id)
    if row is None:
        row = Signup(
            event_id=event_id,
            resident_id=resident_id,
            attendance_code=code or _new_code(session, event_id),
        )
        session.add(row)
    elif code:
        row.attendance_code = code
    row.mode = mode
    row.created_at = row.updated_at = now
    row.cancelled_at = None
    row.status = "confirmed" if seq is None else "waitlisted"
    row.waitlist_seq = seq
    row.confirmed_at = now if seq is None else None
    session.flush()
    return row


def take_seat_if_free(
    session: Session,
    event: Event,
    resident_id: int,
    mode: str,
    now: datetime,
    prefer: Iterable[str] = (),
) -> Signup | None:
    """A confirmed seat in the mode if one is free (counted under the event's lock), else None."""
    if seats_left(session, event).get(mode, 0) <= 0:
        return None
    return _write(session, event.id, resident_id, mode, now, None, prefer)


def join_waitlist(
    session: Session,
    event: Event,
    resident_id: int,
    mode: str,
    now: datetime,
    prefer: Iterable[str] = (),
) -> Signup:
    """A place at the end of the event's waitlist (one sequence per event, under its lock)."""
    return _write(session, event.id, resident_id, mode, now, _next_seq(session, event.id), prefer)


def cancel_row(session: Session, signup: Signup, now: datetime) -> None:
    """Mark the sign-up cancelled (its waitlist place and door-list name go)."""
    signup.status, signup.waitlist_seq, signup.door_name = "cancelled", None, None
    signup.cancelled_at = signup.updated_at = now
    session.flush()


def first_waiting(session: Session, event_id: str, mode: str, limit: int) -> list[Signup]:
    """The first `limit` people waiting in the mode who have not blocked us, locked, in order."""
    return list(
        session.scalars(
            select(Signup)
            .join(Resident, Resident.id == Signup.resident_id)
            .where(
                Signup.event_id == event_id,
                Signup.mode == mode,
                Signup.status == "waitlisted",
                Resident.blocked.is_(False),
            )
            .order_by(Signup.waitlist_seq)
            .limit(limit)
            .with_for_update(of=Signup)
        )
    )


def confirm_waiting(session: Session, rows: list[Signup], now: datetime) -> None:
    """Give each of these waiting sign-ups its seat."""
    for row in rows:
        row.status, row.waitlist_seq = "confirmed", None
        row.confirmed_at = row.updated_at = now
    session.flush()


# --- details on a sign-up ------------------------------------------------------------------


def set_door_name(signup: Signup, name: str | None, now: datetime) -> None:
    """Store (or, with None, clear) the name shown on the door list for this sign-up."""
    signup.door_name = name
    signup.updated_at = now


def mark_reminded(signup: Signup, now: datetime) -> None:
    """Record that the resident has been given the practical details (no reminder follows)."""
    signup.reminded_at = now


def mark_due_reminders(session: Session, now: datetime, before: datetime) -> list[Signup]:
    """Mark reminded every unreminded confirmed sign-up (resident not blocked) of an event
    starting in (now, before), in one UPDATE … RETURNING; returns those sign-ups by id."""
    due_events = select(Event.id).where(Event.starts_at > now, Event.starts_at < before)
    reachable = select(Resident.id).where(Resident.blocked.is_(False))
    marked = session.execute(
        update(Signup)
        .where(
            Signup.status == "confirmed",
            Signup.reminded_at.is_(None),
            Signup.event_id.in_(due_events),
            Signup.resident_id.in_(reachable),
        )
        .values(reminded_at=now)
        .returning(Signup.id)
        .execution_options(synchronize_session=False)
    )
    ids = [row[0] for row in marked]
    if not ids:
        return []
    return list(session.scalars(select(Signup).where(Signup.id.in_(ids)).order_by(Signup.id)))


def signup_by_code(session: Session, event_id: str, code: str) -> Signup | None:
    """The event's sign-up with this (normalised) attendance code, locked."""
    return session.scalar(
        select(Signup)
        .where(Signup.event_id == event_id, Signup.attendance_code == code)
        .with_for_update()
    )


def mark_attended(session: Session, signup: Signup, now: datetime) -> None:
    """Record the check-in."""
    signup.attended_at = signup.updated_at = now
    session.flush()
