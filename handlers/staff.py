"""Staff accounts: create, authenticate (with throttling), roles, the audit trail, settings.

Used by the console (bot/console/) and the CLI (`flask --app wsgi staff …`). Nothing here
commits: the caller owns the transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.models import AuditLog
from db.staff import ROLES, AppSetting, Staff

MIN_PASSWORD = 10
MAX_FAILED_LOGINS = 5
LOCK_FOR = timedelta(minutes=15)
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DIGEST_KEY = "digest"
DIGEST_DEFAULT = {"emails": [], "day_of_week": "mon", "hour": 9, "minute": 0}
# checked against when the e-mail is unknown, so both paths take as long
_DUMMY_HASH = generate_password_hash("machikoe-no-such-account", method="scrypt")


class StaffError(ValueError):
    """A staff change that cannot be made; the message says why (in Japanese)."""


@dataclass(frozen=True)
class Login:
    """How a login attempt ended: ok, invalid, locked or inactive."""

    status: str
    staff: Staff | None = None
    locked_until: datetime | None = None

    @property
    def ok(self) -> bool:
        """The password matched an active, unlocked account."""
        return self.status == "ok"


def normalize_email(email: str) -> str:
    """An e-mail address trimmed and lower-cased."""
    return (email or "").strip().lower()


def role_at_least(role: str | None, needed: str) -> bool:
    """True when role is needed or above (viewer < editor < admin)."""
    return role in ROLES and ROLES.index(role) >= ROLES.index(needed)


def hash_password(password: str) -> str:
    """A scrypt hash (werkzeug) of a password that meets the policy."""
    if len(password or "") < MIN_PASSWORD:
        raise StaffError(f"パスワードは{MIN_PASSWORD}文字以上にしてください")
    return generate_password_hash(password, method="scrypt")


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Record who changed what (in the caller's transaction)."""
    entry = AuditLog(actor=actor[:120], action=action[:64], target=target and target[:200])
    entry.detail = detail or {}
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry


def get(session: Session, staff_id: int) -> Staff | None:
    """A staff account by id."""
    return session.get(Staff, staff_id)


def by_email(session: Session, email: str) -> Staff | None:
    """A staff account by e-mail (case-insensitive)."""
    return session.scalar(select(Staff).where(Staff.email == normalize_email(email)))


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
        raise StaffError(f"権限は {' / '.join(ROLES)} のいずれかです")
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise StaffError("メールアドレスの形式が正しくありません")
    if by_email(session, email) is not None:
        raise StaffError(f"{email} はすでに登録されています")
    staff = Staff(email=email, password_hash=hash_password(password), role=role, created_at=now)
    staff.active, staff.failed_logins = True, 0
    session.add(staff)
    session.flush()
    audit(session, actor, "staff.create", email, {"role": role}, at=now)
    return staff


def authenticate(session: Session, email: str, password: str, now: datetime) -> Login:
    """Check a login; failures are counted and lock the account for a while after too many."""
    staff = by_email(session, email)
    if staff is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return Login("invalid")
    if staff.locked_until is not None and staff.locked_until > now:
        return Login("locked", locked_until=staff.locked_until)
    if not check_password_hash(staff.password_hash, password or ""):
        return _failed(session, staff, now)
    if not staff.active:
        return Login("inactive")
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    audit(session, staff.email, "staff.login", staff.email, at=now)
    return Login("ok", staff)


def _failed(session: Session, staff: Staff, now: datetime) -> Login:
    """Count a wrong password; too many in a row lock the account for a while."""
    session.execute(
        update(Staff)
        .where(Staff.id == staff.id)
        .values(failed_logins=Staff.failed_logins + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(staff)
    if staff.failed_logins >= MAX_FAILED_LOGINS:
        staff.locked_until = now + LOCK_FOR
        staff.failed_logins = 0
        audit(session, staff.email, "staff.locked", staff.email, {"minutes": 15}, at=now)
        return Login("locked", locked_until=staff.locked_until)
    return Login("invalid")


def _active_admins(session: Session) -> int:
    return session.scalar(
        select(func.count()).select_from(Staff).where(Staff.role == "admin", Staff.active)
    )


def _keep_an_admin(session: Session, staff: Staff, role: str, active: bool) -> None:
    losing = staff.role == "admin" and staff.active and (role != "admin" or not active)
    if losing and _active_admins(session) <= 1:
        raise StaffError("最後の管理者の権限は外せません")


def set_role(session: Session, staff_id: int, role: str, actor: str, now: datetime) -> Staff:
    """Change an account's role (the last active admin stays admin)."""
    staff = _must(session, staff_id)
    if role not in ROLES:
        raise StaffError(f"権限は {' / '.join(ROLES)} のいずれかです")
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
    audit(session, actor, "staff.password", staff.email, at=now)
    return staff


def change_own_password(
    session: Session, staff_id: int, current: str, new: str, now: datetime
) -> Login:
    """A signed-in member's own change: the current password first (wrong ones count).

    Returns the outcome: ``ok`` (changed), ``invalid`` (wrong current password) or
    ``locked``; a new password the policy refuses raises StaffError and changes nothing.
    """
    staff = _must(session, staff_id)
    if staff.locked_until is not None and staff.locked_until > now:
        return Login("locked", locked_until=staff.locked_until)
    if not check_password_hash(staff.password_hash, current or ""):
        return _failed(session, staff, now)
    if check_password_hash(staff.password_hash, new or ""):
        raise StaffError("新しいパスワードは、今のパスワードと違うものにしてください")
    staff.password_hash = hash_password(new)
    staff.failed_logins = 0
    audit(session, staff.email, "staff.password.own", staff.email, at=now)
    return Login("ok", staff)


def _must(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("その職員アカウントはありません")
    return staff


# --- the audit trail --------------------------------------------------------------------


def audit_entries(
    session: Session, *, limit: int = 50, offset: int = 0, action: str | None = None
) -> tuple[list[AuditLog], int]:
    """A page of the audit log, newest first, optionally only actions starting with `action`."""
    query = select(AuditLog)
    count = select(func.count()).select_from(AuditLog)
    if action:
        query = query.where(AuditLog.action.startswith(action, autoescape=True))
        count = count.where(AuditLog.action.startswith(action, autoescape=True))
    rows = session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), session.scalar(count)


# --- settings staff change ------------------------------------------------------------------


def digest_settings(session: Session) -> dict:
    """The digest recipients and schedule (AppSetting "digest"), with defaults filled in."""
    row = session.get(AppSetting, DIGEST_KEY)
    return {**DIGEST_DEFAULT, **(row.value if row else {})}


def check_digest_settings(value: dict) -> dict:
    """A cleaned digest setting, or StaffError naming what is wrong."""
    emails = []
    for raw in value.get("emails", []):
        email = normalize_email(raw)
        if not email:
            continue
        if not EMAIL_RE.match(email):
            raise StaffError(f"メールアドレスの形式が正しくありません: {raw}")
        if email not in emails:
            emails.append(email)
    day = str(value.get("day_of_week", "mon")).lower()
    if day not in DAYS:
        raise StaffError("曜日を選んでください")
    try:
        hour, minute = int(value.get("hour", 9)), int(value.get("minute", 0))
    except (TypeError, ValueError) as exc:
        raise StaffError("時刻は数字で入力してください") from exc
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise StaffError("時刻は 0:00〜23:59 で入力してください")
    return {"emails": emails, "day_of_week": day, "hour": hour, "minute": minute}


def save_digest_settings(session: Session, value: dict, actor: str, now: datetime) -> dict:
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

    def n(cond):
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
