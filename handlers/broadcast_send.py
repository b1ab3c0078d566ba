"""Sending decisions: which batches a sender takes, who is left out, what each answer from
LINE means for its batch and the broadcast. Each function works in the caller's
transaction; bot/dispatcher.py runs them around its requests.

- A sender claims batches (`pending` → `sending`, SELECT … FOR UPDATE SKIP LOCKED on
  PostgreSQL; SQLite serialises writers) and commits before any request. Exclusions
  (blocked, stopped topic) are applied when a batch is first claimed, so a retried batch
  repeats exactly the same request under the retry key stored with it.
- A batch left `sending` by a dead sender (its process is gone, or its lease expired) is
  sent again under the same retry key: LINE answers 409 for what it already accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from db import broadcasts_queue
from db.broadcasts import STOP_ALL, Broadcast
from db.broadcasts_reports import counts
from handlers.broadcast_lifecycle import audit
from messages.catalog import t

LEASE = timedelta(minutes=2)  # a claim older than this is taken over
MAX_ROUNDS = 5  # a batch that failed this many runs (each with the gateway's retries) fails
RETRY_WINDOW = timedelta(hours=23)  # LINE remembers retry keys for 24 hours
SYSTEM = "system:dispatch"
EMPTY = "empty"  # a batch whose recipients were all left out: nothing to request


@dataclass
class Claimed:
    """A batch this sender owns: what to send and how it was before the claim."""

    id: int
    batch_no: int
    lang: str
    key: str
    user_ids: list[str]
    first_attempt_at: datetime | None
    attempts: int


@dataclass
class SendReport:
    """What one sending run did."""

    broadcast_id: int
    status: str = ""
    batches_sent: int = 0
    recipients_sent: int = 0
    duplicates: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)


def opted_out_topics(b: Broadcast) -> list[str]:
    """The stops that leave a resident out: the broadcast's topic, and "all" unless urgent."""
    topics = [b.topic] if b.topic else []
    if not b.urgent:
        topics.append(STOP_ALL)
    return topics


def claim(
    session: Session,
    broadcast_id: int,
    owner: str,
    now: datetime,
    group: int,
    owner_dead: Callable[[str | None], bool],
) -> list[Claimed] | None:
    """Take up to `group` batches (None when the broadcast is not sending any more).

    `owner_dead(claimed_by)` tells whether the sender that holds a batch is certainly gone
    (the dispatcher knows processes; this module does not)."""
    if broadcasts_queue.status_of(session, broadcast_id) != "sending":
        return None
    rows = broadcasts_queue.pending_batches(session, broadcast_id, group)
    if not rows:  # batches of a sender that died or whose lease ran out
        stale = broadcasts_queue.sending_batches(session, broadcast_id)
        rows = [
            r
            for r in stale
            if r.claimed_at is None or r.claimed_at < now - LEASE or owner_dead(r.claimed_by)
        ][:group]
    claimed: list[Claimed] = []
    for r in rows:
        if r.first_attempt_at is not None and r.first_attempt_at < now - RETRY_WINDOW:
            # LINE has forgotten the retry key: sending again could deliver twice
            r.status, r.error, r.claimed_by = "failed", t("en", "broadcast_note.retry_window"), None
            continue
        claimed.append(
            Claimed(r.id, r.batch_no, r.lang, r.retry_key, [], r.first_attempt_at, r.attempts)
        )
    if not claimed:
        return []
    # the rows are locked (FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE): one UPDATE
    broadcasts_queue.mark_claimed(session, [c.id for c in claimed], owner, now)
    b = session.get(Broadcast, broadcast_id)
    assert b is not None  # its batches are locked, and they go with it
    fresh = [c.batch_no for c in claimed if c.first_attempt_at is None]
    if fresh:  # exclusions are decided once, before the first attempt
        broadcasts_queue.skip_blocked(session, broadcast_id, fresh)
        broadcasts_queue.skip_opted_out(session, broadcast_id, fresh, opted_out_topics(b))
    by_no = {c.batch_no: c for c in claimed}
    for no, uid in broadcasts_queue.user_ids(session, broadcast_id, list(by_no)):
        by_no[no].user_ids.append(uid)
    broadcasts_queue.update_batches(  # the recipients and the attempt, per batch
        session,
        [
            {
                "id": c.id,
                "recipients": len(c.user_ids),
                "attempts": c.attempts + 1 if c.user_ids else c.attempts,
                "first_attempt_at": c.first_attempt_at or (now if c.user_ids else None),
            }
            for c in claimed
        ],
    )
    return claimed


def outcome(c: Claimed, r: Any, now: datetime) -> tuple[dict[str, Any], str | None]:
    """A batch's new columns for LINE's answer `r` (None: not attempted; EMPTY: nobody left),
    and why the broadcast must pause, if it must."""
    if r == EMPTY:
        return {"status": "skipped", "claimed_by": None, "sent_at": now}, None
    if r is None:  # not attempted: give it back as it was
        values: dict[str, Any] = {"status": "pending", "claimed_by": None, "attempts": c.attempts}
        return {**values, "first_attempt_at": c.first_attempt_at}, None
    if r.ok:
        values = {"status": "sent", "claimed_by": None, "sent_at": now}
        return {**values, "request_id": r.request_id, "error": None}, None
    if r.status == "monthly_limit":
        values = {"status": "pending", "claimed_by": None, "error": "monthly limit"}
        return values, t("en", "broadcast_note.monthly_limit")
    if r.status == "retry_exhausted":
        failed = c.attempts + 1 >= MAX_ROUNDS
        status = "failed" if failed else "pending"
        return {"status": status, "claimed_by": None, "error": (r.error or "no answer")[:200]}, None
    # LINE refused the request (4xx): nothing was accepted
    values = {"status": "failed", "claimed_by": None, "error": (r.error or "refused")[:200]}
    return values, t("en", "broadcast_note.refused", error=r.error)


def finish(
    session: Session, broadcast_id: int, results: list[tuple[Claimed, Any]], now: datetime
) -> str | None:
    """Record each batch's outcome; returns why the broadcast paused, if it did."""
    pause = None
    by_shape: dict[frozenset[str], list[dict[str, Any]]] = {}
    for c, r in results:
        values, why = outcome(c, r, now)
        pause = why or pause
        change = {"id": c.id, **values}
        by_shape.setdefault(frozenset(change), []).append(change)
    for rows in by_shape.values():  # one executemany per kind of outcome
        broadcasts_queue.update_batches(session, rows)
    if pause:
        b = broadcasts_queue.locked(session, broadcast_id)
        assert b is not None  # the batches just updated are the broadcast's
        if b.status == "sending":
            b.status, b.pause_reason = "paused", pause
            audit(session, SYSTEM, "broadcast.paused", b, now, reason=pause)
    return pause


def complete(session: Session, broadcast_id: int, now: datetime) -> str:
    """Mark the broadcast done when no batch is left to send; returns its status."""
    b = broadcasts_queue.locked(session, broadcast_id)
    assert b is not None  # a broadcast being sent is not deleted
    if b.status != "sending" or broadcasts_queue.unfinished_batches(session, broadcast_id):
        return b.status
    b.status, b.finished_at = "done", now
    st = counts(session, broadcast_id)
    audit(
        session,
        SYSTEM,
        "broadcast.done",
        b,
        now,
        segment=b.segment,
        topic=b.topic,
        recipients=b.recipients,
        delivered=st.delivered,
        skipped=st.skipped,
        failed=st.failed,
    )
    return b.status


def tally(report: SendReport, results: list[tuple[Claimed, Any]], paused: str | None) -> int:
    """Add a round's results to the report; returns how many batches it finished."""
    finished = 0
    for c, r in results:
        if r is not None and r != EMPTY and r.ok:
            report.batches_sent += 1
            report.recipients_sent += len(c.user_ids)
            report.duplicates += r.status == "duplicate"
        elif r is not None and r != EMPTY:
            report.errors.append(f"batch {c.batch_no}: {r.status} {r.error or ''}")
        finished += r is not None
    if paused:
        report.stopped = paused
    return finished


def closing_note(report: SendReport) -> str | None:
    """Why a run ended with work left when nothing paused it (LINE did not answer)."""
    if report.status == "sending" and report.errors and not report.stopped:
        return t("en", "broadcast_note.no_answer")
    return report.stopped
