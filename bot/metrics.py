"""GET /metrics: Prometheus figures for the operator, behind METRICS_TOKEN.

Two kinds of figure:

- counted in each process (``prometheus_client``; under gunicorn set
  ``PROMETHEUS_MULTIPROC_DIR`` to an empty directory so every worker's counts are summed —
  ``gunicorn.conf.py`` removes a dead worker's files): webhook requests by status and LINE
  calls by endpoint and outcome;
- read from the database when scraped, so they are right whichever process did the work:
  the webhook backlog (events pending, the oldest one's age), outbox and announcement batches
  by status, each job's last finished run and failed runs, and LINE's quota and this month's
  use (asked of LINE at most every 10 minutes per process).

No resident's words or ids are ever a label.
"""

from __future__ import annotations

import hmac
import os
import threading
import time

from flask import Blueprint, Flask, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

bp = Blueprint("metrics", __name__)

WEBHOOK_REQUESTS = Counter(
    "machikoe_webhook_requests", "Webhook requests answered, by HTTP status", ["status"]
)
LINE_CALLS = Counter(
    "machikoe_line_calls", "Messaging API calls, by endpoint and outcome", ["endpoint", "outcome"]
)
LATE_REPLIES = Counter(
    "machikoe_late_reply_pushes",
    "Replies sent as pushes because the event was processed after the reply window",
)
QUOTA_EVERY = 600.0
_quota_lock = threading.Lock()
_quota: dict = {"at": 0.0, "value": None}


def count_line_call(endpoint: str, outcome: str) -> None:
    """One Messaging API call's outcome (sent, duplicate, failed, retry_exhausted, …)."""
    LINE_CALLS.labels(endpoint=endpoint, outcome=outcome).inc()


def count_late_reply() -> None:
    """One reply queued as a push: its event waited past the reply window."""
    LATE_REPLIES.inc()


def install(app: Flask) -> None:
    """Count webhook answers and serve /metrics."""

    @app.after_request
    def _count(response):
        if request.endpoint == "webhook.callback":
            WEBHOOK_REQUESTS.labels(status=str(response.status_code)).inc()
        return response

    app.register_blueprint(bp)


class _Stored:
    """Figures read from the database at scrape time."""

    def __init__(self, state) -> None:
        self.state = state

    def collect(self):
        from db.broadcasts import BroadcastBatch
        from db.digest import JobRun
        from db.models import Outbox, WebhookEvent

        now = self.state.now()
        with self.state.sessions() as s:
            events = dict(
                s.execute(
                    select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
                ).all()
            )
            oldest = s.scalar(
                select(func.min(WebhookEvent.received_at)).where(WebhookEvent.status == "pending")
            )
            outbox = s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()
            batches = s.execute(
                select(BroadcastBatch.status, func.count()).group_by(BroadcastBatch.status)
            ).all()
            last = s.execute(
                select(JobRun.name, func.max(JobRun.finished_at))
                .where(JobRun.status == "done")
                .group_by(JobRun.name)
            ).all()
            failed = s.execute(
                select(JobRun.name, func.count())
                .where(JobRun.status == "failed")
                .group_by(JobRun.name)
            ).all()
        g = GaugeMetricFamily(
            "machikoe_webhook_events", "Stored webhook events by status", labels=["status"]
        )
        for status in ("pending", "done", "failed"):
            g.add_metric([status], events.get(status, 0))
        yield g
        age = (now - oldest).total_seconds() if oldest else 0.0
        yield GaugeMetricFamily(
            "machikoe_webhook_backlog_oldest_seconds", "Age of the oldest pending event", value=age
        )
        for name, rows, text in (
            ("machikoe_outbox_entries", outbox, "Outbox entries (pushes) by status"),
            ("machikoe_broadcast_batches", batches, "Announcement batches by status"),
        ):
            g = GaugeMetricFamily(name, text, labels=["status"])
            for status, n in rows:
                g.add_metric([status], n)
            yield g
        g = GaugeMetricFamily(
            "machikoe_job_last_success_timestamp", "When each job last finished", labels=["job"]
        )
        for name, at in last:
            if at is not None:
                g.add_metric([name], at.timestamp())
        yield g
        g = GaugeMetricFamily("machikoe_job_failed_runs", "Failed job runs kept", labels=["job"])
        for name, n in failed:
            g.add_metric([name], n)
        yield g
        quota = _line_quota(self.state)
        if quota is not None:
            _type, limit, used = quota
            yield GaugeMetricFamily(
                "machikoe_line_quota_used", "Messages LINE counted this month", value=used
            )
            if limit is not None:
                yield GaugeMetricFamily(
                    "machikoe_line_quota_limit", "LINE's monthly message limit", value=limit
                )


def _line_quota(state):
    with _quota_lock:
        if time.monotonic() - _quota["at"] < QUOTA_EVERY and _quota["at"]:
            return _quota["value"]
        _quota["at"] = time.monotonic()
    from bot.digest import quota

    value = quota(state)
    with _quota_lock:
        _quota["value"] = value
    return value


@bp.get("/metrics")
def metrics():
    """The figures in Prometheus' text format, for a scraper holding the token."""
    state = current_app.extensions["machikoe"]
    token = state.settings.metrics_token
    if not token:
        abort(404)  # off unless the operator sets a token
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return Response("metrics need the token\n", 401, {"WWW-Authenticate": "Bearer"})
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(WEBHOOK_REQUESTS)
        registry.register(LINE_CALLS)
        registry.register(LATE_REPLIES)
    registry.register(_Stored(state))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
