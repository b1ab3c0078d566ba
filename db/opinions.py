"""Opinions residents send, and public comments on a draft plan."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TypeVarTuple

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
    # staff's handling (console ご意見): never shown to the resident
    status: Mapped[str] = mapped_column(
        String(16), default="open", server_default="open", index=True
    )
    category: Mapped[str | None] = mapped_column(String(64), index=True)
    memo: Mapped[str | None] = mapped_column(Text)
    handled_at: Mapped[datetime | None]  # when staff last changed status, category or memo


class OpinionReply(Base):
    """A reply staff sent to the resident by LINE push (through the outbox, under a retry key)."""

    __tablename__ = "opinion_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(
        ForeignKey("opinions.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    staff: Mapped[str] = mapped_column(String(120))
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    outbox_id: Mapped[int | None]  # no foreign key: a resident's deletion removes the push
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


STATUSES = ("open", "in_progress", "done")  # 未対応 / 対応中 / 対応済み


KINDS = ("all", "opinion", "comment")  # every one; 意見 only; public comments only

_Ts = TypeVarTuple("_Ts")  # the columns a query selects


def _of_kind(query: Select[*_Ts], kind: str) -> Select[*_Ts]:
    if kind == "opinion":
        return query.where(Opinion.consultation_id.is_(None))
    if kind == "comment":
        return query.where(Opinion.consultation_id.is_not(None))
    return query


def _filtered(
    query: Select[*_Ts], kind: str, status: str | None, category: str | None
) -> Select[*_Ts]:
    query = _of_kind(query, kind)
    if status:
        query = query.where(Opinion.status == status)
    if category == "none":
        query = query.where(Opinion.category.is_(None))
    elif category:
        query = query.where(Opinion.category == category)
    return query


def listed(
    session: Session,
    kind: str = "all",
    limit: int | None = None,
    offset: int = 0,
    status: str | None = None,
    category: str | None = None,
) -> tuple[list[Opinion], int]:
    """Opinions of a kind (and status, category), newest first, and how many in all."""
    counted = select(func.count()).select_from(Opinion)
    total = session.scalar(_filtered(counted, kind, status, category))
    query = _filtered(select(Opinion), kind, status, category).order_by(
        Opinion.created_at.desc(), Opinion.id.desc()
    )
    rows = session.scalars(query.limit(limit).offset(offset))
    return list(rows), total or 0


def streamed(session: Session, kind: str = "all") -> Iterator[Opinion]:
    """Every opinion of a kind, oldest first, read in chunks (for exports)."""
    query = _of_kind(select(Opinion), kind).order_by(Opinion.created_at, Opinion.id)
    return session.scalars(query.execution_options(yield_per=1000))


def open_count(session: Session) -> int:
    """Opinions and comments staff have not started on (未対応)."""
    query = select(func.count()).select_from(Opinion).where(Opinion.status == "open")
    return session.scalar(query) or 0


def replies(session: Session, opinion_id: int) -> list[OpinionReply]:
    """The replies sent for one opinion, oldest first."""
    query = select(OpinionReply).where(OpinionReply.opinion_id == opinion_id)
    return list(session.scalars(query.order_by(OpinionReply.created_at, OpinionReply.id)))
