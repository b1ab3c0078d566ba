"""Logging: one line per event, as text or JSON (LOG_FORMAT), with the request's id.

Every console and webhook request gets an id (the proxy's ``X-Request-Id`` when it is a safe
token, else a new one), returned in the response's ``X-Request-Id`` and added to every log
line written while the request runs. Code that handles one webhook event or one LINE call
adds ``webhook_event_id`` / ``line_request_id`` with ``extra=``. Never residents' words: log
calls pass ids, counts and statuses only.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

from flask import Flask, g, request

REQUEST_ID = contextvars.ContextVar("request_id", default=None)
EVENT_ID = contextvars.ContextVar("webhook_event_id", default=None)
_SAFE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FIELDS = ("request_id", "webhook_event_id", "line_request_id")


class _Context(logging.Filter):
    """Adds the request's and the event's ids to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = REQUEST_ID.get()
        if getattr(record, "webhook_event_id", None) is None:
            record.webhook_event_id = EVENT_ID.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message and the ids."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """The readable line, with the ids at the end when there are any."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        ids = [f"{n}={getattr(record, n)}" for n in FIELDS if getattr(record, n, None)]
        return f"{text} [{' '.join(ids)}]" if ids else text


def configure(level: str, fmt: str) -> None:
    """Set up the root logger once per process (a second call replaces our handler)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_machikoe", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler()
    handler._machikoe = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_Context())
    root.addHandler(handler)
    root.setLevel(level)


_RESET_KEY = "machikoe.request_id_reset"  # the environ key of the id's contextvar token


def install_request_ids(app: Flask) -> None:
    """Give every request an id, in the logs and in the X-Request-Id response header."""

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-Id", "")
        g.request_id = given if _SAFE_ID.fullmatch(given) else uuid.uuid4().hex
        # on the request itself, not g: a request made inside another (the simulator's call
        # through WSGI) shares the outer one's app context and so its g
        request.environ[_RESET_KEY] = REQUEST_ID.set(g.request_id)

    @app.after_request
    def _finish(response):
        rid = REQUEST_ID.get()  # this request's own, even after a request made inside it
        if rid is not None:
            response.headers["X-Request-Id"] = rid
        return response

    @app.teardown_request
    def _clear(_exc) -> None:
        token = request.environ.pop(_RESET_KEY, None)
        if token is not None:
            REQUEST_ID.reset(token)
