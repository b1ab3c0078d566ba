"""The weekly digest's numbers: friends, opinions, surveys, events, announcements, quota.

`build()` takes a session and a period and returns a Digest of sections, made by the
functions in SECTIONS (one explicit list, in the digest's order). A section with nothing to
count says why in `Section.missing` (no population data, LINE not answering the quota); a
section that fails is replaced by a one-line note and the rest go on. Counting happens in
SQL; the sections only arrange the results, and their words are messages/digest.py's.
The shapes live in handlers/digest_model.py, the sections in handlers/digest_sections.py
and handlers/digest_surveys.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db import digest_counts
from handlers import digest_sections as parts
from handlers.digest_model import (
    DAYS,
    Chart,
    Digest,
    Inputs,
    Period,
    Schedule,
    Section,
    Table,
    in_period,
    n,
    pct,
)
from handlers.digest_surveys import surveys
from handlers.town import Town
from messages.digest import say

__all__ = [
    "DAYS",
    "SECTIONS",
    "Chart",
    "Digest",
    "Inputs",
    "Period",
    "Schedule",
    "Section",
    "Table",
    "build",
    "in_period",
    "n",
    "pct",
    "recipients",
    "schedule",
]

log = logging.getLogger(__name__)
DEFAULT_SCHEDULE = {"day_of_week": "mon", "hour": 9, "minute": 0, "emails": []}

SectionFn = Callable[[Inputs], Section | list[Section] | None]

# The digest, in order: (key, function). A key names the section in logs and may appear once.
SECTIONS: list[tuple[str, SectionFn]] = [
    ("friends", parts.friends),
    ("coverage", parts.friend_coverage),
    ("surveys", surveys),
    ("events", parts.events),
    ("announcements", parts.announcements),
    ("opinions", parts.opinions),
    ("quota", parts.quota),
]


def _check_unique(sections: list[tuple[str, SectionFn]]) -> None:
    keys = [key for key, _fn in sections]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"digest sections listed twice: {twice}")


_check_unique(SECTIONS)


def schedule(session: Session, default_emails: tuple[str, ...] = ()) -> Schedule:
    """The schedule staff set (app_settings "digest"), DIGEST_EMAILS when no addresses set."""
    from handlers.staff import digest_settings

    value = {**DEFAULT_SCHEDULE, **digest_settings(session)}
    day = str(value.get("day_of_week", "mon")).lower()
    emails = tuple(value.get("emails") or ()) or tuple(default_emails)
    return Schedule(
        day_of_week=day if day in DAYS else "mon",
        hour=int(value.get("hour", 9)),
        minute=int(value.get("minute", 0)),
        emails=emails,
    )


def recipients(session: Session, sched: Schedule) -> list[str]:
    """Addresses from the schedule plus active staff who asked for the digest by e-mail."""
    staff = digest_counts.digest_staff_emails(session)
    out: list[str] = []
    for email in [*sched.emails, *staff]:
        if email and email.lower() not in {e.lower() for e in out}:
            out.append(email)
    return out


def build(
    session: Session,
    period: Period,
    now: datetime,
    town: Town,
    tz: ZoneInfo,
    quota: tuple[str, int | None, int] | None = None,
    words: str = "live",
) -> Digest:
    """Every section for the period; a failing section says so, the rest go on (`words`:
    as in handlers/survey_results.py; "stored" in a web worker)."""
    inp = Inputs(session, period, now, town, tz, quota, words)
    sections = []
    for key, fn in SECTIONS:
        try:
            with session.begin_nested():
                made = fn(inp)
        except Exception:
            log.exception("digest section %s failed", key)
            made = Section(key, key, missing=say("section_failed"))
        if isinstance(made, Section):
            sections.append(made)
        elif made:
            sections.extend(made)
    return Digest(town.name, period, now, sections, inp.numbers)
