"""Signing in and out, and the audit log page."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for

from bot.console.audit_view import audit_page
from bot.console.base import (
    IDLE_LIMIT,
    bp,
    db,
    jst,
    lifetime,
    me,
    now,
    require,
    sign_in,
    sign_out,
    state,
    write,
)
from bot.web_survey import client_address
from handlers import staff as staff_accounts
from messages.catalog import t

# One answer for every failed sign-in (unknown address, wrong password, locked), so a
# guesser learns nothing about which accounts exist or are locked.
LOGIN_FAILED = t("ja", "account.login_failed")
LOGIN_MESSAGES = {
    "invalid": LOGIN_FAILED,
    "locked": LOGIN_FAILED,
    "inactive": t("ja", "account.inactive"),
}
_NEXT_OK = re.compile(r"^/admin/[!-~]*$")  # printable ASCII only: no CR/LF, spaces or controls


def _safe_next(target: str | None) -> str:
    """Only paths inside the console (no other hosts, no scheme tricks, no control characters)."""
    if not target or not _NEXT_OK.match(target) or "\\" in target:
        return url_for("console.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return url_for("console.dashboard")
    return target


def _secret() -> str:
    return state().settings.secret_key


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; failures from one address lock that account there for a while."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:200]
        with write() as s:
            result = staff_accounts.authenticate(
                s, email, password, now(), address=client_address(), secret=_secret()
            )
        if result.ok:
            assert result.staff is not None  # a sign-in that worked names its member
            sign_in(result.staff)
            return redirect(_safe_next(request.args.get("next")))
        error = LOGIN_MESSAGES.get(result.status, LOGIN_FAILED)
    status = 401 if error else 200
    return render_template("console/login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can do it)."""
    sign_out()
    flash(t("ja", "account.signed_out"))
    return redirect(url_for("console.login"))


@bp.get("/audit")
@require("admin")
def audit():
    """Who changed what, when (newest first), filtered by person, action and JST dates."""
    return audit_page()


@bp.get("/account")
def account():
    """The signed-in member's own account: change the password, sign out everywhere."""
    staff = me()
    assert staff is not None  # every console page but the login needs a signed-in member
    sessions = staff_accounts.open_sessions(
        db(), staff.id, now(), idle=IDLE_LIMIT, lifetime=lifetime()
    )
    hours = f"{state().settings.console_session_max_hours:g}"
    return render_template("console/account.html", open_sessions=sessions, session_hours=hours)


@bp.post("/account/sessions")
def account_sessions():
    """「すべての端末からサインアウト」: revoke every session of this member (audited)."""
    staff = me()
    assert staff is not None  # every console page but the login needs a signed-in member
    with write() as s:
        staff_accounts.sign_out_everywhere(s, staff.id, now())
    sign_out()
    flash(t("ja", "account.signed_out_everywhere"))
    return redirect(url_for("console.login"))


@bp.post("/account/password")
def account_password():
    """Change one's own password (any role); other browsers signed in as this member sign out."""
    form = request.form
    new = form.get("new_password", "")[:200]
    if new != form.get("confirm_password", "")[:200]:
        flash(t("ja", "account.confirm_mismatch"), "error")
        return redirect(url_for("console.account"))
    staff = me()
    assert staff is not None  # every console page but the login needs a signed-in member
    try:
        with write() as s:
            result = staff_accounts.change_own_password(
                s,
                staff.id,
                form.get("current_password", "")[:200],
                new,
                now(),
                address=client_address(),
                secret=_secret(),
            )
    except staff_accounts.StaffError as exc:
        flash(t("ja", "account.refused", reason=exc), "error")
        return redirect(url_for("console.account"))
    if result.status == "locked":
        sign_out()
        flash(t("ja", "account.locked", until=jst(result.locked_until)))
        return redirect(url_for("console.login"))
    if not result.ok:
        flash(t("ja", "account.wrong_password"), "error")
        return redirect(url_for("console.account"))
    assert result.staff is not None  # a change that worked names its member
    sign_in(result.staff)  # this browser stays signed in with the new password
    flash(t("ja", "account.password_changed"), "ok")
    return redirect(url_for("console.account"))
