"""The web answer page's guard: body size, language, rate limits and CSRF, on every request.

`check` runs before each request of bot/web_survey.py and `headers` after it; the rate
limiter is held in this process's memory and never stores or logs an address.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
import threading
from collections import deque

from flask import abort, current_app, g, request, session

from bot.state import AppState

DEFAULTS = {
    "WEB_SURVEY_CODE_ATTEMPTS": 10,  # code checks per client address per minute
    "WEB_SURVEY_REQUESTS": 240,  # pages and posts per client address per minute
    "WEB_SURVEY_MAX_BODY": 32 * 1024,  # bytes; a 2,000-character answer needs ~18 KB
}
WINDOW = 60.0
CSRF = "ws_csrf"
LANG = "ws_lang"
LANGS = ("ja", "en")


def state() -> AppState:
    """The app's state (settings, sessions, clock)."""
    return current_app.extensions["machikoe"]


def conf(name: str) -> int:
    """A WEB_SURVEY_* limit from the app's config (or its default)."""
    return int(current_app.config.get(name, DEFAULTS[name]))


# --- rate limit (in this process) -------------------------------------------------------------


class Limiter:
    """At most `limit` hits per `window` seconds per (bucket, key); held in memory only."""

    MAX_KEYS = 50_000

    def __init__(self) -> None:
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, bucket: str, key: str, limit: int, now: float, window: float = WINDOW) -> bool:
        """Count one hit; False (not counted) when the limit is reached."""
        with self._lock:
            if len(self._hits) > self.MAX_KEYS:
                self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - window}
            times = self._hits.setdefault((bucket, key), deque())
            while times and times[0] <= now - window:
                times.popleft()
            if len(times) >= limit:
                return False
            times.append(now)
            return True


def client_address() -> str:
    """Who is asking, for the limiter only (never stored or logged).

    Behind a reverse proxy on this host or a private network (gunicorn behind nginx), the
    address the proxy appended last to X-Forwarded-For; from anywhere else the header is
    ignored, so a client cannot pick its own address.
    """
    peer = request.remote_addr or "-"
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        behind_proxy = ipaddress.ip_address(peer).is_private
    except ValueError:
        behind_proxy = False
    last = forwarded.split(",")[-1].strip()[:64]
    return last if behind_proxy and last else peer


def limited(bucket: str, setting: str) -> bool:
    """True when this client address has used up the limit `setting` in `bucket`."""
    limiter = current_app.extensions.setdefault("web_survey_limiter", Limiter())
    now = state().now().timestamp()
    return not limiter.hit(bucket, client_address(), conf(setting), now)


# --- every request ------------------------------------------------------------------------------


def lang() -> str:
    """The page's language: `?lang=`, then the session's, then the browser's."""
    asked = request.args.get("lang")
    if asked in LANGS:
        session[LANG] = asked
        return asked
    if session.get(LANG) in LANGS:
        return session[LANG]
    return request.accept_languages.best_match(LANGS, default="ja")


def csrf_token() -> str:
    """This browser's token for the answer forms (created on first use)."""
    token = session.get(CSRF)
    if not token:
        token = session[CSRF] = secrets.token_urlsafe(32)
    return token


def csrf_ok() -> bool:
    """The form's CSRF token matches this browser's."""
    expected = session.get(CSRF) or ""
    given = request.form.get("csrf_token") or ""
    return bool(expected) and hmac.compare_digest(expected.encode(), given.encode())


def check():
    """Size, language, rate and CSRF checks, before any form is read."""
    if request.endpoint == "web_survey.static":
        return None
    limit = conf("WEB_SURVEY_MAX_BODY")
    request.max_content_length = limit  # also stops a chunked body without a length
    if (request.content_length or 0) > limit:
        abort(413)
    g.lang = lang()
    if limited("request", "WEB_SURVEY_REQUESTS"):
        abort(429)
    if request.method == "POST" and not csrf_ok():
        abort(400)
    return None


def headers(response):
    """No caching, no scripts, no third-party anything; framing is left to LINE's browser."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    if request.endpoint != "web_survey.static":
        response.headers["Cache-Control"] = "no-store"
    return response
