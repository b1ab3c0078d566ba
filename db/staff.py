"""Staff accounts and app-wide settings that staff change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

ROLES = ("viewer", "editor", "admin")


class Staff(Base):
    """A planning-office account for the console, the CLI audit trail and the digest."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(16), default="viewer")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    line_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_code_hash: Mapped[str | None] = mapped_column(String(128))
    link_code_expires_at: Mapped[datetime | None]
    digest_email: Mapped[bool] = mapped_column(default=True)


class AppSetting(Base):
    """A setting staff change in the console (e.g. the digest schedule), as JSON."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
