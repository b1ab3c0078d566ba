"""Queue a push to one resident inside the caller's transaction (sent after commit)."""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Outbox
from db.outbox import retry_key
from messages.limits import as_dicts


def queue(
    session: Session,
    user_id: str,
    messages: list[Message | dict[str, Any]],
    kind: str,
    key_parts: tuple[object, ...],
) -> int:
    """Store a push (idempotent for the same key parts); returns the outbox id."""
    key = retry_key(kind, *key_parts)
    existing = session.scalar(select(Outbox.id).where(Outbox.retry_key == key))
    if existing is not None:
        return existing
    row = Outbox(retry_key=key, line_user_id=user_id, kind=kind, messages=as_dicts(messages))
    session.add(row)
    session.flush()
    return row.id
