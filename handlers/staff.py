"""Staff accounts: create, roles, passwords, digest settings, the dashboard's friend counts.

Used by the console (bot/console/) and the CLI (`flask --app wsgi staff …`). Signing in and
console sessions are `handlers/staff_sign_in.py`, the audit trail `handlers/staff_audit.py`;
their names are importable from here too. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ColumnExpressionArgument, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.staff import ROLES, AppSetting, Staff
from handlers.staff_audit import audit as audit
from handlers.staff_audit import audit_choices as audit_choices
from handlers.staff_audit import audit_entries as audit_entries
from handlers.staff_sign_in import MAX_ADDRESS_FAILURES as MAX_ADDRESS_FAILURES
from handlers.staff_sign_in import MAX_FAILED_LOGINS as MAX_FAILED_LOGINS
from handlers.staff_sign_in import Login as Login
from handlers.staff_sign_in import authenticate as authenticate
from handlers.staff_sign_in import by_email as by_email
from handlers.staff_sign_in import end_session as end_session
from handlers.staff_sign_in import end_sessions, failed_login, lock_ends, throttle_keys
from handlers.staff_sign_in import forget_sessions as forget_sessions
from handlers.staff_sign_in import forget_throttles as forget_throttles
from handlers.staff_sign_in import normalize_email as normalize_email
from handlers.staff_sign_in import open_session as open_session
from handlers.staff_sign_in import open_sessions as open_sessions
from handlers.staff_sign_in import session_staff as session_staff
from messages.catalog import t

MIN_PASSWORD = 10
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DIGEST_KEY = "digest"
DIGEST_DEFAULT = {"emails": [], "day_of_week": "mon", "hour": 9, "minute": 0}


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why (in Japanese)."""

    code = ""

    @classmethod
    def of(cls, code: str, **values: Any) -> StaffError:
        """The error for a code of messages/catalog/console_staff.py (`staff_error.<code>`)."""
        exc = cls(t("ja", f"staff_error.{code}", **values))
        exc.code = code
        return exc


def role_at_least(role: str | None, needed: str) -> bool:
    """True when role is needed or above (viewer < editor < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str) -> str:
    """A scrypt hash (werkzeug) of a password that meets the policy."""
    if len(password or "") < MIN_PASSWORD:
        raise StaffError.of("password_short", n=MIN_PASSWORD)
    return generate_password_hash(password, method="scrypt")


def get(session: Session, staff_id: int) -> Staff | None:
    """A staff account by id."""
    return session.get(Staff, staff_id)


def list_staff(session: Session) -> list[Staff]:
    """Every staff account, by e-mail."""
    return list(session.scalars(select(Staff).order_by(Staff.email)))


def create(
    session: Session,
    email: str,
    password: str,
    role: str,
    actor: str,
    now: datetime,
) -> Staff:
    """A new account; refuses an unknown role, a bad address, a reused one or a short password."""
    email = normalize_email(email)
    if role not in ROLES:
        raise StaffError.of("role", roles=" / ".join(ROLES))
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise StaffError.of("email_format")
    if by_email(session, email) is not None:
        raise StaffError.of("email_taken", email=email)
    staff = Staff(email=email, password_hash=hash_password(password), role=role, created_at=now)
    staff.active, staff.failed_logins = True, 0
    session.add(staff)
    session.flush()
    audit(session, actor, "staff.create", email, {"role": role}, at=now)
    return staff


# --- console sessions ---------------------------------------------------------------------


def sign_out_everywhere(session: Session, staff_id: int, now: datetime) -> int:
    """「すべての端末からサインアウト」: revoke every session of a member, audited."""
    staff = _must(session, staff_id)
    count = end_sessions(session, staff.id, now)
    audit(session, staff.email, "staff.sessions.revoke", staff.email, {"sessions": count}, at=now)
    return count


def _active_admins(session: Session) -> int:
    return session.execute(
        select(func.count()).select_from(Staff).where(Staff.role == "admin", Staff.active)
    ).scalar_one()  # a count always has its row


def _keep_an_admin(session: Session, staff: Staff, role: str, active: bool) -> None:
    losing = staff.role == "admin" and staff.active and (role != "admin" or not active)
    if losing and _active_admins(session) <= 1:
        raise StaffError.of("last_admin")


def set_role(session: Session, staff_id: int, role: str, actor: str, now: datetime) -> Staff:
    """Change an account's role (the last active admin stays admin)."""
    staff = _must(session, staff_id)
    if role not in ROLES:
        raise StaffError.of("role", roles=" / ".join(ROLES))
    if role == staff.role:
        return staff
    _keep_an_admin(session, staff, role, staff.active)
    old, staff.role = staff.role, role
    audit(session, actor, "staff.role", staff.email, {"from": old, "to": role}, at=now)
    return staff


def set_active(session: Session, staff_id: int, active: bool, actor: str, now: datetime) -> Staff:
    """Enable or disable an account (the last active admin stays enabled)."""
    staff = _must(session, staff_id)
    if staff.active == active:
        return staff
    _keep_an_admin(session, staff, staff.role, active)
    staff.active = active
    if not active:
        end_sessions(session, staff.id, now)
    action = "staff.enable" if active else "staff.disable"
    audit(session, actor, action, staff.email, at=now)
    return staff


def set_password(
    session: Session, staff_id: int, password: str, actor: str, now: datetime
) -> Staff:
    """Give an account a new password and lift any lock."""
    staff = _must(session, staff_id)
    staff.password_hash = hash_password(password)
    staff.failed_logins, staff.locked_until = 0, None
    end_sessions(session, staff.id, now)  # every browser signed in as this member signs out
    audit(session, actor, "staff.password", staff.email, at=now)
    return staff


def change_own_password(
    session: Session,
    staff_id: int,
    current: str,
    new: str,
    now: datetime,
    *,
    address: str = "-",
    secret: str = "",
) -> Login:
    """A signed-in member's own change: the current password first (wrong ones count).

    Returns the outcome: ``ok`` (changed; every session of the member is revoked, so the
    caller opens a new one for this browser), ``invalid`` (wrong current password) or
    ``locked``; a new password the policy refuses raises StaffError and changes nothing.
    """
    staff = _must(session, staff_id)
    matched = check_password_hash(staff.password_hash, current or "")
    keys = throttle_keys(secret, staff.email, address)
    until = lock_ends(session, keys, now)
    if until is not None:
        return Login("locked", locked_until=until)
    if not matched:
        return failed_login(session, staff, keys, now)
    if check_password_hash(staff.password_hash, new or ""):
        raise StaffError.of("same_password")
    staff.password_hash = hash_password(new)
    staff.failed_logins = 0
    end_sessions(session, staff.id, now)
    audit(session, staff.email, "staff.password.own", staff.email, at=now)
    return Login("ok", staff)


def _must(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError.of("no_account")
    return staff


# --- the audit trail --------------------------------------------------------------------


# --- settings staff change ------------------------------------------------------------------


def digest_settings(session: Session) -> dict[str, Any]:
    """The digest recipients and schedule (AppSetting "digest"), with defaults filled in."""
    row = session.get(AppSetting, DIGEST_KEY)
    return {**DIGEST_DEFAULT, **(row.value if row else {})}


def check_digest_settings(value: Mapping[str, Any]) -> dict[str, Any]:
    """A cleaned digest setting, or StaffError naming what is wrong."""
    emails: list[str] = []
    for raw in value.get("emails", []):
        email = normalize_email(raw)
        if not email:
            continue
        if not EMAIL_RE.match(email):
            raise StaffError.of("email_format_value", value=raw)
        if email not in emails:
            emails.append(email)
    day = str(value.get("day_of_week", "mon")).lower()
    if day not in DAYS:
        raise StaffError.of("weekday")
    try:
        hour, minute = int(value.get("hour", 9)), int(value.get("minute", 0))
    except (TypeError, ValueError) as exc:
        raise StaffError.of("time_number") from exc
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise StaffError.of("time_range")
    return {"emails": emails, "day_of_week": day, "hour": hour, "minute": minute}


def save_digest_settings(
    session: Session, value: Mapping[str, Any], actor: str, now: datetime
) -> dict[str, Any]:
    """Validate and store the digest setting; audited with the before and after."""
    clean = check_digest_settings(value)
    row = session.get(AppSetting, DIGEST_KEY)
    before = dict(row.value) if row else None
    if row is None:
        row = AppSetting(key=DIGEST_KEY, value=clean, updated_at=now, updated_by=actor)
        session.add(row)
    else:
        row.value, row.updated_at, row.updated_by = clean, now, actor
    audit(session, actor, "settings.digest", DIGEST_KEY, {"from": before, "to": clean}, at=now)
    return clean


# --- numbers for the console's dashboard ---------------------------------------------------------


def friend_counts(session: Session) -> dict[str, int]:
    """Friends (following now), blocks, consents and completed profiles, in one query."""
    from sqlalchemy import case

    from db.models import Resident

    def n(cond: ColumnExpressionArgument[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    row = session.execute(
        select(
            func.count(Resident.id),
            n(~Resident.blocked),
            n(Resident.blocked),
            n((Resident.consent == "agreed") & ~Resident.blocked),
            n(Resident.onboarded_at.is_not(None) & ~Resident.blocked),
        )
    ).one()
    return {
        "total": int(row[0]),
        "friends": int(row[1]),
        "blocked": int(row[2]),
        "agreed": int(row[3]),
        "profiled": int(row[4]),
    }
