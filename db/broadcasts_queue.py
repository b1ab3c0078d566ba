"""Storage for sending announcements: the audience as rows, batch claims, outcomes.

Queries and batch SQL only; which rows to claim, skip or fail is decided in
handlers/broadcast_send.py. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    and_,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from db.broadcasts import Broadcast, BroadcastBatch, BroadcastDelivery, NotifyOptOut
from db.models import Resident
from db.outbox import retry_key

BATCH_SIZE = 500  # LINE: multicast takes at most 500 user ids
UNFINISHED = ("pending", "sending")


def _lang_condition(lang: str, languages: Sequence[str]) -> ColumnElement[bool]:
    """Residents reading `lang`; Japanese also takes those with no or an unknown language."""
    others = [x for x in languages if x != "ja"]
    if lang == "ja":
        return or_(Resident.language.is_(None), Resident.language.not_in(others))
    return Resident.language == lang


def materialise(
    session: Session, b: Broadcast, where: ColumnElement[bool], languages: Sequence[str]
) -> int:
    """Deliveries (INSERT … SELECT, batch numbers in SQL) and batch rows with retry keys."""
    first = 0
    batches: list[dict[str, Any]] = []
    for lang in languages:
        rn = func.row_number().over(order_by=Resident.id)
        batch_no = literal(first) + (rn - 1).self_group().op("/")(literal_column(str(BATCH_SIZE)))
        source = select(literal(b.id), Resident.id, batch_no, literal("queued")).where(
            where, _lang_condition(lang, languages)
        )
        session.execute(
            insert(BroadcastDelivery).from_select(
                ["broadcast_id", "resident_id", "batch_no", "status"], source
            )
        )
        rows = session.execute(
            select(BroadcastDelivery.batch_no, func.count())
            .where(BroadcastDelivery.broadcast_id == b.id, BroadcastDelivery.batch_no >= first)
            .group_by(BroadcastDelivery.batch_no)
        ).all()
        for no, size in rows:
            batches.append(
                {
                    "broadcast_id": b.id,
                    "batch_no": no,
                    "lang": lang,
                    "size": size,
                    "retry_key": retry_key("broadcast", b.id, no),
                    "status": "pending",
                    "attempts": 0,
                }
            )
        if rows:
            first = max(no for no, _ in rows) + 1
    if batches:
        session.execute(insert(BroadcastBatch), batches)
    total: int = sum(x["size"] for x in batches)
    b.recipients = total
    return total


def mark_sending(session: Session, broadcast_id: int, now: datetime) -> bool:
    """A due scheduled broadcast becomes `sending` (True for the one caller that did it)."""
    result = session.execute(
        update(Broadcast)
        .where(
            Broadcast.id == broadcast_id,
            Broadcast.status == "scheduled",
            Broadcast.scheduled_at <= now,
        )
        .values(status="sending", started_at=now)
    )
    return bool(cast(CursorResult[Any], result).rowcount)  # an UPDATE's result has a rowcount


def status_of(session: Session, broadcast_id: int) -> str | None:
    """The broadcast's status (None when there is no such broadcast)."""
    return session.scalar(select(Broadcast.status).where(Broadcast.id == broadcast_id))


def locked(session: Session, broadcast_id: int) -> Broadcast | None:
    """The broadcast, its row locked for this transaction."""
    return session.get(Broadcast, broadcast_id, with_for_update=True)


def pending_batches(session: Session, broadcast_id: int, limit: int) -> list[BroadcastBatch]:
    """Up to `limit` pending batches in order, locked (SKIP LOCKED: other senders' are left)."""
    return list(
        session.scalars(
            select(BroadcastBatch)
            .where(BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status == "pending")
            .order_by(BroadcastBatch.batch_no)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def sending_batches(session: Session, broadcast_id: int) -> list[BroadcastBatch]:
    """Batches another sender claimed and has not finished, locked where nobody holds them."""
    return list(
        session.scalars(
            select(BroadcastBatch)
            .where(BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status == "sending")
            .order_by(BroadcastBatch.batch_no)
            .with_for_update(skip_locked=True)
        )
    )


def mark_claimed(session: Session, batch_ids: list[int], owner: str, now: datetime) -> None:
    """The batches (already locked) become `sending`, owned by `owner`: one UPDATE."""
    session.execute(
        update(BroadcastBatch)
        .where(BroadcastBatch.id.in_(batch_ids))
        .values(status="sending", claimed_by=owner, claimed_at=now)
        .execution_options(synchronize_session=False)
    )


def _queued_in(broadcast_id: int, batch_nos: list[int]) -> ColumnElement[bool]:
    return and_(
        BroadcastDelivery.broadcast_id == broadcast_id,
        BroadcastDelivery.batch_no.in_(batch_nos),
        BroadcastDelivery.status == "queued",
    )


def skip_blocked(session: Session, broadcast_id: int, batch_nos: list[int]) -> None:
    """Deliveries in these batches to residents who block the account: skipped (blocked)."""
    # correlated EXISTS: look up only this batch's residents (by primary key)
    blocked = exists().where(
        Resident.id == BroadcastDelivery.resident_id, Resident.blocked.is_(True)
    )
    session.execute(
        update(BroadcastDelivery)
        .where(_queued_in(broadcast_id, batch_nos), blocked)
        .values(status="skipped", reason="blocked")
        .execution_options(synchronize_session=False)
    )


def skip_opted_out(
    session: Session, broadcast_id: int, batch_nos: list[int], topics: list[str]
) -> None:
    """Deliveries to residents who stopped any of `topics`: skipped (opted_out)."""
    if not topics:
        return
    opted = exists().where(
        NotifyOptOut.resident_id == BroadcastDelivery.resident_id,
        or_(*[NotifyOptOut.topic == topic for topic in topics]),
    )
    session.execute(
        update(BroadcastDelivery)
        .where(_queued_in(broadcast_id, batch_nos), opted)
        .values(status="skipped", reason="opted_out")
        .execution_options(synchronize_session=False)
    )


def user_ids(session: Session, broadcast_id: int, batch_nos: list[int]) -> list[tuple[int, str]]:
    """(batch_no, LINE user id) still queued in these batches, in batch and resident order."""
    rows = session.execute(
        select(BroadcastDelivery.batch_no, Resident.line_user_id)
        .join(Resident, Resident.id == BroadcastDelivery.resident_id)
        .where(_queued_in(broadcast_id, batch_nos))
        .order_by(BroadcastDelivery.batch_no, BroadcastDelivery.resident_id)
    ).all()
    return [(no, uid) for no, uid in rows]


def update_batches(session: Session, changes: Sequence[Mapping[str, Any]]) -> None:
    """One executemany: each dict is a batch `id` and the columns to set (the same keys)."""
    if changes:
        session.execute(update(BroadcastBatch), changes)


def unfinished_batches(session: Session, broadcast_id: int) -> int:
    """Batches still pending or sending."""
    return (
        session.scalar(
            select(func.count())
            .select_from(BroadcastBatch)
            .where(
                BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status.in_(UNFINISHED)
            )
        )
        or 0
    )


def batch_progress(session: Session, broadcast_id: int) -> tuple[int, int]:
    """(batches in all, batches finished) of one broadcast."""
    total = session.scalar(
        select(func.count())
        .select_from(BroadcastBatch)
        .where(BroadcastBatch.broadcast_id == broadcast_id)
    )
    done = session.scalar(
        select(func.count())
        .select_from(BroadcastBatch)
        .where(
            BroadcastBatch.broadcast_id == broadcast_id,
            BroadcastBatch.status.not_in(UNFINISHED),
        )
    )
    return total or 0, done or 0


def due_ids(session: Session, now: datetime) -> list[int]:
    """Broadcasts due to start (scheduled, their time come) or sending, oldest first."""
    return list(
        session.scalars(
            select(Broadcast.id)
            .where(
                or_(
                    and_(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now),
                    Broadcast.status == "sending",
                )
            )
            .order_by(Broadcast.scheduled_at, Broadcast.id)
        )
    )


def cancel_pending(session: Session, broadcast_id: int) -> int:
    """Pending batches become `cancelled`; returns how many."""
    result = session.execute(
        update(BroadcastBatch)
        .where(BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status == "pending")
        .values(status="cancelled")
    )
    return cast(CursorResult[Any], result).rowcount  # an UPDATE's result has a rowcount


def reopen_failed(session: Session, broadcast_id: int) -> None:
    """Failed batches become pending again, unclaimed and with no attempts."""
    session.execute(
        update(BroadcastBatch)
        .where(BroadcastBatch.broadcast_id == broadcast_id, BroadcastBatch.status == "failed")
        .values(status="pending", claimed_by=None, attempts=0)
    )
