"""Queued pushes and their retry keys: stored before the first attempt, derived, not random."""

from __future__ import annotations

import uuid

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Outbox
from messages.limits import as_dicts

NAMESPACE = uuid.UUID("6a1f3f9e-3d4b-4e3c-9b0e-6d61636869b0")


def retry_key(*parts: object) -> str:
    """A deterministic retry key (a UUID) for the same logical send, e.g. (broadcast, batch)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def queue(
    session: Session, user_id: str, messages: list[Message | dict], kind: str, key_parts: tuple
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
