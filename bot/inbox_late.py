"""Late events: when a reply token ends, a late reply sent as a push, the backlog warning."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from bot import metrics, outbox
from bot.inbox_held import settle_held
from bot.state import AppState
from db import webhook_queue as queue
from db.session import transaction
from handlers.pushes import queue as queue_push

log = logging.getLogger("bot.inbox")
REPLY_WINDOW = timedelta(seconds=50)  # LINE: use a reply token within one minute
BACKLOG_WARN_EVERY = 60.0  # seconds between two backlog warnings from one process
TOKEN_MAX_AGE = timedelta(minutes=20)  # LINE: no reply 20 minutes after the event occurred
TOKEN_MARGIN = timedelta(minutes=1) - REPLY_WINDOW
TRUSTED_AGE = timedelta(days=1)
_warned = [0.0]


def reply_by(picked: queue.Picked) -> datetime:
    """When the event's reply token ends (less a margin): a minute after the webhook that
    brought it, a redelivery's within 20 minutes of the event (a timestamp more than a day
    older than its receipt is an absurd clock: not trusted)."""
    by = picked.received_at + REPLY_WINDOW
    if picked.occurred_at >= picked.received_at - TRUSTED_AGE:
        by = min(by, picked.occurred_at + TOKEN_MAX_AGE - TOKEN_MARGIN)
    return by


def push_late(state: AppState, taken, outcome) -> None:
    """Send the replies as a push (same retry key as at pick time), counted as late."""
    user_id = getattr(taken.event.source, "user_id", None)
    late_id = None
    with transaction(state.sessions) as s:
        if not taken.held and user_id:
            key = ("event", taken.event_id)
            late_id = queue_push(s, user_id, outcome.replies, "late-reply", key)
        if taken.held or late_id:
            queue.mark_pushed(s.connection(), taken.row_id)
    metrics.count_late_reply()
    if taken.held:
        settle_held(state, taken.held[0], False)  # the held copy goes as the push
    elif late_id:
        outbox.deliver(state, late_id)


def warn_backlog(state: AppState, conn, now) -> None:
    """Processing a late event: warn (rate-limited) with the backlog's size."""
    if time.monotonic() - _warned[0] >= BACKLOG_WARN_EVERY:
        watch_backlog(state, queue.backlog(conn, now))


def watch_backlog(state: AppState, backlog: queue.Backlog) -> None:
    """One WARNING a minute at most while events wait longer than the reply window."""
    if backlog.oldest_seconds < REPLY_WINDOW.total_seconds():
        return
    if time.monotonic() - _warned[0] < BACKLOG_WARN_EVERY:
        return
    _warned[0] = time.monotonic()
    log.warning(
        "webhook backlog: %d events pending, the oldest waiting %.0f s (reply window %d s); "
        "late replies go as pushes: add INBOX_THREADS or a worker process",
        backlog.pending,
        backlog.oldest_seconds,
        REPLY_WINDOW.total_seconds(),
    )
