"""Announcements: broadcasts, one delivery row per recipient, multicast batches, opt-outs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

STOP_ALL = "*"  # a notify_optouts topic meaning "no announcements except urgent ones"


class Broadcast(Base):
    """An announcement staff send (or schedule) to a segment of residents."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status_scheduled", "status", "scheduled_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(254))
    text: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str | None] = mapped_column(Text)  # what English residents receive
    image_url: Mapped[str | None] = mapped_column(String(2000))
    link_url: Mapped[str | None] = mapped_column(String(1000))
    link_label: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str | None] = mapped_column(String(1100))  # event:ID | survey:ID | url:URL
    segment: Mapped[str] = mapped_column(String(1000), default="")
    topic: Mapped[str | None] = mapped_column(String(64))
    urgent: Mapped[bool] = mapped_column(default=False)
    # scheduled → sending → done; paused (monthly limit, LINE refused) → sending; cancelled
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    scheduled_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    pause_reason: Mapped[str | None] = mapped_column(String(300))
    recipients: Mapped[int | None]  # set when the segment is materialised
    messages: Mapped[int] = mapped_column(default=1)  # message objects per recipient
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    cancelled_by: Mapped[str | None] = mapped_column(String(254))
    cancelled_at: Mapped[datetime | None]


class BroadcastDelivery(Base):
    """One recipient of a broadcast, in one batch; skipped when excluded at send time.

    No foreign keys, on purpose: a broadcast writes one row per friend (a million at the
    largest accounts) in one INSERT … SELECT, and the two per-row key checks took two thirds
    of it on PostgreSQL. Broadcasts are never deleted; a resident's rows are deleted with
    them by `handlers.mydata.forget`.
    """

    __tablename__ = "broadcast_deliveries"
    __table_args__ = (Index("ix_broadcast_deliveries_batch", "broadcast_id", "batch_no"),)

    broadcast_id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(primary_key=True)
    batch_no: Mapped[int]
    status: Mapped[str] = mapped_column(String(8), default="queued")  # queued|skipped
    reason: Mapped[str | None] = mapped_column(String(16))  # blocked|opted_out


class BroadcastBatch(Base):
    """One multicast request of ≤500 recipients; its retry key exists before the first try."""

    __tablename__ = "broadcast_batches"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "batch_no"),
        Index("ix_broadcast_batches_status", "broadcast_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    batch_no: Mapped[int]
    lang: Mapped[str] = mapped_column(String(8))
    size: Mapped[int]
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    # pending → sending → sent | skipped (nobody left) | failed | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_at: Mapped[datetime | None]
    first_attempt_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    recipients: Mapped[int | None]  # LINE user ids in the request (after exclusions)
    request_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(200))


class NotifyOptOut(Base):
    """A topic a resident stopped, or STOP_ALL: every announcement except urgent ones."""

    __tablename__ = "notify_optouts"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
