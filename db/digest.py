"""What the clock has done: one row per (job, period), claimed before the work starts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, String, UniqueConstraint, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow

RETRY_FAILED_AFTER = timedelta(minutes=15)
STALE_AFTER = timedelta(minutes=30)
MAX_ATTEMPTS = 5


class JobRun(Base):
    """A job's run for one period (e.g. the digest for the week starting 2026-11-24)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("name", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|done|failed
    attempts: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


def claim(session: Session, name: str, period: str, now: datetime) -> bool:
    """Claim (name, period) for this process; False when another has it or it is done.

    INSERT … ON CONFLICT DO NOTHING decides between two clocks; a failed run is claimable
    again after RETRY_FAILED_AFTER, a run whose process died after STALE_AFTER.
    """
    assert session.bind is not None  # the app's sessions are bound to its engine
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    inserted = session.scalar(
        insert(JobRun)
        .values(name=name, period=period, status="running", attempts=1, started_at=now, detail={})
        .on_conflict_do_nothing(index_elements=["name", "period"])
        .returning(JobRun.id)
    )  # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT
    if inserted is not None:
        return True
    retaken = session.scalars(
        update(JobRun)
        .where(
            JobRun.name == name,
            JobRun.period == period,
            JobRun.attempts < MAX_ATTEMPTS,
            or_(
                (JobRun.status == "failed") & (JobRun.finished_at < now - RETRY_FAILED_AFTER),
                (JobRun.status == "running") & (JobRun.started_at < now - STALE_AFTER),
            ),
        )
        .values(status="running", attempts=JobRun.attempts + 1, started_at=now)
        .returning(JobRun.id)
        .execution_options(synchronize_session=False)
    ).all()
    return bool(retaken)


def finish(
    session: Session, name: str, period: str, now: datetime, ok: bool, detail: dict[str, Any]
) -> None:
    """Record how a claimed run ended."""
    session.execute(
        update(JobRun)
        .where(JobRun.name == name, JobRun.period == period)
        .values(status="done" if ok else "failed", finished_at=now, detail=detail)
        .execution_options(synchronize_session=False)
    )


def is_done(session: Session, name: str, period: str) -> bool:
    """True when (name, period) finished successfully."""
    return (
        session.scalar(select(JobRun.status).where(JobRun.name == name, JobRun.period == period))
        == "done"
    )


HEARTBEAT = ("heartbeat", "clock")  # (name, period): one row, touched by the clock each minute


def beat(session: Session, now: datetime) -> None:
    """Record that the clock process is running (the console warns when this gets old)."""
    name, period = HEARTBEAT
    result = session.execute(
        update(JobRun)
        .where(JobRun.name == name, JobRun.period == period)
        .values(status="done", started_at=now, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    touched = cast(CursorResult[Any], result).rowcount  # an UPDATE's result has a rowcount
    if not touched:
        assert session.bind is not None  # the app's sessions are bound to its engine
        insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
        session.execute(
            insert(JobRun)
            .values(
                name=name, period=period, status="done", started_at=now, finished_at=now, detail={}
            )
            .on_conflict_do_nothing(index_elements=["name", "period"])
        )


def last_beat(session: Session) -> datetime | None:
    """When the clock last said it was running (None: never)."""
    name, period = HEARTBEAT
    return session.scalar(
        select(JobRun.finished_at).where(JobRun.name == name, JobRun.period == period)
    )
