"""Reading announcements: delivery counts, the history, the digest's figures, a repeat.

Typed rows, one grouped query each; how they are shown is decided by the callers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, cast

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from db.broadcasts import Broadcast, BroadcastBatch, BroadcastDelivery
from db.models import Resident


@dataclass(frozen=True)
class Counts:
    """One broadcast's batches by status and its recipients delivered, skipped, failed."""

    batches: dict[str, int] = field(default_factory=dict)
    batches_total: int = 0
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    skipped_by_reason: dict[str, int] = field(default_factory=dict)


class Listed(NamedTuple):
    """A broadcast in the history with the recipients delivered and failed so far."""

    broadcast: Broadcast
    delivered: int
    failed: int


class Period(NamedTuple):
    """Broadcasts with a batch sent in a period, and the recipients those batches reached."""

    broadcasts: int
    delivered: int


def counts(session: Session, broadcast_id: int) -> Counts:
    """Batches by status (with their recipients and sizes) and skipped deliveries by reason."""
    batches = session.execute(
        select(
            BroadcastBatch.status,
            func.count(),
            func.coalesce(func.sum(BroadcastBatch.recipients), 0),
            func.coalesce(func.sum(BroadcastBatch.size), 0),
        )
        .where(BroadcastBatch.broadcast_id == broadcast_id)
        .group_by(BroadcastBatch.status)
    ).all()
    by = {status: (n, int(rec or 0), int(size or 0)) for status, n, rec, size in batches}
    reasons = session.execute(
        select(BroadcastDelivery.reason, func.count())
        .where(
            BroadcastDelivery.broadcast_id == broadcast_id,
            BroadcastDelivery.status == "skipped",
        )
        .group_by(BroadcastDelivery.reason)
    ).all()
    # every skip is marked with its reason (blocked / opted_out): no key is None
    skipped = dict(cast("list[tuple[str, int]]", reasons))
    return Counts(
        batches={status: n for status, (n, _, _) in by.items()},
        batches_total=sum(n for n, _, _ in by.values()),
        delivered=by.get("sent", (0, 0, 0))[1],
        failed=by.get("failed", (0, 0, 0))[1],
        skipped=sum(skipped.values()),
        skipped_by_reason=skipped,
    )


def recent(session: Session, limit: int = 50) -> list[Listed]:
    """Newest broadcasts with their delivery counts (one grouped query)."""
    sent = (
        select(
            BroadcastBatch.broadcast_id.label("bid"),
            func.sum(
                case((BroadcastBatch.status == "sent", BroadcastBatch.recipients), else_=0)
            ).label("delivered"),
            func.sum(case((BroadcastBatch.status == "failed", BroadcastBatch.size), else_=0)).label(
                "failed"
            ),
        )
        .group_by(BroadcastBatch.broadcast_id)
        .subquery()
    )
    rows = session.execute(
        select(Broadcast, sent.c.delivered, sent.c.failed)
        .outerjoin(sent, sent.c.bid == Broadcast.id)
        .order_by(Broadcast.id.desc())
        .limit(limit)
    ).all()
    return [Listed(b, int(delivered or 0), int(failed or 0)) for b, delivered, failed in rows]


def sent_between(session: Session, start: datetime, end: datetime) -> Period:
    """Batches sent in [start, end): how many broadcasts, and their recipients."""
    row = session.execute(
        select(
            func.count(func.distinct(BroadcastBatch.broadcast_id)),
            func.coalesce(func.sum(BroadcastBatch.recipients), 0),
        ).where(
            BroadcastBatch.status == "sent",
            BroadcastBatch.sent_at >= start,
            BroadcastBatch.sent_at < end,
        )
    ).one()
    return Period(int(row[0]), int(row[1] or 0))


def same_content_since(session: Session, content_hash: str, since: datetime) -> Broadcast | None:
    """The newest broadcast with this content hash made since `since` and not cancelled."""
    return session.scalar(
        select(Broadcast)
        .where(
            Broadcast.content_hash == content_hash,
            Broadcast.created_at >= since,
            Broadcast.status != "cancelled",
        )
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def residents_matching(
    session: Session, where: ColumnElement[bool], language: str | None = None
) -> int:
    """How many residents a condition selects (only those reading `language`, when given)."""
    conditions = [where] if language is None else [where, Resident.language == language]
    return session.scalar(select(func.count()).select_from(Resident).where(*conditions)) or 0
