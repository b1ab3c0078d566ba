"""Invitation codes for mailed letters: make, normalise, check and use them.

A code is 7 random characters and a check character from an alphabet without look-alikes
(no 0/O, 1/I/L), written `K7QM-4T2X`. The check character is a weighted sum modulo 31 (a
prime), so any one mistyped character and any swap of two neighbours is caught before the
database is asked. Only a hash of each code is stored, and nothing ties a code to a person
or to the answers it unlocked.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy.orm import Session

from db import survey_channels as store
from messages.text import nfkc

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # 31 characters: no 0 O 1 I L
RANDOM_LENGTH = 7
MAX_COUNT = 100_000
assert len(ALPHABET) == 31


def _check_char(body: str) -> str:
    total = sum((i + 1) * ALPHABET.index(ch) for i, ch in enumerate(body))
    return ALPHABET[total % len(ALPHABET)]


def make_code() -> str:
    """One new code, formatted `XXXX-XXXX`, with at least one digit (so no word is a code)."""
    body = ""
    while not any(ch.isdigit() for ch in body):
        body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    raw = body + _check_char(body)
    return f"{raw[:4]}-{raw[4:]}"


def normalize(typed: str | None) -> str | None:
    """A typed code as `XXXX-XXXX`, or None when it is not a well-formed code.

    Full-width characters, lower case, spaces and hyphens of any kind are accepted; the
    look-alikes O/I/L are read as 0/1/1 and then refused (they are never in a code).
    """
    if not typed:
        return None
    text = nfkc(typed, upper=True)
    raw = "".join(ch for ch in text if ch.isalnum())
    if len(raw) != RANDOM_LENGTH + 1 or any(ch not in ALPHABET for ch in raw):
        return None
    if _check_char(raw[:-1]) != raw[-1]:
        return None
    return f"{raw[:4]}-{raw[4:]}"


def looks_like_code(typed: str | None) -> bool:
    """Eight letters and digits (with an optional hyphen): worth telling apart from words."""
    if not typed:
        return False
    text = nfkc(typed, strip=True, upper=True).replace(" ", "")
    raw = text.replace("-", "")
    return len(raw) == RANDOM_LENGTH + 1 and raw.isascii() and raw.isalnum() and len(text) <= 9


def code_hash(code: str) -> str:
    """What is stored for a (normalised) code."""
    return hashlib.sha256(f"machikoe-invitation:{code}".encode()).hexdigest()


def create(session: Session, survey_id: str, count: int) -> list[str]:
    """`count` new codes for a survey, unique across every survey; only hashes are stored."""
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be between 1 and {MAX_COUNT}")
    codes: dict[str, str] = {}
    while len(codes) < count:
        fresh: dict[str, str] = {}  # hash → code
        while len(codes) + len(fresh) < count:
            code = make_code()
            h = code_hash(code)
            if h not in codes:
                fresh[h] = code
        taken = store.existing_hashes(session, list(fresh))
        codes.update({h: c for h, c in fresh.items() if h not in taken})
    store.add_invitations(session, survey_id, list(codes))
    return list(codes.values())


def status(session: Session, survey_id: str, typed: str | None) -> str:
    """`ok`, `malformed` (fails the check character), `unknown`, `other_survey` or `used`."""
    code = normalize(typed)
    if code is None:
        return "malformed"
    row = store.invitation(session, code_hash(code))
    if row is None:
        return "unknown"
    if row.survey_id != survey_id:
        return "other_survey"
    return "used" if row.used else "ok"


def survey_of(session: Session, typed: str | None) -> str | None:
    """The survey a code belongs to (used or not), or None."""
    code = normalize(typed)
    row = store.invitation(session, code_hash(code)) if code else None
    return row.survey_id if row else None


def use(session: Session, survey_id: str, typed: str | None) -> bool:
    """Mark the code used, in the caller's transaction; False if it was not usable."""
    if status(session, survey_id, typed) != "ok":
        return False
    code = normalize(typed)
    assert code is not None  # status() found it well-formed
    return store.use_invitation(session, code_hash(code))
