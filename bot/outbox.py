"""Sending queued pushes (queued by handlers.pushes.queue in the caller's transaction)."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update

from bot.state import AppState
from db.models import Outbox, Resident
from db.session import transaction

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def deliver(state: AppState, outbox_id: int) -> str:
    """Send one queued push unless it is done, or its resident blocked us meanwhile."""
    with transaction(state.sessions) as s:
        row = s.get(Outbox, outbox_id, with_for_update=True)
        if row is None or row.status != "pending":
            return "skipped"
        blocked = s.scalar(
            select(Resident.blocked).where(Resident.line_user_id == row.line_user_id)
        )
        if blocked:
            row.status = "skipped"
            row.last_error = "blocked"
            return "skipped"
        row.attempts += 1
        user_id, messages, key = row.line_user_id, row.messages, row.retry_key
    result = state.gateway.push(user_id, messages, key)
    with transaction(state.sessions) as s:
        values: dict[str, Any] = {"request_id": result.request_id, "last_error": result.error}
        if result.ok:
            values.update(status="sent", sent_at=state.now())
        elif result.status in {"failed", "monthly_limit"}:
            values.update(status="failed")
        s.execute(update(Outbox).where(Outbox.id == outbox_id).values(**values))
    return "sent" if result.ok else result.status


def deliver_pending(state: AppState, limit: int = 500) -> int:
    """Send every pending push (the clock runs this); returns how many were sent."""
    with state.sessions() as s:
        ids = list(
            s.scalars(
                select(Outbox.id)
                .where(Outbox.status == "pending", Outbox.attempts < MAX_ATTEMPTS)
                .order_by(Outbox.id)
                .limit(limit)
            )
        )
    return sum(deliver(state, i) == "sent" for i in ids)
