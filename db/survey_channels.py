"""Answer channels beyond LINE chat: invitation codes, web progress, paper sheets entered.

None of these rows is linked to a response. An invitation says only that its code was used
(no time, no channel); a web draft holds a half-made answer under its code's hash and is
deleted when the response is written; a paper sheet row says only that sheet N of a survey
has been keyed in, so a re-import cannot add it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, ForeignKey, String, delete, insert, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow

CHANNELS = ("line", "web", "paper")


class SurveyInvitation(Base):
    """A single-use answer code from a mailed letter; only its hash is stored."""

    __tablename__ = "survey_invitations"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    used: Mapped[bool] = mapped_column(default=False)


class SurveyDraft(Base):
    """A web answer in progress, resumable with the same code; gone once submitted."""

    __tablename__ = "survey_drafts"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PaperSheet(Base):
    """Paper sheet `sheet_no` of a survey has been keyed in (never twice)."""

    __tablename__ = "survey_paper_sheets"

    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    sheet_no: Mapped[str] = mapped_column(String(32), primary_key=True)


# --- invitations -------------------------------------------------------------------------


def add_invitations(session: Session, survey_id: str, hashes: list[str]) -> None:
    """Store new codes' hashes (the caller made sure they are new)."""
    session.add_all(SurveyInvitation(code_hash=h, survey_id=survey_id) for h in hashes)
    session.flush()


def existing_hashes(session: Session, hashes: list[str]) -> set[str]:
    """Those of the hashes already stored (for any survey)."""
    found: set[str] = set()
    for i in range(0, len(hashes), 500):
        found |= set(
            session.scalars(
                select(SurveyInvitation.code_hash).where(
                    SurveyInvitation.code_hash.in_(hashes[i : i + 500])
                )
            )
        )
    return found


def invitation(session: Session, code_hash: str, *, lock: bool = False) -> SurveyInvitation | None:
    """One invitation by its hash (row-locked where the database can)."""
    stmt = select(SurveyInvitation).where(SurveyInvitation.code_hash == code_hash)
    if lock:
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def use_invitation(session: Session, code_hash: str) -> bool:
    """Mark the code used; False when it was unknown or already used (nothing changes)."""
    result = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.code_hash == code_hash, SurveyInvitation.used.is_(False))
        .values(used=True)
    )
    return cast(CursorResult[Any], result).rowcount == 1  # an UPDATE's result has a rowcount


def invitation_counts(session: Session, survey_id: str) -> dict[str, int]:
    """{"issued": n, "used": n} for a survey."""
    rows = session.execute(
        select(SurveyInvitation.used).where(SurveyInvitation.survey_id == survey_id)
    ).scalars()
    issued = used = 0
    for u in rows:
        issued += 1
        used += bool(u)
    return {"issued": issued, "used": used}


# --- web drafts -----------------------------------------------------------------------------


def draft(session: Session, code_hash: str) -> SurveyDraft | None:
    """The web answer in progress for a code."""
    return session.get(SurveyDraft, code_hash)


def save_draft(
    session: Session, code_hash: str, survey_id: str, data: dict[str, Any], now: datetime
) -> None:
    """Create or replace the draft of a code."""
    row = session.get(SurveyDraft, code_hash)
    if row is None:
        session.add(
            SurveyDraft(code_hash=code_hash, survey_id=survey_id, data=data, updated_at=now)
        )
    else:
        row.data, row.updated_at = data, now
    session.flush()


def drop_draft(session: Session, code_hash: str) -> None:
    """Forget a draft (on submit)."""
    session.execute(delete(SurveyDraft).where(SurveyDraft.code_hash == code_hash))


def expire_drafts(session: Session, before: datetime, now: datetime | None = None) -> int:
    """Delete drafts untouched since `before`, and those of surveys closed by `now`."""
    from db.surveys import Survey

    stale = SurveyDraft.updated_at < before
    if now is not None:
        closed = select(Survey.id).where(Survey.closes_at <= now)
        stale = stale | SurveyDraft.survey_id.in_(closed)
    result = session.execute(delete(SurveyDraft).where(stale))
    return cast(CursorResult[Any], result).rowcount  # a DELETE's result has a rowcount


# --- paper sheets ---------------------------------------------------------------------------


def entered_sheets(session: Session, survey_id: str, sheet_nos: list[str]) -> set[str]:
    """Those of the sheet numbers already keyed in for this survey."""
    found: set[str] = set()
    for i in range(0, len(sheet_nos), 500):
        found |= set(
            session.scalars(
                select(PaperSheet.sheet_no).where(
                    PaperSheet.survey_id == survey_id,
                    PaperSheet.sheet_no.in_(sheet_nos[i : i + 500]),
                )
            )
        )
    return found


def mark_sheets(session: Session, survey_id: str, sheet_nos: list[str]) -> None:
    """Record sheets as keyed in (a repeat violates the primary key); one executemany."""
    if sheet_nos:
        rows = [{"survey_id": survey_id, "sheet_no": n} for n in sheet_nos]
        session.connection().execute(insert(PaperSheet.__table__), rows)
