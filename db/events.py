"""Events (workshops, district meetings) and sign-ups: models and queries.

Capacity is per mode (onsite / online). Every change to an event's sign-ups happens with
the event row locked (`lock_event`: SELECT … FOR UPDATE on PostgreSQL; SQLite serialises
writers with BEGIN IMMEDIATE), so counting the seats and taking one is one step.

Segment hooks (for announcements): `signed_up=<event id>` is
`event_signups.event_id = :id AND event_signups.status IN ('confirmed', 'waitlisted')`,
`attended=<event id>` is `event_signups.event_id = :id AND event_signups.attended_at IS NOT
NULL`; both yield `event_signups.resident_id` (see `signed_up_residents`, `attended_residents`).

This module stores and reads; changing sign-ups (locks, seats, codes) is `db/events_signups.py`,
and the rules (who gets a seat, who is promoted) are `handlers/seats.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Case,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    and_,
    case,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from db.base import Base, utcnow
from db.models import Resident

MODES = ("onsite", "online")
FORMATS = ("onsite", "online", "hybrid")
ACTIVE = ("confirmed", "waitlisted")


class Event(Base):
    """A workshop or meeting, as applied from a `kind: event` content file."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    series: Mapped[str | None] = mapped_column(String(64), index=True)
    series_title: Mapped[dict[str, str]] = mapped_column(default=dict)  # {ja: …, en: …} or {}
    title: Mapped[dict[str, str]] = mapped_column()  # {ja: …, en: …}
    description: Mapped[dict[str, str]] = mapped_column(default=dict)
    venue: Mapped[dict[str, str]] = mapped_column(default=dict)
    format: Mapped[str] = mapped_column(String(8))  # onsite | online | hybrid
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    capacity_onsite: Mapped[int] = mapped_column(default=0)
    capacity_online: Mapped[int] = mapped_column(default=0)
    online_url: Mapped[str | None] = mapped_column(String(1000))
    signup_closes_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes one can attend in."""
        return MODES if self.format == "hybrid" else (self.format,)

    def capacity(self, mode: str) -> int:
        """Seats for a mode (0 when the event has no such mode)."""
        if mode not in self.modes:
            return 0
        return self.capacity_onsite if mode == "onsite" else self.capacity_online

    def closes_at(self) -> datetime:
        """When sign-up closes: signup_closes_at, or the start."""
        return self.signup_closes_at or self.starts_at

    def open_at(self, now: datetime) -> bool:
        """Whether sign-up is open at this time."""
        return now < self.closes_at() and now < self.starts_at


class Signup(Base):
    """One resident's place at one event: confirmed, waitlisted or cancelled (one row each)."""

    __tablename__ = "event_signups"
    __table_args__ = (
        UniqueConstraint("resident_id", "event_id"),
        UniqueConstraint("attendance_code", "event_id"),
        Index("ix_event_signups_event_mode_status", "event_id", "mode", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(8))  # onsite | online
    status: Mapped[str] = mapped_column(String(12))  # confirmed | waitlisted | cancelled
    waitlist_seq: Mapped[int | None]  # order on the waitlist (lower first), while waitlisted
    attendance_code: Mapped[str] = mapped_column(String(8))
    attended_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the day-before reminder was queued
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    # LINE display name for the door list, only where the resident agreed (cleared on cancel)
    door_name: Mapped[str | None] = mapped_column(String(100))

    event: Mapped[Event] = relationship()
    resident: Mapped[Resident] = relationship()

    @property
    def attended(self) -> bool:
        """Checked in by staff."""
        return self.attended_at is not None


# --- reading --------------------------------------------------------------------------


def get_event(session: Session, event_id: str) -> Event | None:
    """One event by id."""
    return session.get(Event, event_id)


def all_events(session: Session, *, newest_first: bool = False) -> list[Event]:
    """Every event, by start (soonest first, or with newest_first the latest first)."""
    order = Event.starts_at.desc() if newest_first else Event.starts_at
    return list(session.scalars(select(Event).order_by(order, Event.id)))


def upcoming_events(
    session: Session, now: datetime, limit: int | None = None, offset: int = 0
) -> list[Event]:
    """Events that have not started yet, soonest first."""
    stmt = (
        select(Event)
        .where(Event.starts_at > now)
        .order_by(Event.starts_at, Event.id)
        .offset(offset)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def count_upcoming(session: Session, now: datetime) -> int:
    """How many events have not started yet."""
    return session.scalar(select(func.count()).select_from(Event).where(Event.starts_at > now)) or 0


def series_events(session: Session, series: str, now: datetime) -> list[Event]:
    """The sessions of a series that have not started, in order."""
    return list(
        session.scalars(
            select(Event)
            .where(Event.series == series, Event.starts_at > now)
            .order_by(Event.starts_at, Event.id)
        )
    )


def confirmed_counts(session: Session, event_ids: list[str]) -> dict[tuple[str, str], int]:
    """(event id, mode) → confirmed sign-ups."""
    if not event_ids:
        return {}
    rows = session.execute(
        select(Signup.event_id, Signup.mode, func.count())
        .where(Signup.event_id.in_(event_ids), Signup.status == "confirmed")
        .group_by(Signup.event_id, Signup.mode)
    )
    return {(e, m): n for e, m, n in rows}


def seats_left(session: Session, event: Event) -> dict[str, int]:
    """mode → seats left (never negative)."""
    counts = confirmed_counts(session, [event.id])
    return {m: max(0, event.capacity(m) - counts.get((event.id, m), 0)) for m in event.modes}


def signup_for(session: Session, event_id: str, resident_id: int) -> Signup | None:
    """The resident's sign-up row for an event (any status)."""
    return session.scalar(
        select(Signup).where(Signup.event_id == event_id, Signup.resident_id == resident_id)
    )


def signups_of(
    session: Session, resident_id: int, event_ids: list[str] | None = None
) -> dict[str, Signup]:
    """event id → the resident's active (confirmed or waitlisted) sign-up."""
    stmt = select(Signup).where(Signup.resident_id == resident_id, Signup.status.in_(ACTIVE))
    if event_ids is not None:
        stmt = stmt.where(Signup.event_id.in_(event_ids))
    return {s.event_id: s for s in session.scalars(stmt)}


def my_upcoming(session: Session, resident_id: int, now: datetime) -> list[Event]:
    """Events not started yet where the resident is confirmed or waitlisted, soonest first."""
    return list(
        session.scalars(
            select(Event)
            .join(Signup, Signup.event_id == Event.id)
            .where(
                Signup.resident_id == resident_id,
                Signup.status.in_(ACTIVE),
                Event.starts_at > now,
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def waitlist_position(session: Session, signup: Signup) -> int | None:
    """1 for the first person waiting for that event and mode; None unless waitlisted."""
    if signup.status != "waitlisted" or signup.waitlist_seq is None:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Signup)
        .where(
            Signup.event_id == signup.event_id,
            Signup.mode == signup.mode,
            Signup.status == "waitlisted",
            Signup.waitlist_seq < signup.waitlist_seq,
        )
    )
    return (ahead or 0) + 1


def _position_column() -> Case[Any]:
    return case(
        (
            Signup.status == "waitlisted",
            func.row_number().over(
                partition_by=(Signup.event_id, Signup.mode, Signup.status),
                order_by=Signup.waitlist_seq,
            ),
        ),
        else_=None,
    )


@dataclass(frozen=True)
class Attendee:
    """One row of an attendee list."""

    signup_id: int
    line_user_id: str
    mode: str
    status: str
    waitlist_position: int | None
    attendance_code: str
    attended_at: datetime | None
    signed_up_at: datetime
    cancelled_at: datetime | None
    door_name: str | None = None


def attendees(session: Session, event_id: str) -> list[Attendee]:
    """Every sign-up of an event with its waitlist position, confirmed first."""
    position = _position_column().label("position")
    order = case((Signup.status == "confirmed", 0), (Signup.status == "waitlisted", 1), else_=2)
    stmt = (
        select(
            Signup.id,
            Resident.line_user_id,
            Signup.mode,
            Signup.status,
            position,
            Signup.attendance_code,
            Signup.attended_at,
            Signup.created_at,
            Signup.cancelled_at,
            Signup.door_name,
        )
        .join(Resident, Resident.id == Signup.resident_id)
        .where(Signup.event_id == event_id)
        .order_by(order, Signup.mode, Signup.waitlist_seq, Signup.confirmed_at, Signup.id)
    )
    return [Attendee(*row) for row in session.execute(stmt)]


@dataclass(frozen=True)
class ModeCount:
    """Sign-ups for one event and mode against its capacity."""

    event_id: str
    mode: str
    capacity: int
    confirmed: int
    waitlisted: int
    attended: int


def signup_counts(session: Session, event_ids: list[str] | None = None) -> list[ModeCount]:
    """Per event and mode: capacity, confirmed, waitlisted and attended (one GROUP BY)."""
    modes = union_all(
        select(literal("onsite").label("mode")), select(literal("online").label("mode"))
    ).subquery()
    capacity = case((modes.c.mode == "onsite", Event.capacity_onsite), else_=Event.capacity_online)
    on = and_(Signup.event_id == Event.id, Signup.mode == modes.c.mode)
    stmt = (
        select(
            Event.id,
            modes.c.mode,
            capacity,
            func.count(case((Signup.status == "confirmed", 1))),
            func.count(case((Signup.status == "waitlisted", 1))),
            func.count(Signup.attended_at),
        )
        .select_from(Event)
        .join(modes, (Event.format == "hybrid") | (Event.format == modes.c.mode))
        .outerjoin(Signup, on)
        .group_by(Event.id, modes.c.mode, capacity, Event.starts_at)
        .order_by(Event.starts_at, Event.id, modes.c.mode.desc())
    )
    if event_ids is not None:
        stmt = stmt.where(Event.id.in_(event_ids))
    return [ModeCount(*row) for row in session.execute(stmt)]


def cancellations(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """event id → sign-ups cancelled in [start, end) (and not taken up again)."""
    rows = session.execute(
        select(Signup.event_id, func.count())
        .where(
            Signup.status == "cancelled", Signup.cancelled_at >= start, Signup.cancelled_at < end
        )
        .group_by(Signup.event_id)
    )
    return dict(rows.all())


def signups_between(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """event id → sign-ups made in [start, end) that are still confirmed or waitlisted."""
    rows = session.execute(
        select(Signup.event_id, func.count())
        .where(Signup.status.in_(ACTIVE), Signup.created_at >= start, Signup.created_at < end)
        .group_by(Signup.event_id)
    )
    return dict(rows.all())


def signed_up_residents(event_ids: list[str]) -> Select[int]:
    """resident ids signed up (confirmed or waitlisted) for any of the events (segments)."""
    return select(Signup.resident_id).where(
        Signup.event_id.in_(event_ids), Signup.status.in_(ACTIVE)
    )


def attended_residents(event_ids: list[str]) -> Select[int]:
    """resident ids checked in at any of the events (segments)."""
    return select(Signup.resident_id).where(
        Signup.event_id.in_(event_ids), Signup.attended_at.is_not(None)
    )


def open_series_counts(session: Session, series: set[str], now: datetime) -> dict[str, int]:
    """series → sessions still open for sign-up."""
    if not series:
        return {}
    closes = func.coalesce(Event.signup_closes_at, Event.starts_at)
    rows = session.execute(
        select(Event.series, func.count())
        .where(Event.series.in_(series), Event.starts_at > now, closes > now)
        .group_by(Event.series)
    )
    # the IN leaves out events without a series: every key is a str
    return dict(cast("list[tuple[str, int]]", rows.all()))


def active_upcoming_signups(session: Session, resident_id: int, now: datetime) -> list[Signup]:
    """The resident's confirmed or waitlisted sign-ups for events not started, soonest first."""
    return list(
        session.scalars(
            select(Signup)
            .join(Event, Event.id == Signup.event_id)
            .where(
                Signup.resident_id == resident_id,
                Signup.status.in_(ACTIVE),
                Event.starts_at > now,
            )
            .order_by(Event.starts_at, Event.id)
        )
    )


def count_signups_of(session: Session, resident_id: int) -> int:
    """Every sign-up row the resident has (any status)."""
    return (
        session.scalar(
            select(func.count()).select_from(Signup).where(Signup.resident_id == resident_id)
        )
        or 0
    )
