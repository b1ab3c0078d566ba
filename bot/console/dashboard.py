"""The dashboard: friends and blocks, surveys, events, announcements, the message quota."""

from __future__ import annotations

import logging

from flask import redirect, render_template, url_for

from bot.console import announcements, events, surveys
from bot.console.base import bp, db, state
from handlers import staff as staff_accounts

log = logging.getLogger(__name__)


def quota() -> dict | None:
    """This month's message quota from LINE, or None when LINE does not answer."""
    try:
        kind, limit, used = state().gateway.quota()
    except Exception as exc:
        log.warning("quota unavailable: %s", type(exc).__name__)
        return None
    return {
        "type": kind,
        "limit": limit,
        "used": used,
        "left": None if limit is None else max(0, limit - used),
    }


def webhook_queue_figures(session) -> dict:
    """The webhook backlog and this month's replies sent as pushes (too late for the token)."""
    from datetime import UTC

    from db import webhook_queue

    now = state().now()
    month = now.astimezone(state().settings.tz).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    conn = session.connection()
    backlog = webhook_queue.backlog(conn, now)
    return {
        "pending": backlog.pending,
        "oldest_seconds": round(backlog.oldest_seconds),
        "late_pushes": webhook_queue.pushed_since(conn, month.astimezone(UTC)),
    }


@bp.get("/")
def dashboard():
    """Everything at a glance."""
    line_quota = quota()  # before the database: LINE may be slow to answer
    session = db()
    return render_template(
        "console/dashboard.html",
        friends=staff_accounts.friend_counts(session),
        surveys=surveys.summary(session),
        events=events.summary(session),
        announcements=announcements.summary(session),
        quota=line_quota,
        webhook_queue=webhook_queue_figures(session),
    )


@bp.get("")
def dashboard_slashless():
    """/admin → /admin/."""
    return redirect(url_for("console.dashboard"))
