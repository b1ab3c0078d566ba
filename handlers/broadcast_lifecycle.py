"""An announcement's life: create (refusing a repeat within 24 hours), cancel, resume, and
start (its audience materialised once). Each function works in the caller's transaction.

scheduled → sending → done; paused (monthly limit, LINE refused) → sending; cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from db import broadcasts_queue
from db.base import utcnow
from db.broadcasts import Broadcast
from db.broadcasts_reports import same_content_since
from db.models import AuditLog
from handlers import segments
from handlers.broadcast_drafts import Draft, prepare
from handlers.broadcast_errors import BroadcastError
from handlers.town import Town, load_town
from messages.catalog import LANGUAGES
from messages.text import TOWN_TZ

log = logging.getLogger(__name__)

DUPLICATE_WINDOW = timedelta(hours=24)
CANCELLABLE = {"scheduled", "sending", "paused"}


def audit(
    session: Session, actor: str, action: str, b: Broadcast, now: datetime, **detail: Any
) -> None:
    """One audit row about a broadcast."""
    session.add(
        AuditLog(
            at=now, actor=actor[:120], action=action, target=f"broadcast:{b.id}", detail=detail
        )
    )


def find_duplicate(session: Session, draft: Draft, now: datetime) -> Broadcast | None:
    """The same announcement made in the last 24 hours and not cancelled, if any."""
    return same_content_since(session, draft.digest, now - DUPLICATE_WINDOW)


def create_broadcast(
    session: Session,
    *,
    actor: str,
    text: str,
    now: datetime,
    segment: str = "",
    topic: str | None = None,
    urgent: bool = False,
    image_url: str | None = None,
    link_url: str | None = None,
    link_label: str | None = None,
    text_en: str | None = None,
    action: str | None = None,
    tz: tzinfo = TOWN_TZ,
    at: datetime | None = None,
    allow_repeat: bool = False,
    town: Town | None = None,
) -> Broadcast:
    """Store a broadcast to send at `at` (now when None); raises BroadcastError."""
    town = town or load_town(session)
    draft = prepare(
        session,
        town,
        text=text,
        segment=segment,
        topic=topic,
        urgent=urgent,
        image_url=image_url,
        link_url=link_url,
        link_label=link_label,
        text_en=text_en,
        action=action,
        tz=tz,
        now=now,
    )
    if at is not None and at.tzinfo is None:
        raise BroadcastError("naive_time")
    if not allow_repeat:
        same = find_duplicate(session, draft, now)
        if same is not None:
            raise BroadcastError(
                "duplicate", id=same.id, status=same.status, created_at=same.created_at
            )
    b = Broadcast(
        created_at=now,
        created_by=actor,
        text=draft.text,
        text_en=draft.text_en,
        action=draft.action,
        image_url=draft.image_url,
        link_url=draft.link_url,
        link_label=draft.link_label,
        segment=draft.segment,
        topic=draft.topic,
        urgent=draft.urgent,
        status="scheduled",
        scheduled_at=max(at, now) if at else now,
        messages=draft.size,
        content_hash=draft.digest,
    )
    session.add(b)
    session.flush()
    audit(
        session,
        actor,
        "broadcast.create",
        b,
        now,
        text=draft.text[:200],
        english=draft.text_en is not None,
        button=draft.action,
        segment=draft.segment,
        topic=draft.topic,
        urgent=draft.urgent,
        scheduled_at=b.scheduled_at.isoformat(),
        estimated_recipients=segments.count(
            session, town, draft.segment, draft.topic, draft.urgent
        ),
    )
    return b


def cancel(
    session: Session, broadcast_id: int, actor: str, now: datetime | None = None
) -> Broadcast:
    """Stop a broadcast: nothing more is sent (a batch already in flight completes)."""
    now = now or utcnow()
    b = broadcasts_queue.locked(session, broadcast_id)
    if b is None:
        raise BroadcastError("no_broadcast", id=broadcast_id)
    if b.status not in CANCELLABLE:
        raise BroadcastError("cannot_cancel", id=broadcast_id, status=b.status)
    b.status = "cancelled"
    b.cancelled_by, b.cancelled_at = actor, now
    b.finished_at = now
    dropped = broadcasts_queue.cancel_pending(session, b.id)
    audit(session, actor, "broadcast.cancel", b, now, batches_cancelled=dropped)
    return b


def resume(session: Session, broadcast_id: int, actor: str, now: datetime) -> Broadcast:
    """Resume a paused broadcast (after the quota reset, or the refusal was fixed)."""
    b = broadcasts_queue.locked(session, broadcast_id)
    if b is None:
        raise BroadcastError("no_broadcast", id=broadcast_id)
    if b.status == "paused":
        # batches LINE refused (4xx, not accepted) are safe to send again
        broadcasts_queue.reopen_failed(session, b.id)
        b.status = "sending" if b.recipients is not None else "scheduled"
        audit(session, actor, "broadcast.resume", b, now, reason=b.pause_reason)
        b.pause_reason = None
    elif b.status not in {"scheduled", "sending"}:
        raise BroadcastError("nothing_to_resume", id=broadcast_id, status=b.status)
    return b


def begin(session: Session, broadcast_id: int, now: datetime) -> bool:
    """A due scheduled broadcast becomes `sending`, its audience materialised (once: False
    when it was not due, or another sender began it)."""
    if not broadcasts_queue.mark_sending(session, broadcast_id, now):
        return False
    b = session.get(Broadcast, broadcast_id)
    assert b is not None  # mark_sending has just updated its row
    town = load_town(session)
    where = segments.recipients_where(session, town, b.segment, b.topic, b.urgent)
    n = broadcasts_queue.materialise(session, b, where, LANGUAGES)
    log.info("broadcast %s: %d recipients materialised", broadcast_id, n)
    return True
