"""Retention of the webhook inbox: old events lose who sent them and when (a job)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, or_, select, update

from bot import outbox
from bot.state import AppState
from db.models import Outbox, WebhookEvent

EVENTS = WebhookEvent.__table__
OUTBOX = Outbox.__table__
FORGET_BATCH = 1000
REPLY_KINDS = ("late-reply", "reply")  # the outbox copies of replies (they may quote answers)


def forget_old(state: AppState) -> int:
    """Events older than WEBHOOK_EVENT_RETENTION_DAYS lose who sent them and when.

    The row and its event id stay, so a redelivery is still recognised; the user id, the
    sender and the payload go, and the times are cut to the town's day. One still pending
    after all that time is given up (failed). Finished outbox copies of replies are deleted.
    Safe to run twice.
    """
    now = state.now()
    cutoff = now - timedelta(days=state.settings.webhook_event_retention_days)
    tz = state.settings.tz

    def day(at: datetime | None) -> datetime | None:
        if at is None:
            return None
        return at.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)

    gave_up = {"pending": now}  # a pending event given up: processed (failed) now
    forgotten = 0
    while True:
        with state.engine.begin() as conn:
            rows = conn.execute(
                select(
                    EVENTS.c.id,
                    EVENTS.c.status,
                    EVENTS.c.error,
                    EVENTS.c.occurred_at,
                    EVENTS.c.received_at,
                    EVENTS.c.processed_at,
                )
                .where(
                    EVENTS.c.received_at < cutoff,
                    or_(
                        EVENTS.c.line_user_id.is_not(None),
                        EVENTS.c.payload.is_not(None),
                        EVENTS.c.sender.is_not(None),
                    ),
                )
                .order_by(EVENTS.c.id)
                .limit(FORGET_BATCH)
            ).all()
            if not rows:
                break
            conn.execute(
                update(EVENTS)
                .where(EVENTS.c.id == bindparam("row_id"))
                .values(
                    line_user_id=None,
                    payload=None,
                    sender=None,
                    status=bindparam("new_status"),
                    error=bindparam("new_error"),
                    occurred_at=bindparam("occurred"),
                    received_at=bindparam("received"),
                    processed_at=bindparam("processed"),
                ),
                [
                    {
                        "row_id": r.id,
                        "new_status": "failed" if r.status == "pending" else r.status,
                        "new_error": "never processed" if r.status == "pending" else r.error,
                        "occurred": day(r.occurred_at),
                        "received": day(r.received_at),
                        "processed": day(r.processed_at or gave_up.get(r.status)),
                    }
                    for r in rows
                ],
            )
        forgotten += len(rows)
    with state.engine.begin() as conn:
        finished = or_(
            OUTBOX.c.status.in_(("sent", "skipped", "failed")),
            (OUTBOX.c.status == "pending") & (OUTBOX.c.attempts >= outbox.MAX_ATTEMPTS),
        )
        conn.execute(delete(OUTBOX).where(OUTBOX.c.kind.in_(REPLY_KINDS), finished))
    return forgotten
