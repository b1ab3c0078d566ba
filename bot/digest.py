"""Build the weekly digest and deliver it: e-mail (SMTP_URL) and a LINE push to linked staff.

The scheduled run claims (digest, week) in job_runs first, so two clock processes send
it once; the LINE push also carries the retry key ("digest", week, staff id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from bot import mailer, outbox
from bot.state import AppState
from db import digest as runs
from db.session import transaction
from db.staff import Staff
from handlers import digest as digest_data
from handlers.digest import Digest, Period, Schedule
from handlers.pushes import queue
from handlers.town import load_town
from messages import digest as words

log = logging.getLogger(__name__)
JOB = "digest"
CATCH_UP = timedelta(days=1)  # the clock sends a missed digest if it is at most this late


@dataclass
class Delivery:
    """What one delivery did."""

    period: str
    emails: list[str] = field(default_factory=list)
    mail_error: str | None = None
    pushes: int = 0

    @property
    def ok(self) -> bool:
        """The e-mail went (or there was nobody to e-mail)."""
        return self.mail_error is None

    def summary(self) -> str:
        """One line for logs and the CLI."""
        mail = f"mail to {len(self.emails)}" if self.emails else "no mail"
        if self.mail_error:
            mail += f" FAILED ({self.mail_error})"
        return f"digest {self.period}: {mail}, LINE to {self.pushes} staff"


def quota(state: AppState) -> tuple[str, int | None, int] | None:
    """LINE's quota and this month's usage, or None when LINE does not answer."""
    try:
        return state.gateway.quota()
    except Exception as exc:  # the digest goes out without it
        log.warning("quota unavailable: %s", type(exc).__name__)
        return None


def current_schedule(state: AppState) -> Schedule:
    """The digest schedule staff set, with DIGEST_EMAILS as the default addresses."""
    with state.sessions() as s:
        return digest_data.schedule(s, state.settings.digest_emails)


def compose(state: AppState, period: Period, words: str = "live") -> Digest:
    """The digest for a period, as of now (`words="stored"`: the words the clock counted)."""
    with state.sessions() as s:
        return digest_data.build(
            s, period, state.now(), load_town(s), state.settings.tz, quota(state), words
        )


def deliver(state: AppState, digest: Digest, sched: Schedule) -> Delivery:
    """E-mail the digest and queue + send the LINE push to every linked staff member."""
    tz = state.settings.tz
    result = Delivery(digest.period.key)
    with state.sessions() as s:
        result.emails = digest_data.recipients(s, sched)
    smtp_url = state.settings.smtp_url
    if result.emails and not smtp_url:
        result.mail_error = "SMTP_URL is not set"
        log.warning("digest: %d recipient(s) but SMTP_URL is not set", len(result.emails))
    elif result.emails and smtp_url:  # (set: the branch above took the unset case)
        msg = mailer.build(
            mailer.Smtp.parse(smtp_url).sender,
            result.emails,
            words.subject(digest),
            words.plain(digest, tz),
            words.html(digest, tz),
            [(c.cid, c.png) for c in digest.charts],
        )
        try:
            mailer.send(smtp_url, msg)
        except mailer.MailError as exc:
            result.mail_error = str(exc)
            log.error("digest mail failed: %s", exc)
    messages = words.line_messages(digest)
    with transaction(state.sessions) as s:
        linked = s.execute(
            select(Staff.id, Staff.line_user_id).where(
                Staff.active.is_(True), Staff.line_user_id.is_not(None)
            )
        ).all()
        ids = [
            queue(s, user_id, messages, "digest", (digest.period.key, staff_id))
            for staff_id, user_id in linked
            if user_id is not None  # (the query keeps only linked members)
        ]
    result.pushes = sum(outbox.deliver(state, i) == "sent" for i in ids)
    return result


def send_now(state: AppState, period: Period | None = None) -> Delivery:
    """`digest send`: the seven days before today, now, whatever the schedule says."""
    period = period or Period.before(state.now(), state.settings.tz)
    return deliver(state, compose(state, period), current_schedule(state))


def due_period(state: AppState, sched: Schedule | None = None) -> tuple[Period, datetime]:
    """The period of the latest scheduled digest, and when it was due."""
    sched = sched or current_schedule(state)
    at = sched.latest(state.now(), state.settings.tz)
    return Period.before(at, state.settings.tz), at


def run_scheduled(state: AppState, *, catch_up_only: bool = False) -> str:
    """The `digest` job: send the latest due digest unless it is done (claimed in the DB)."""
    sched = current_schedule(state)
    period, at = due_period(state, sched)
    with state.sessions() as s:
        if runs.is_done(s, JOB, period.key):
            return f"digest {period.key}: already sent"
    if catch_up_only and state.now() - at > CATCH_UP:
        return f"digest {period.key}: missed by more than {CATCH_UP}; use `digest send`"
    with transaction(state.sessions) as s:
        claimed = runs.claim(s, JOB, period.key, state.now())
    if not claimed:
        return f"digest {period.key}: already sent or being sent"
    try:
        delivery = deliver(state, compose(state, period), sched)
    except Exception as exc:
        log.exception("digest %s failed", period.key)
        with transaction(state.sessions) as s:
            runs.finish(s, JOB, period.key, state.now(), False, {"error": type(exc).__name__})
        return f"digest {period.key}: failed ({type(exc).__name__})"
    detail: dict[str, int | str] = {"emails": len(delivery.emails), "pushes": delivery.pushes}
    if delivery.mail_error:
        detail["error"] = delivery.mail_error[:200]
    with transaction(state.sessions) as s:
        runs.finish(s, JOB, period.key, state.now(), delivery.ok, detail)
    return delivery.summary()
