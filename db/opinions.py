"""Opinions residents send, and public comments on a draft plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import ForeignKey, Select, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow


class Opinion(Base):
    """An opinion (consultation empty) or a public comment on a section of a draft."""

    __tablename__ = "opinions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True
    )
    consultation_id: Mapped[str | None] = mapped_column(String(64), index=True)
    section: Mapped[str | None] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    receipt_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


KINDS = ("all", "opinion", "comment")  # every one; 意見 only; public comments only


def _of_kind(query: Select, kind: str) -> Select:
    if kind == "opinion":
        return query.where(Opinion.consultation_id.is_(None))
    if kind == "comment":
        return query.where(Opinion.consultation_id.is_not(None))
    return query


def listed(session: Session, kind: str = "all", limit: int | None = None, offset: int = 0):
    """Opinions of a kind, newest first, and how many there are in all."""
    total = session.scalar(_of_kind(select(func.count()).select_from(Opinion), kind))
    query = _of_kind(select(Opinion), kind).order_by(Opinion.created_at.desc(), Opinion.id.desc())
    rows = session.scalars(query.limit(limit).offset(offset))
    return list(rows), total or 0


def streamed(session: Session, kind: str = "all") -> Iterator[Opinion]:
    """Every opinion of a kind, oldest first, read in chunks (for exports)."""
    query = _of_kind(select(Opinion), kind).order_by(Opinion.created_at, Opinion.id)
    return session.scalars(query.execution_options(yield_per=1000))
