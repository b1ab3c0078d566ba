"""Staff accounts: create, authenticate (with throttling), roles, the audit trail, settings.

Used by the console (bot/console/) and the CLI (`flask --app wsgi staff …`). Nothing here
commits: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.models import AuditLog
from db.staff import ROLES, AppSetting, LoginThrottle, Staff, StaffSession

MIN_PASSWORD = 10
# Lockouts are per (account, address): a guesser elsewhere cannot lock a colleague out.
MAX_FAILED_LOGINS = 5  # wrong passwords for one account from one address …
FAILURE_WINDOW = timedelta(hours=1)  # … within this window lock that pair for
LOCK_FOR = timedelta(minutes=15)  # this long, doubled for each further lockout,
MAX_LOCK = timedelta(hours=24)  # up to this
FORGET_AFTER = timedelta(days=1)  # a key quiet this long starts again from LOCK_FOR
# Per address, whatever the accounts tried: stops guessing across many accounts.
MAX_ADDRESS_FAILURES = 30
SESSION_SEEN_EVERY = timedelta(minutes=1)  # how often a session's last_seen_at is written
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


def throttle_keys(secret: str, email: str, address: str) -> tuple[str, str]:
    """(account+address key, address key): keyed hashes, so no address is stored."""

    def key(*parts: str) -> str:
        return hmac.new(secret.encode(), "\0".join(parts).encode(), hashlib.sha256).hexdigest()

    return key("pair", normalize_email(email), address), key("address", address)


def authenticate(
    session: Session,
    email: str,
    password: str,
    now: datetime,
    *,
    address: str = "-",
    secret: str = "",
) -> Login:
    """Check a login from an address; the password hash runs on every path.

    Wrong passwords are counted per (account, address) and per address; a locked pair or
    address is refused even with the right password (status ``locked``; callers show the
    same words as for ``invalid``, so nobody learns which accounts exist).
    """
    staff = by_email(session, email)
    matched = check_password_hash(staff.password_hash if staff else _DUMMY_HASH, password or "")
    keys = throttle_keys(secret, email, address)
    until = _locked_until(session, keys, now)
    if until is not None:
        return Login("locked", locked_until=until)
    if staff is None or not matched:
        return _failed(session, staff, keys, now)
    if not staff.active:
        return Login("inactive")
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == keys[0]))
    staff.failed_logins = 0
    staff.last_login_at = now
    audit(session, staff.email, "staff.login", staff.email, at=now)
    return Login("ok", staff)


def _locked_until(session: Session, keys: tuple[str, ...], now: datetime) -> datetime | None:
    rows = session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    ).all()
    return max(rows) if rows else None


def _count(session: Session, key: str, limit: int, now: datetime) -> datetime | None:
    """One more failure for this key (atomically); the end of a new lockout, if it starts."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        dialect.insert(LoginThrottle)
        .values(key=key, failures=0, window_started_at=now, lockouts=0, updated_at=now)
        .on_conflict_do_nothing(index_elements=["key"])
    )
    row = session.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.key == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if now - row.updated_at > FORGET_AFTER:
        row.lockouts = 0
    if now - row.window_started_at > FAILURE_WINDOW:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.updated_at = now
    if row.failures < limit:
        return None
    row.locked_until = now + min(LOCK_FOR * 2**row.lockouts, MAX_LOCK)
    row.lockouts += 1
    row.failures, row.window_started_at = 0, now
    return row.locked_until


def _failed(session: Session, staff: Staff | None, keys: tuple[str, str], now: datetime) -> Login:
    """Count a wrong password for the pair and the address; too many lock them a while."""
    pair = _count(session, keys[0], MAX_FAILED_LOGINS, now)
    address = _count(session, keys[1], MAX_ADDRESS_FAILURES, now)
    if pair and staff is not None:
        minutes = int((pair - now).total_seconds() // 60)
        audit(session, staff.email, "staff.locked", staff.email, {"minutes": minutes}, at=now)
    if address:
        minutes = int((address - now).total_seconds() // 60)
        audit(session, "anonymous", "staff.address_locked", None, {"minutes": minutes}, at=now)
    until = max((t for t in (pair, address) if t), default=None)
    return Login("locked", locked_until=until) if until else Login("invalid")


def forget_throttles(session: Session, now: datetime) -> int:
    """Delete throttle rows quiet for longer than FORGET_AFTER and not locked."""
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - FORGET_AFTER,
            (LoginThrottle.locked_until.is_(None)) | (LoginThrottle.locked_until < now),
        )
    )
    return result.rowcount or 0


def forget_sessions(session: Session, now: datetime, lifetime: timedelta) -> int:
    """Delete session rows that ended (revoked or past their lifetime) over a day ago."""
    ended = (StaffSession.revoked_at < now - FORGET_AFTER) | (
        StaffSession.created_at < now - lifetime - FORGET_AFTER
    )
    return session.execute(delete(StaffSession).where(ended)).rowcount or 0


# --- console sessions ---------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, staff: Staff, now: datetime) -> str:
    """A new console session for this member; returns the token for the cookie (not stored)."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(token_hash=_token_hash(token), staff_id=staff.id, created_at=now)
    row.last_seen_at = now
    session.add(row)
    return token


def session_staff(
    session: Session, token: str, now: datetime, *, idle: timedelta, lifetime: timedelta
) -> Staff | None:
    """The active member behind a session token, or None (revoked, idle, too old, unknown)."""
    if not token:
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if row is None or row.revoked_at is not None:
        return None
    if now - row.created_at >= lifetime or now - row.last_seen_at >= idle:
        row.revoked_at = now
        return None
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        return None
    if now - row.last_seen_at >= SESSION_SEEN_EVERY:
        row.last_seen_at = now
    return staff


def end_session(session: Session, token: str, now: datetime) -> None:
    """Revoke one session (sign-out): its cookie no longer works, even if copied."""
    if token:
        session.execute(
            update(StaffSession)
            .where(StaffSession.token_hash == _token_hash(token), StaffSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )


def end_sessions(session: Session, staff_id: int, now: datetime) -> int:
    """Revoke every session of a member (all devices); returns how many were open."""
    result = session.execute(
        update(StaffSession)
        .where(StaffSession.staff_id == staff_id, StaffSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount or 0


def open_sessions(
    session: Session, staff_id: int, now: datetime, *, idle: timedelta, lifetime: timedelta
) -> int:
    """How many sessions of a member are still usable."""
    return session.scalar(
        select(func.count())
        .select_from(StaffSession)
        .where(
            StaffSession.staff_id == staff_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.created_at > now - lifetime,
            StaffSession.last_seen_at > now - idle,
        )
    )


def sign_out_everywhere(session: Session, staff_id: int, now: datetime) -> int:
    """「すべての端末からサインアウト」: revoke every session of a member, audited."""
    staff = _must(session, staff_id)
    count = end_sessions(session, staff.id, now)
    audit(session, staff.email, "staff.sessions.revoke", staff.email, {"sessions": count}, at=now)
    return count


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
    until = _locked_until(session, keys, now)
    if until is not None:
        return Login("locked", locked_until=until)
    if not matched:
        return _failed(session, staff, keys, now)
    if check_password_hash(staff.password_hash, new or ""):
        raise StaffError("新しいパスワードは、今のパスワードと違うものにしてください")
    staff.password_hash = hash_password(new)
    staff.failed_logins = 0
    end_sessions(session, staff.id, now)
    audit(session, staff.email, "staff.password.own", staff.email, at=now)
    return Login("ok", staff)


def _must(session: Session, staff_id: int) -> Staff:
    staff = session.get(Staff, staff_id)
    if staff is None:
        raise StaffError("その職員アカウントはありません")
    return staff


# --- the audit trail --------------------------------------------------------------------


def audit_entries(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    action: str | None = None,
    area: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditLog], int]:
    """A page of the audit log, newest first: one action code, or every code of an `area`
    (`staff` → `staff.role`, `staff.password.own`…), one `actor`, `since` ≤ at < `until`."""
    where = []
    if action:
        where.append(AuditLog.action == action)
    if area:
        where.append(AuditLog.action.startswith(f"{area}.", autoescape=True))
    if actor:
        where.append(AuditLog.actor == actor)
    if since is not None:
        where.append(AuditLog.at >= since)
    if until is not None:
        where.append(AuditLog.at < until)
    query = select(AuditLog).where(*where)
    count = select(func.count()).select_from(AuditLog).where(*where)
    rows = session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), session.scalar(count)


def audit_choices(session: Session) -> tuple[list[str], list[str]]:
    """(actors, action codes) that appear in the audit log or are staff, for the filters."""
    actors = set(session.scalars(select(AuditLog.actor).distinct()))
    actors |= set(session.scalars(select(Staff.email)))
    actions = sorted(set(session.scalars(select(AuditLog.action).distinct())))
    return sorted(actors), actions


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
