"""The console blueprint and what every page shares: who is signed in, roles, CSRF, time.

Every state change is a POST carrying the session's CSRF token; every POST needs the
editor role or above (except signing in and out), and admin pages say so with
`@require("admin")`. Checks run on the server for every request, whatever the page shows.
"""

from __future__ import annotations

import hmac
import logging
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import wraps

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from werkzeug.exceptions import ServiceUnavailable

from bot.console.base_display import MIME as MIME
from bot.console.base_display import (
    ROLE_NAMES,
    clock_warning,
    demo_notice,
    jst,
    number,
    percent,
    town_name,
)
from bot.console.base_display import page_args as page_args
from bot.console.base_display import send_export as send_export
from bot.console.base_display import staff_lang as staff_lang
from bot.state import AppState
from db.session import transaction
from db.staff import Staff
from handlers import staff as staff_accounts
from messages.catalog import t

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/admin",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

log = logging.getLogger(__name__)
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
PUBLIC = {"console.login", "console.static"}
ANY_ROLE_POST = {
    "console.login",
    "console.logout",
    "console.account_password",
    "console.account_sessions",
}
IDLE_LIMIT = timedelta(hours=8)
# Request bodies: checked from Content-Length before anything is read (413 when larger).
MAX_BODY = 16 * 1024 * 1024  # signed-in staff: workbooks, YAML, CSV
SIGNED_OUT_MAX_BODY = 64 * 1024  # the sign-in form is all an unknown visitor may post
BODY_LIMITS = {"console.survey_paper_upload": 52 * 1024 * 1024}  # scanned answers (50 MB)
KEEP_ON_SIGN_IN = ("sim_csrf",)  # the simulator's own token, if this browser has one
CSRF_FIELD = "csrf_token"


def state() -> AppState:
    """The app state (settings, sessions, gateway, clock)."""
    return current_app.extensions["machikoe"]


def now() -> datetime:
    """The current time from the app's clock (fixed in tests)."""
    return state().now()


def db() -> Session:
    """A read session for this request, closed when the request ends."""
    if "console_db" not in g:
        g.console_db = state().sessions()
    return g.console_db


@contextmanager
def write() -> Iterator[Session]:
    """A transaction for a change: committed on success, rolled back on error.

    A read session this request opened is closed first: SQLite allows one writer, and the
    read session's transaction must not hold the database while this one waits for it.
    """
    read = g.pop("console_db", None)
    if read is not None:
        read.close()
    with transaction(state().sessions) as s:
        yield s


def me() -> Staff | None:
    """The signed-in staff member (a detached row), or None."""
    return g.get("staff")


def actor() -> str:
    """Who to name in the audit log for this request."""
    staff = me()
    return staff.email if staff else "anonymous"


def can(role: str) -> bool:
    """Whether the signed-in staff member has this role or above."""
    staff = me()
    return staff is not None and staff_accounts.role_at_least(staff.role, role)


def require(role: str) -> Callable:
    """A view decorator: 403 unless the signed-in staff member has at least this role."""

    def deco(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not can(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]  # a mark on the view function
        return wrapped

    return deco


# --- sessions and CSRF ---------------------------------------------------------------------


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not expected:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def lifetime() -> timedelta:
    """The absolute lifetime of a sign-in (CONSOLE_SESSION_MAX_HOURS, 12 hours by default)."""
    return timedelta(hours=state().settings.console_session_max_hours)


def _clear() -> None:
    kept = {k: session[k] for k in KEEP_ON_SIGN_IN if k in session}
    session.clear()
    session.update(kept)


def sign_in(staff: Staff) -> None:
    """Start a fresh server-side session for this member (a new CSRF token too).

    The cookie holds only a random token; the database row behind it is what sign-out,
    「すべての端末からサインアウト」, a password change and the time limits revoke.
    """
    with write() as s:
        token = staff_accounts.open_session(s, staff, now())
    _clear()
    session["sid"] = token
    session["csrf"] = secrets.token_urlsafe(32)


def sign_out() -> None:
    """Revoke this browser's session on the server and forget the cookie."""
    token = session.get("sid")
    if token:
        with write() as s:
            staff_accounts.end_session(s, token, now())
    _clear()


def _load_staff() -> Staff | None:
    token = session.get("sid")
    if not token:
        return None
    with transaction(state().sessions) as s:
        staff = staff_accounts.session_staff(s, token, now(), idle=IDLE_LIMIT, lifetime=lifetime())
    if staff is None:
        _clear()
    return staff


def _body_limit() -> int:
    if g.staff is None:
        return SIGNED_OUT_MAX_BODY
    return BODY_LIMITS.get(request.endpoint or "", MAX_BODY)  # no endpoint: the default


@bp.before_request
def _guard():
    """Sign-in, CSRF and role checks for every console request."""
    if request.endpoint == "console.static":
        return None
    g.staff = _load_staff()
    # Nothing of the body is read before these: the size, then who is asking.
    request.max_content_length = _body_limit()  # also stops a chunked body without a length
    if (request.content_length or 0) > request.max_content_length:
        abort(413)
    if g.staff is None and request.endpoint not in PUBLIC:
        if request.method in SAFE_METHODS:
            return redirect(url_for("console.login", next=request.full_path))
        abort(401)
    if request.method not in SAFE_METHODS and not _csrf_ok():
        abort(400, description="csrf")
    if (
        request.method not in SAFE_METHODS
        and request.endpoint not in ANY_ROLE_POST
        and not can("editor")
    ):
        abort(403)
    return None


@bp.teardown_request
def _close(_exc):
    session_ = g.pop("console_db", None)
    if session_ is not None:
        session_.close()


@bp.after_request
def _headers(response):
    """No caching of staff pages, no framing, no inline script."""
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


ERRORS = (400, 401, 403, 404, 413, 503)  # the page's words: console_error.<code> (a catalog)


def _error(exc):
    code = getattr(exc, "code", 500) or 500
    key = code if code in ERRORS else "other"
    title, body = t("ja", f"console_error.{key}.title"), t("ja", f"console_error.{key}.body")
    return render_template("console/error.html", code=code, title=title, body=body), code


for _code in ERRORS:
    bp.register_error_handler(_code, _error)


@bp.errorhandler(DBAPIError)
def _connection_lost(exc: DBAPIError):
    """A pooled connection died with a database restart: a page is read once more.

    SQLAlchemy has already emptied the pool, so the second try gets a fresh connection. A
    change (POST) is not repeated: staff are asked to reload the page and check.
    """
    if not exc.connection_invalidated:
        raise exc
    stale = g.pop("console_db", None)
    if stale is not None:
        stale.close()
    if request.method not in SAFE_METHODS:
        log.warning("database connection lost during %s; nothing was changed", request.path)
        return _error(ServiceUnavailable())
    log.warning("database connection lost; reading %s again", request.path)
    return current_app.preprocess_request() or current_app.dispatch_request()


# --- downloads ------------------------------------------------------------------------------


# --- showing things -------------------------------------------------------------------------


@bp.app_template_filter("jst")
def _jst_filter(value, fmt: str = "full"):
    return jst(value, fmt)


@bp.app_template_filter("num")
def _num_filter(value):
    return number(value)


@bp.context_processor
def _context():
    return {
        "csrf_token": csrf_token,
        "me": me(),
        "can": can,
        "role_names": ROLE_NAMES,
        "percent": percent,
        "town_name": town_name(),
        "clock_warning": clock_warning,
        "demo_notice": demo_notice,
    }
