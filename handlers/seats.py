"""Seat rules: who may sign up, when a seat is taken or a waitlist place given, who is promoted.

Every change locks the event first (`db.events.lock_event`), so the rules below read the
seats and act on them in one step; the storage primitives (`take_seat_if_free`,
`join_waitlist`, `first_waiting`…) are in `db/events_signups.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from db import events as store
from db import events_signups as signups
from db.base import utcnow
from db.events import ACTIVE, Event, Signup
from messages.text import nfkc


@dataclass
class JoinResult:
    """What a sign-up attempt did."""

    status: str  # confirmed | waitlisted | full | closed | already | unknown | bad_mode
    event: Event | None = None
    signup: Signup | None = None
    position: int | None = None
    seats_other: dict[str, int] = field(default_factory=dict)


def join(
    session: Session,
    event_id: str,
    resident_id: int,
    mode: str,
    now: datetime,
    *,
    waitlist: bool = False,
    prefer: tuple[str, ...] | list[str] = (),
) -> JoinResult:
    """Take a seat in a mode, or (with waitlist=True) a place on its waitlist when full.

    Refused for an unknown event or mode, after sign-up closes, or when already signed up.
    `prefer`: attendance codes to use, first one no one else holds for this event (a series
    keeps one code).
    """
    event = signups.lock_event(session, event_id)
    if event is None:
        return JoinResult("unknown")
    if mode not in event.modes:
        return JoinResult("bad_mode", event)
    if not event.open_at(now):
        return JoinResult("closed", event)
    row = signups.lock_signup(session, event_id, resident_id)
    if row is not None and row.status in ACTIVE:
        return JoinResult("already", event, row, store.waitlist_position(session, row))
    seat = signups.take_seat_if_free(session, event, resident_id, mode, now, prefer)
    if seat is not None:
        return JoinResult("confirmed", event, seat)
    if not waitlist:
        left = store.seats_left(session, event)
        others = {m: n for m, n in left.items() if m != mode and n > 0}
        return JoinResult("full", event, seats_other=others)
    place = signups.join_waitlist(session, event, resident_id, mode, now, prefer)
    return JoinResult("waitlisted", event, place, store.waitlist_position(session, place))


@dataclass
class CancelResult:
    """What a cancellation did, and whom it promoted from the waitlist."""

    status: str  # cancelled | not_signed_up | started | unknown
    event: Event | None = None
    signup: Signup | None = None
    promoted: list[Signup] = field(default_factory=list)


def cancel(session: Session, event_id: str, resident_id: int, now: datetime) -> CancelResult:
    """Cancel the resident's sign-up (not once the event has started); a freed seat goes to
    the first one waiting."""
    event = signups.lock_event(session, event_id)
    if event is None:
        return CancelResult("unknown")
    row = signups.lock_signup(session, event_id, resident_id)
    if row is None or row.status not in ACTIVE:
        return CancelResult("not_signed_up", event, row)
    if now >= event.starts_at:
        return CancelResult("started", event, row)
    was_confirmed = row.status == "confirmed"
    signups.cancel_row(session, row, now)
    promoted = fill_seats(session, event, row.mode, now) if was_confirmed else []
    return CancelResult("cancelled", event, row, promoted)


def fill_seats(session: Session, event: Event, mode: str, now: datetime) -> list[Signup]:
    """Promote the first people waiting while there are free seats (never over capacity).

    Call with the event locked. Nobody is promoted once it has started; residents who
    blocked the account are passed over (they keep their place).
    """
    if now >= event.starts_at:
        return []
    free = store.seats_left(session, event).get(mode, 0)
    if free <= 0:
        return []
    rows = signups.first_waiting(session, event.id, mode, limit=free)
    signups.confirm_waiting(session, rows, now)
    return rows


@dataclass
class CheckinResult:
    """What a check-in did."""

    status: str  # checked_in | already | unknown_code | not_confirmed | unknown_event
    signup: Signup | None = None


def normalise_code(code: str) -> str:
    """An attendance code as typed (full-width digits, spaces) → its stored form."""
    return nfkc(code, strip=True).replace(" ", "").replace("-", "")


def checkin(
    session: Session, event_id: str, code: str, now: datetime | None = None
) -> CheckinResult:
    """Record attendance for the sign-up with this code: confirmed sign-ups only, once."""
    if store.get_event(session, event_id) is None:
        return CheckinResult("unknown_event")
    row = signups.signup_by_code(session, event_id, normalise_code(code))
    if row is None:
        return CheckinResult("unknown_code")
    if row.status != "confirmed":
        return CheckinResult("not_confirmed", row)
    if row.attended_at is not None:
        return CheckinResult("already", row)
    signups.mark_attended(session, row, now or utcnow())
    return CheckinResult("checked_in", row)
