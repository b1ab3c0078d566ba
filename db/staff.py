"""Staff accounts and app-wide settings that staff change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
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


class StaffSession(Base):
    """A console sign-in, checked on every request; the cookie holds only a random token.

    Only the token's SHA-256 is stored. Sign-out sets ``revoked_at``; a session also ends
    after the idle limit (``last_seen_at``) and the absolute lifetime (``created_at``).
    """

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class LoginThrottle(Base):
    """Failed sign-ins counted per (account, address) and per address, for lockouts.

    ``key`` is a keyed hash of what is counted, so neither addresses nor typed e-mail
    addresses are stored. ``lockouts`` makes each further lockout of the same key longer.
    """

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]
    lockouts: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class AppSetting(Base):
    """A setting staff change in the console (e.g. the digest schedule), as JSON."""

    __tablename__ = "app_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(254))
