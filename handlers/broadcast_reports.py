"""Announcements as the console, the CLI and the digest read them: one broadcast's progress,
the history, what was sent in a week."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db import broadcasts_reports
from db.broadcasts import Broadcast


def broadcast_status(session: Session, broadcast_id: int) -> dict[str, Any] | None:
    """Progress of one broadcast: status, batches, delivered, skipped, failed."""
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        return None
    counts = broadcasts_reports.counts(session, b.id)
    total = counts.batches_total
    finished = total - counts.batches.get("pending", 0) - counts.batches.get("sending", 0)
    return {
        "id": b.id,
        "status": b.status,
        "created_by": b.created_by,
        "created_at": b.created_at,
        "scheduled_at": b.scheduled_at,
        "started_at": b.started_at,
        "finished_at": b.finished_at,
        "segment": b.segment,
        "topic": b.topic,
        "urgent": b.urgent,
        "text": b.text,
        "text_en": b.text_en,
        "action": b.action,
        "messages": b.messages,
        "recipients": b.recipients,
        "pause_reason": b.pause_reason,
        "progress": (finished / total) if total else (1.0 if b.status == "done" else 0.0),
        **asdict(counts),
    }


def list_broadcasts(session: Session, limit: int = 50) -> list[dict[str, Any]]:
    """Newest broadcasts with their delivery counts (one grouped query)."""
    return [
        {
            "id": b.id,
            "status": b.status,
            "created_by": b.created_by,
            "scheduled_at": b.scheduled_at,
            "finished_at": b.finished_at,
            "segment": b.segment,
            "topic": b.topic,
            "text": b.text,
            "recipients": b.recipients,
            "delivered": delivered,
            "failed": failed,
            "pause_reason": b.pause_reason,
        }
        for b, delivered, failed in broadcasts_reports.recent(session, limit)
    ]


def sent_in_period(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Broadcasts sent in [start, end): how many, and recipients delivered (for the digest)."""
    got = broadcasts_reports.sent_between(session, start, end)
    return {"broadcasts": got.broadcasts, "delivered": got.delivered}
