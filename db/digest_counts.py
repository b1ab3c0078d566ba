"""The weekly digest's counts that no area module holds: friends, opinions, open surveys,
recipients. Each is one query over a period [start, end); the digest shapes them
(handlers/digest*.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from db.models import Resident, WebhookEvent
from db.opinions import Opinion
from db.staff import Staff
from db.surveys import Survey


def _within(
    column: QueryableAttribute[datetime | None], start: datetime, end: datetime
) -> ColumnElement[bool]:
    return (column >= start) & (column < end)


def digest_staff_emails(session: Session) -> list[str]:
    """E-mail addresses of active staff who asked for the digest by e-mail."""
    return list(
        session.scalars(
            select(Staff.email).where(Staff.active.is_(True), Staff.digest_email.is_(True))
        )
    )


@dataclass(frozen=True)
class FriendCounts:
    """Friends gained and blocks in the period; friends, active ones, profiles now."""

    gained: int
    blocks: int
    total: int
    active: int
    profiles: int


def friend_counts(session: Session, start: datetime, end: datetime) -> FriendCounts:
    """How the account's friends changed in [start, end), and where they stand."""
    gained = session.scalar(select(func.count()).where(_within(Resident.followed_at, start, end)))
    blocks = session.scalar(
        select(func.count()).where(
            Resident.blocked.is_(True), _within(Resident.blocked_at, start, end)
        )
    )
    total = session.scalar(select(func.count()).where(Resident.blocked.is_(False)))
    active = session.scalar(
        select(func.count(func.distinct(WebhookEvent.line_user_id))).where(
            WebhookEvent.line_user_id.is_not(None),
            WebhookEvent.event_type.in_(("message", "postback", "follow")),
            _within(WebhookEvent.occurred_at, start, end),
        )
    )
    profiles = session.scalar(
        select(func.count()).where(
            Resident.blocked.is_(False),
            Resident.consent == "agreed",
            Resident.onboarded_at.is_not(None),
        )
    )
    return FriendCounts(gained or 0, blocks or 0, total or 0, active or 0, profiles or 0)


@dataclass(frozen=True)
class OpinionCounts:
    """Opinions and public comments: in total and received in the period."""

    opinions_total: int
    opinions_week: int
    comments_total: int
    comments_week: int


def opinion_counts(session: Session, start: datetime, end: datetime) -> OpinionCounts:
    """Opinions (no consultation) and public comments, in total and in [start, end)."""
    rows = session.execute(
        select(
            Opinion.consultation_id.is_(None),
            func.count(),
            func.count().filter(_within(Opinion.created_at, start, end)),
        ).group_by(Opinion.consultation_id.is_(None))
    ).all()
    counts = {bool(is_opinion): (total, week) for is_opinion, total, week in rows}
    op_total, op_week = counts.get(True, (0, 0))
    pc_total, pc_week = counts.get(False, (0, 0))
    return OpinionCounts(op_total, op_week, pc_total, pc_week)


def surveys_open_between(session: Session, start: datetime, end: datetime) -> list[Survey]:
    """Surveys open at some time in [start, end), closing first first."""
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.opens_at < end, Survey.closes_at > start)
            .order_by(Survey.closes_at, Survey.id)
        )
    )
