"""The holding pool for anonymous answers: sealed until a group of K can be written together.

A finished answer to an anonymous survey (LINE, web or paper) is stored here, in the same
transaction as the completion record or the code's use, with its group in the clear (survey,
channel, age band, district, residency) and its answers sealed with AES-GCM under a key
derived (HKDF-SHA256) from the app's SECRET_KEY, which is never stored in the database. When a
group holds K answers they are written to survey_responses / survey_answers in one statement
per table, shuffled, with random ids and the day of the write, and their pool rows deleted in
the same transaction: every written response then shares its transaction, placement, day and
attributes with at least K completers. At the close (or after HOLD_DAYS) a channel's leftovers
are written together with generalised attributes if they are at least K; fewer stay sealed in
the pool (see `flush_survey`). Every sealed value of a survey has the same length (padded to
`sealed_size`); docs/security.md explains the model.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from cryptography.exceptions import InvalidTag
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Date,
    ForeignKey,
    LargeBinary,
    Row,
    String,
    delete,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.anonymous_seal import configure, profile_of, seal, sealed_size, unseal
from db.base import Base
from db.survey_models import DIMENSIONS, RESPONSE_ID, Survey, town_day
from db.survey_responses import insert_responses, insert_rows

K = 5  # the small-cell threshold (handlers.survey_cells.SUPPRESS_BELOW): results hide under it
HOLD_DAYS = 14  # open surveys: pooled longer than this, old leftovers are written generalised
# generalisation steps: drop district, then residency, then age band (blank means 不明)
LEVELS = (DIMENSIONS, ("age_band", "residency"), ("age_band",), ())
BATCH = 1000  # pool rows per INSERT / DELETE statement
__all__ = ["configure", "seal", "sealed_size", "unseal"]
log = logging.getLogger(__name__)


class PendingAnswer(Base):
    """An anonymous answer waiting for its group: attributes in the clear, answers sealed."""

    __tablename__ = "survey_pending_answers"

    id: Mapped[int] = mapped_column(RESPONSE_ID, primary_key=True, autoincrement=False)  # random
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    age_band: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(64))
    residency: Mapped[str | None] = mapped_column(String(16))
    pooled_on: Mapped[date] = mapped_column(Date)  # the day only (town time), for HOLD_DAYS
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # 12-byte nonce + AES-GCM ciphertext


# --- into the pool -------------------------------------------------------------------------


def pool(
    session: Session,
    survey: Survey,
    answers: Mapping[str, Sequence[str | int]],
    profile: Mapping[str, str | None],
    *,
    channel: str,
    day: date,
    secret: str | None = None,
) -> int:
    """Hold one finished anonymous answer (sealed); returns its pool id."""
    item = {"answers": answers, "profile": profile, "channel": channel}
    return pool_many(session, survey, [item], day, secret)[0]


def pool_many(
    session: Session,
    survey: Survey,
    items: Sequence[Mapping[str, Any]],
    day: date,
    secret: str | None = None,
) -> list[int]:
    """Hold many finished answers ({answers, profile, channel}), BATCH rows per INSERT."""
    size = sealed_size(survey)
    ids: list[int] = []
    rows: list[dict[str, Any]] = []
    for item in items:
        clean = {d: item["profile"].get(d) or None for d in DIMENSIONS}
        payload = {
            "v": survey.version,
            "a": {q: [str(v) for v in vs] for q, vs in item["answers"].items()},
        }
        row_id = secrets.randbelow(2**62) + 1
        ids.append(row_id)
        rows.append(
            {
                "id": row_id,
                "survey_id": survey.id,
                "channel": item["channel"],
                **clean,
                "pooled_on": day,
                "sealed": seal(secret, survey.id, item["channel"], clean, payload, size),
            }
        )
        if len(rows) == BATCH:
            insert_rows(session, PendingAnswer.__table__, rows)
            rows = []
    insert_rows(session, PendingAnswer.__table__, rows)
    return ids


def pending_count(session: Session, survey_id: str) -> int:
    """How many answers of a survey wait in the pool."""
    stmt = select(func.count()).select_from(PendingAnswer)
    return session.scalar(stmt.where(PendingAnswer.survey_id == survey_id)) or 0


def pending_surveys(session: Session) -> list[str]:
    """The ids of the surveys with answers in the pool."""
    stmt = select(PendingAnswer.survey_id).distinct().order_by(PendingAnswer.survey_id)
    return list(session.scalars(stmt))


# --- out of the pool -----------------------------------------------------------------------


def release_full(session: Session, survey: Survey, day: date, secret: str | None = None) -> int:
    """Write every group that holds at least K readable answers, all in one shuffled batch."""
    written, unreadable = _release_full(session, survey, day, secret)
    _report(unreadable)
    return written


def _release_full(
    session: Session, survey: Survey, day: date, secret: str | None
) -> tuple[int, set[int]]:
    """release_full: (answers written, ids of the pool rows that would not open)."""
    p = PendingAnswer
    keys = (p.channel, p.age_band, p.district, p.residency)
    mine = p.survey_id == survey.id
    full = {
        tuple(row)
        for row in session.execute(
            select(*keys).where(mine).group_by(*keys).having(func.count() >= K)
        )
    }
    if not full:
        return 0, set()
    ids = [row[0] for row in session.execute(select(p.id, *keys).where(mine)) if row[1:] in full]
    locked: list[
        Row[Any]
    ] = []  # a concurrent writer may have taken some meanwhile: they are gone here
    for at in range(0, len(ids), BATCH):
        locked += _locked(session, p.id.in_(ids[at : at + BATCH]))
    rows, items, unreadable = _opened(secret, locked)
    groups: dict[tuple[str | None, ...], list[int]] = {}
    for n, row in enumerate(rows):
        groups.setdefault((row.channel, *(getattr(row, d) for d in DIMENSIONS)), []).append(n)
    take = sorted(n for members in groups.values() if len(members) >= K for n in members)
    if not take:
        return 0, unreadable
    written = _write(
        session, survey, [items[n] for n in take], [rows[n] for n in take], DIMENSIONS, day
    )
    return written, unreadable


def flush_survey(session: Session, survey: Survey, day: date, secret: str | None = None) -> int:
    """Write what can be written of a survey (at its close, or `surveys flush-anonymous`).

    Full groups first; then, per channel, the leftovers together, with attributes generalised
    (district, then residency, then age band dropped) until every stored combination in the
    batch has K, but only if they are at least K together: fewer stay sealed in the pool
    (保留中 on the results page), never written where they could be singled out.
    """
    written, unreadable = _release_full(session, survey, day, secret)
    p = PendingAnswer
    channels = session.scalars(
        select(p.channel)
        .where(p.survey_id == survey.id)
        .group_by(p.channel)
        .having(func.count() >= K)
        .order_by(p.channel)
    ).all()
    for channel in channels:
        rows, items, bad = _opened(
            secret, _locked(session, p.survey_id == survey.id, p.channel == channel)
        )
        unreadable |= bad
        if len(items) >= K:
            written += _write(session, survey, items, rows, _level(items), day)
    _report(unreadable)
    return written


def flush_old(session: Session, survey: Survey, day: date, secret: str | None = None) -> int:
    """Open survey: per channel, answers pooled HOLD_DAYS or longer are written generalised
    once there are at least K of them (fewer keep waiting)."""
    written, unreadable = _flush_old(session, survey, day, secret)
    _report(unreadable)
    return written


def _flush_old(
    session: Session, survey: Survey, day: date, secret: str | None
) -> tuple[int, set[int]]:
    p = PendingAnswer
    cutoff = day - timedelta(days=HOLD_DAYS)
    written = 0
    unreadable: set[int] = set()
    channels = session.scalars(
        select(p.channel)
        .where(p.survey_id == survey.id, p.pooled_on <= cutoff)
        .group_by(p.channel)
        .having(func.count() >= K)
        .order_by(p.channel)
    ).all()
    for channel in channels:
        rows, items, bad = _opened(
            secret,
            _locked(session, p.survey_id == survey.id, p.channel == channel, p.pooled_on <= cutoff),
        )
        unreadable |= bad
        if len(items) >= K:
            written += _write(session, survey, items, rows, _level(items), day)
    return written, unreadable


def flush_due_survey(
    session: Session, survey: Survey, now: datetime, tz: str, secret: str | None = None
) -> int:
    """The clock, for one survey: closed, flushed; open, full groups and old leftovers."""
    day = town_day(now, tz)
    if survey.closes_at <= now:
        return flush_survey(session, survey, day, secret)
    full, bad = _release_full(session, survey, day, secret)
    old, bad_old = _flush_old(session, survey, day, secret)
    _report(bad | bad_old)
    return full + old


def flush_due(session: Session, now: datetime, tz: str, secret: str | None = None) -> int:
    """The clock, every survey in one transaction (the job runs each in its own)."""
    ids = pending_surveys(session)
    written = 0
    for survey in session.scalars(select(Survey).where(Survey.id.in_(ids)).order_by(Survey.id)):
        written += flush_due_survey(session, survey, now, tz, secret)
    return written


# --- helpers -------------------------------------------------------------------------------


def _locked(session: Session, *where: ColumnElement[bool]) -> list[Row[Any]]:
    """Pool rows (plain rows, not objects), locked in id order (PostgreSQL: a concurrent
    writer waits, then finds them gone)."""
    p = PendingAnswer
    stmt = select(p.id, p.survey_id, p.channel, *(getattr(p, d) for d in DIMENSIONS), p.sealed)
    return list(session.execute(stmt.where(*where).order_by(p.id).with_for_update()))


def _opened(
    secret: str | None, rows: list[Row[Any]]
) -> tuple[list[Row[Any]], list[dict[str, Any]], set[int]]:
    """The rows that open with the key, their items, and the ids of those that did not (they
    stay in the pool; the ids are never logged)."""
    kept: list[Row[Any]] = []
    items: list[dict[str, Any]] = []
    bad: set[int] = set()
    for row in rows:
        try:
            payload = unseal(secret, row)
        except InvalidTag:  # sealed under another SECRET_KEY: left in the pool
            bad.add(row.id)
            continue
        kept.append(row)
        items.append(
            {"answers": payload["a"], "version": payload["v"], "channel": row.channel}
            | {"profile": profile_of(row)}
        )
    return kept, items, bad


def _report(unreadable: set[int]) -> None:
    """One error line for a survey's rows that would not open: their number, nothing else."""
    if unreadable:
        log.error(
            "anonymous pool: %d pending answers do not open with this SECRET_KEY"
            " (sealed under another key); left in the pool",
            len(unreadable),
        )


def _level(items: list[dict[str, Any]]) -> tuple[str, ...]:
    """The finest attributes at which every combination among the items has at least K."""
    for dims in LEVELS:
        counts: dict[tuple[str | None, ...], int] = {}
        for item in items:
            key = tuple(item["profile"].get(d) for d in dims)
            counts[key] = counts.get(key, 0) + 1
        if all(n >= K for n in counts.values()):
            return dims
    return ()


def _write(
    session: Session,
    survey: Survey,
    items: list[dict[str, Any]],
    rows: list[Row[Any]],
    dims: tuple[str, ...],
    day: date,
) -> int:
    """Delete the pool rows, insert the items shuffled, as one batch (K or more)."""
    ids = [row.id for row in rows]
    gone = 0
    for at in range(0, len(ids), BATCH):
        chunk = ids[at : at + BATCH]
        result = session.execute(delete(PendingAnswer).where(PendingAnswer.id.in_(chunk)))
        gone += cast(CursorResult[Any], result).rowcount  # a DELETE's result has a rowcount
    if gone != len(ids):  # taken by a concurrent writer: roll back rather than write twice
        raise RuntimeError("anonymous pool rows changed under a flush; try again")
    batch = [
        item | {"day": day, "at": None, "profile": {d: item["profile"].get(d) for d in dims}}
        for item in items
    ]
    secrets.SystemRandom().shuffle(batch)
    insert_responses(session, survey, batch)
    return len(batch)
