"""The outbox: pushes waiting to be sent (`bot/outbox.py` sends them), and their retry keys.

A retry key is derived from what is sent (not random) and stored with the push before the
first attempt, so a restart re-sends under the same key and LINE delivers it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

NAMESPACE = uuid.UUID("6a1f3f9e-3d4b-4e3c-9b0e-6d61636869b0")


def retry_key(*parts: object) -> str:
    """A deterministic retry key (a UUID) for the same logical send, e.g. (broadcast, batch)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


class Outbox(Base):
    """A push waiting to be sent; its retry key exists before the first attempt."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    line_user_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    messages: Mapped[list[dict[str, Any]]] = mapped_column()
    status: Mapped[str] = mapped_column(
        String(16), default="pending"
    )  # pending|sent|failed|skipped, or held (a reply kept until sent: bot/inbox.py)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
