"""Core models: residents, webhook inbox, conversations, outbox, content."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.base import Base, utcnow
from db.outbox import Outbox as Outbox


class Resident(Base):
    """A LINE friend of the account. Profile fields stay empty without consent."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="ja")
    consent: Mapped[str] = mapped_column(String(16), default="pending")  # pending|agreed|declined
    consented_at: Mapped[datetime | None]
    age_band: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(64))
    residency: Mapped[str | None] = mapped_column(String(16))  # resident|commuter|outside
    onboarded_at: Mapped[datetime | None]
    blocked: Mapped[bool] = mapped_column(default=False)
    followed_at: Mapped[datetime | None]
    blocked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]

    topics: Mapped[list[ResidentTopic]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def topic_names(self) -> list[str]:
        """The topics this resident follows, sorted."""
        return sorted(t.topic for t in self.topics)


class ResidentTopic(Base):
    """A topic of announcements the resident has chosen."""

    __tablename__ = "resident_topics"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    topic: Mapped[str] = mapped_column(String(64), primary_key=True)
    resident: Mapped[Resident] = relationship(back_populates="topics")


class WebhookEvent(Base):
    """The inbox: one row per LINE webhookEventId, stored before it is acknowledged."""

    __tablename__ = "webhook_events"
    # Only pending rows are looked up (the queue, in arrival order); done rows stay out.
    __table_args__ = (
        Index(
            "ix_webhook_events_pending",
            "received_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # a sender's first pending event (db/webhook_queue.py: store, promote)
        Index(
            "ix_webhook_events_queue",
            "sender",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        # the pick: each sender's head, by id
        Index(
            "ix_webhook_events_heads",
            "id",
            postgresql_where=text("status = 'pending' AND head"),
            sqlite_where=text("status = 'pending' AND head"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(32))
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|done|failed
    payload: Mapped[str | None] = mapped_column(Text)  # cleared once processed
    processed_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(String(200))
    sender: Mapped[str | None] = mapped_column(String(64))  # orders a sender's pending events
    replied_by_push: Mapped[bool] = mapped_column(default=False, server_default=false())
    head: Mapped[bool] = mapped_column(default=False, server_default=false())  # sender's next
    leased_until: Mapped[datetime | None]  # a drainer is reading its LINE profile until then


class Conversation(Base):
    """Where a resident is in one flow; any worker can carry it on."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("resident_id", "flow"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active|paused|done
    step: Mapped[int] = mapped_column(default=0)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    history: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ParkedSurvey(Base):
    """A survey left mid-way for another: where the resident was, to resume it from there.

    Its answers expire like a paused survey's (SURVEY_PAUSED_ANSWERS_DAYS after `parked_at`).
    """

    __tablename__ = "parked_surveys"
    __table_args__ = (UniqueConstraint("resident_id", "survey_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    survey_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)  # q, answers, profile, code_hash
    history: Mapped[list[Any]] = mapped_column(default=list)
    parked_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentItem(Base):
    """A validated content document (town, survey, event, kpi, …) as applied."""

    __tablename__ = "content_items"
    __table_args__ = (UniqueConstraint("kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # a publication's results as published (handlers/publishing_snapshot.py); never from a file
    snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)


class AuditLog(Base):
    """Who changed what, when: staff actions from the CLI and the console."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


# Each area keeps its models in its own module (they import this one for `Resident`).
AREAS = (
    "anonymous_pool",
    "broadcasts",
    "digest",
    "events",
    "opinions",
    "staff",
    "survey_channels",
    "surveys",
    "survey_words",
)


def metadata() -> MetaData:
    """Every table: this module's and the area modules' (imported here, when asked)."""
    for name in AREAS:
        importlib.import_module(f"db.{name}")
    return Base.metadata
