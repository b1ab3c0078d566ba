"""Signing in to the console: passwords checked with throttling, and console sessions.

Wrong passwords are counted per (account, address), per (account, wider network) and per
address, and lock that pair or address for a while; a session is a random token whose hash
is stored. The account changes themselves are in `handlers/staff.py`, the audit trail in
`handlers/staff_audit.py`. Nothing here commits: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from db.staff import LoginThrottle, Staff, StaffSession
from handlers.staff_audit import audit

# Lockouts are per (account, address): a guesser elsewhere cannot lock a colleague out.
MAX_FAILED_LOGINS = 5  # wrong passwords for one account from one address …
FAILURE_WINDOW = timedelta(hours=1)  # … within this window lock that pair for
LOCK_FOR = timedelta(minutes=15)  # this long, doubled for each further lockout,
MAX_LOCK = timedelta(hours=24)  # up to this
FORGET_AFTER = timedelta(days=1)  # a key quiet this long starts again from LOCK_FOR
# Per address, whatever the accounts tried: stops guessing across many accounts.
MAX_ADDRESS_FAILURES = 30
IPV6_PREFIX = 64  # an IPv6 client is counted by its /64: one subscriber holds a whole /64
# Per account and wider network: Japanese ISPs delegate a /56 or /48 to one subscriber, who
# could otherwise try MAX_FAILED_LOGINS per /64 (256–65,536 of them). Still per account and
# network, so a guesser elsewhere cannot lock a colleague out; IPv4 stays the whole address.
IPV6_WIDE_PREFIX = 48
MAX_WIDE_FAILURES = 4 * MAX_FAILED_LOGINS
SESSION_SEEN_EVERY = timedelta(minutes=1)  # how often a session's last_seen_at is written
# checked against when the e-mail is unknown, so both paths take as long
_DUMMY_HASH = generate_password_hash("machikoe-no-such-account", method="scrypt")


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


def by_email(session: Session, email: str) -> Staff | None:
    """A staff account by e-mail (case-insensitive)."""
    return session.scalar(select(Staff).where(Staff.email == normalize_email(email)))


def throttle_address(address: str, prefix: int = IPV6_PREFIX) -> str:
    """What the limits count an address as: IPv4 whole (also when IPv4-mapped in IPv6),
    IPv6 by its /64 (or `prefix`: a guesser cannot rotate through their own), else as given."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        host_bits = 128 - prefix
        return str(ipaddress.IPv6Network((int(ip) >> host_bits << host_bits, prefix)))
    return str(ip)


def throttle_keys(secret: str, email: str, address: str) -> tuple[str, str, str]:
    """(account+address key, address key, account+/48 key): keyed hashes, so no address is
    stored."""

    def key(*parts: str) -> str:
        return hmac.new(secret.encode(), "\0".join(parts).encode(), hashlib.sha256).hexdigest()

    counted, wide = throttle_address(address), throttle_address(address, IPV6_WIDE_PREFIX)
    account = normalize_email(email)
    return key("pair", account, counted), key("address", counted), key("wide", account, wide)


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

    Wrong passwords are counted per (account, address), per (account, IPv6 /48) and per
    address; a locked pair or address is refused even with the right password (status
    ``locked``; callers show the same words as for ``invalid``, so nobody learns which
    accounts exist).
    """
    staff = by_email(session, email)
    matched = check_password_hash(staff.password_hash if staff else _DUMMY_HASH, password or "")
    keys = throttle_keys(secret, email, address)
    until = lock_ends(session, keys, now)
    if until is not None:
        return Login("locked", locked_until=until)
    if staff is None or not matched:
        return failed_login(session, staff, keys, now)
    if not staff.active:
        return Login("inactive")
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_((keys[0], keys[2]))))
    staff.failed_logins = 0
    staff.last_login_at = now
    audit(session, staff.email, "staff.login", staff.email, at=now)
    return Login("ok", staff)


def lock_ends(session: Session, keys: tuple[str, ...], now: datetime) -> datetime | None:
    """When the longest lock on these throttle keys ends, or None if none is locked."""
    rows = session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(keys), LoginThrottle.locked_until > now
        )
    ).all()
    ends = [r for r in rows if r is not None]  # the query keeps only set ones
    return max(ends) if ends else None


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
    assert row is not None  # inserted just above if it was missing
    if now - row.updated_at > FORGET_AFTER:
        row.lockouts = 0
    if now - row.window_started_at > FAILURE_WINDOW:
        row.failures, row.window_started_at = 0, now
    row.failures += 1
    row.updated_at = now
    if row.failures < limit:
        return None
    ends: datetime = now + min(LOCK_FOR * 2**row.lockouts, MAX_LOCK)
    row.locked_until = ends
    row.lockouts += 1
    row.failures, row.window_started_at = 0, now
    return ends


def failed_login(
    session: Session, staff: Staff | None, keys: tuple[str, str, str], now: datetime
) -> Login:
    """Count a wrong password for the pair, the address and the account in its wider network
    (IPv6 /48); too many lock them a while."""
    pair = _count(session, keys[0], MAX_FAILED_LOGINS, now)
    address = _count(session, keys[1], MAX_ADDRESS_FAILURES, now)
    wide = _count(session, keys[2], MAX_WIDE_FAILURES, now)
    pair = max((t for t in (pair, wide) if t), default=None)
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
    return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result has a rowcount


def forget_sessions(session: Session, now: datetime, lifetime: timedelta) -> int:
    """Delete session rows that ended (revoked or past their lifetime) over a day ago."""
    ended = (StaffSession.revoked_at < now - FORGET_AFTER) | (
        StaffSession.created_at < now - lifetime - FORGET_AFTER
    )
    result = session.execute(delete(StaffSession).where(ended))
    return cast(CursorResult[Any], result).rowcount or 0  # a DELETE's result has a rowcount


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
    return cast(CursorResult[Any], result).rowcount or 0  # an UPDATE's result has a rowcount


def open_sessions(
    session: Session, staff_id: int, now: datetime, *, idle: timedelta, lifetime: timedelta
) -> int:
    """How many sessions of a member are still usable."""
    return session.execute(
        select(func.count())
        .select_from(StaffSession)
        .where(
            StaffSession.staff_id == staff_id,
            StaffSession.revoked_at.is_(None),
            StaffSession.created_at > now - lifetime,
            StaffSession.last_seen_at > now - idle,
        )
    ).scalar_one()  # a count always has its row
