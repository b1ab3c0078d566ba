"""Scheduled jobs: one list, run by the clock process or once by `jobs run NAME`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, update

from bot import inbox, outbox
from bot.state import AppState
from db import survey_channels
from db.models import Conversation
from db.session import transaction
from handlers import named
from handlers.engine import FLOWS, IDLE_AFTER

DRAFTS_KEPT = timedelta(days=30)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A job: what it does and when the clock runs it (APScheduler trigger arguments)."""

    name: str
    run: Callable[[AppState], object]
    trigger: str
    trigger_args: dict
    about: str


def recover_inbox(state: AppState) -> int:
    """Held replies a dead process left, then pending events (late replies go as pushes)."""
    return inbox.recover(state)


def send_outbox(state: AppState) -> int:
    """Pending pushes (promotions, late replies): send them."""
    return outbox.deliver_pending(state)


def expire_conversations(state: AppState) -> int:
    """Conversations idle for their flow's `idle_after` (a day) are paused; they can resume."""
    now = state.now()
    own = {f.name: f.idle_after for f in FLOWS.values() if f.idle_after != IDLE_AFTER}
    limits: list[tuple[ColumnElement[bool], timedelta]] = [
        (Conversation.flow.not_in(own), IDLE_AFTER)
    ]
    limits += [(Conversation.flow == name, after) for name, after in own.items()]
    paused = 0
    with transaction(state.sessions) as s:
        for which, after in limits:
            result = s.execute(
                update(Conversation)
                .where(which, Conversation.status == "active")
                .where(Conversation.updated_at < now - after)
                .values(status="paused")
            )
            paused += cast(CursorResult[Any], result).rowcount  # an UPDATE's result has one
    return paused


def expire_web_drafts(state: AppState) -> int:
    """Half-made web answers are kept for resuming, but not for ever (nor past closing)."""
    now = state.now()
    with transaction(state.sessions) as s:
        return survey_channels.expire_drafts(s, now - DRAFTS_KEPT, now)


def expire_paused_answers(state: AppState) -> int:
    """Unfinished survey answers idle for SURVEY_PAUSED_ANSWERS_DAYS go; finished rows go."""
    from handlers import survey

    now, kept = state.now(), timedelta(days=state.settings.survey_paused_answers_days)
    with state.sessions() as s:
        residents = survey.holders(s)
    changed = 0
    for resident_id in residents:  # one transaction each: a resident's events wait briefly
        with transaction(state.sessions) as s:
            changed += survey.forget_old_answers(s, resident_id, now, kept)
    return changed


def forget_old_events(state: AppState) -> int:
    """Events older than WEBHOOK_EVENT_RETENTION_DAYS: no user id, no payload, day-only times."""
    return inbox.forget_old(state)


def flush_anonymous(state: AppState) -> int:
    """Anonymous answers held in the pool: written at close, or generalised after HOLD_DAYS.

    Each survey in its own transaction: one survey's trouble is logged, the others go on
    (and the run still fails at the end, so the clock records it)."""
    from db import anonymous_pool
    from db.surveys import get_survey

    with transaction(state.sessions) as s:
        ids = anonymous_pool.pending_surveys(s)
    written, failed = 0, 0
    for survey_id in ids:
        try:
            with transaction(state.sessions) as s:
                survey = get_survey(s, survey_id)
                assert survey is not None  # pooled answers keep their survey (ON DELETE CASCADE)
                written += anonymous_pool.flush_due_survey(
                    s, survey, state.now(), state.settings.town_tz, state.settings.secret_key
                )
        except Exception:
            failed += 1
            log.exception("anonymous: writing a survey's pooled answers failed; others go on")
    if failed:
        raise RuntimeError(f"anonymous: {failed} of {len(ids)} surveys could not be written")
    return written


def weekly_digest(state: AppState) -> str:
    """Send last week's digest once: the database records which weeks are done."""
    from bot import digest

    return digest.run_scheduled(state)


def dispatch_broadcasts(state: AppState) -> int:
    """Due and interrupted broadcasts: send what is left (batches are claimed, never doubled)."""
    from bot import dispatcher

    return dispatcher.send_due(state, state.now())


def heartbeat(state: AppState) -> str:
    """Touch the clock's heartbeat row in job_runs; the console warns when it is old."""
    from db import digest as job_runs

    with transaction(state.sessions) as s:
        job_runs.beat(s, state.now())
    return "ok"


def event_reminders(state: AppState) -> int:
    """Queue the day-before reminders that are due (marked in the same transaction), send them."""
    from handlers import reminders

    with transaction(state.sessions) as s:
        ids = reminders.queue_due(s, state.now(), state.settings.tz)
    return sum(outbox.deliver(state, i) == "sent" for i in ids)


def forget_sign_ins(state: AppState) -> int:
    """Delete staff_sessions rows ended over a day ago and login_throttles rows quiet for one."""
    from handlers import staff

    lifetime = timedelta(hours=state.settings.console_session_max_hours)
    with transaction(state.sessions) as s:
        now = state.now()
        return staff.forget_sessions(s, now, lifetime) + staff.forget_throttles(s, now)


def count_words(state: AppState) -> int:
    """The free-text words of surveys whose answers changed, counted here and stored, so web
    workers never load the Japanese analyser; one transaction per survey. Questions counted."""
    from handlers import survey_words

    with state.sessions() as s:
        ids = survey_words.surveys(s)
    counted = 0
    for survey_id in ids:
        with transaction(state.sessions) as s:
            counted += survey_words.count_due(s, survey_id, state.now())
    return counted


# The clock runs every job below on its trigger; `jobs list` shows this table.
JOBS: dict[str, Job] = named.by_name(
    "job",
    Job(
        "inbox",
        recover_inbox,
        "interval",
        {"minutes": 1},
        "drain pending webhook events; send held replies left",
    ),
    Job(
        "outbox",
        send_outbox,
        "interval",
        {"minutes": 1},
        "send queued pushes that are still pending",
    ),
    Job(
        "expire",
        expire_conversations,
        "interval",
        {"hours": 1},
        "pause conversations idle for a day",
    ),
    Job(
        "drafts",
        expire_web_drafts,
        "interval",
        {"hours": 6},
        "delete unfinished web answers after 30 days or closing",
    ),
    Job(
        "answers",
        expire_paused_answers,
        "interval",
        {"hours": 1},
        "delete unfinished survey answers kept past their days",
    ),
    Job(
        "retention",
        forget_old_events,
        "interval",
        {"hours": 6},
        "webhook events past their days lose user ids and times",
    ),
    Job(
        "anonymous",
        flush_anonymous,
        "interval",
        {"hours": 1},
        "write pooled anonymous answers (closed surveys, leftovers)",
    ),
    Job(
        "digest",
        weekly_digest,
        "cron",
        {"day_of_week": "mon", "hour": 9, "minute": 0},
        "weekly digest by e-mail and LINE (schedule: console settings; this is the default)",
    ),
    Job(
        "dispatch",
        dispatch_broadcasts,
        "interval",
        {"minutes": 1},
        "send announcements that are due or were interrupted",
    ),
    Job(
        "heartbeat",
        heartbeat,
        "interval",
        {"minutes": 1},
        "record that the clock runs (the console warns if not)",
    ),
    Job(
        "reminders",
        event_reminders,
        "interval",
        {"hours": 1},
        "remind confirmed attendees the day before their event",
    ),
    Job(
        "sign-ins",
        forget_sign_ins,
        "interval",
        {"hours": 6},
        "forget ended console sessions and old failed sign-ins",
    ),
    Job("words", count_words, "interval", {"minutes": 10}, "count the free-text words"),
)
