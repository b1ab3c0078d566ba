"""Staff link their LINE account by typing a one-time code (`staff link-code EMAIL`).

The code (e.g. STAFF-7Q4F-X2PD) is shown once; only its HMAC is stored, for 24 hours.
Typed in the chat, it links the sender's LINE user id to the staff account, so the
weekly digest's LINE push reaches them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.staff import Staff
from handlers import chat
from handlers.context import Ctx, Outcome
from handlers.staff import audit
from messages import common
from messages.digest import staff_text

CODE_TTL = timedelta(hours=24)
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
CODE_RE = r"staff-?[a-hjkmnp-z2-9]{4}-?[a-hjkmnp-z2-9]{4}"


def new_code() -> str:
    """A fresh code, e.g. STAFF-7Q4F-X2PD (40 bits)."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"STAFF-{chars[:4]}-{chars[4:]}"


def code_hash(secret: str, code: str) -> str:
    """The stored form of a code: HMAC-SHA256 under the app's secret key, hex."""
    clean = "".join(chat.normalise(code).split()).replace("-", "").upper()
    return hmac.new(secret.encode(), clean.encode(), hashlib.sha256).hexdigest()


def issue(session: Session, staff: Staff, secret: str, now: datetime) -> str:
    """Give a staff account a new code (replacing any earlier one); returns the code."""
    code = new_code()
    staff.link_code_hash = code_hash(secret, code)
    staff.link_code_expires_at = now + CODE_TTL
    return code


@chat.pattern(CODE_RE)
def link(ctx: Ctx, text: str) -> Outcome:
    """A typed code: link this LINE user to the staff account it was issued for."""
    s = ctx.session
    staff = s.scalar(
        select(Staff)
        .where(
            Staff.link_code_hash == code_hash(ctx.settings.secret_key, text),
            Staff.link_code_expires_at > ctx.now,
            Staff.active.is_(True),
        )
        .with_for_update()
    )
    if staff is None or ctx.resident is None:
        return Outcome().add(common.text(staff_text(ctx.lang, "bad_code")))
    user_id = ctx.resident.line_user_id
    s.execute(
        update(Staff)
        .where(Staff.line_user_id == user_id, Staff.id != staff.id)
        .values(line_user_id=None)
        .execution_options(synchronize_session=False)
    )
    s.flush()
    staff.line_user_id = user_id
    staff.link_code_hash = None
    staff.link_code_expires_at = None
    audit(s, staff.email, "staff.line_link", staff.email, at=ctx.now)
    return Outcome().add(common.text(staff_text(ctx.lang, "linked", email=staff.email)))
