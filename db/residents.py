"""Residents: find one by LINE user id, add one, clear their chosen topics."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from db.models import Resident, ResidentTopic


def by_line_user_id(session: Session, user_id: str) -> Resident | None:
    """The resident with this LINE user id, if we know them."""
    return session.scalar(select(Resident).where(Resident.line_user_id == user_id))


def add(session: Session, user_id: str, now: datetime) -> Resident:
    """A new resident row for a LINE user id (flushed, so it has an id)."""
    resident = Resident(line_user_id=user_id, created_at=now)
    session.add(resident)
    session.flush()
    return resident


def clear_topics(session: Session, resident: Resident) -> None:
    """Delete every topic the resident chose (they then receive every topic again)."""
    session.execute(delete(ResidentTopic).where(ResidentTopic.resident_id == resident.id))
    session.expire(resident, ["topics"])
