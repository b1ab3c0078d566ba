"""Signing in and out, and the audit log page."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for

from bot.console.base import (
    bp,
    db,
    jst,
    me,
    now,
    page_args,
    require,
    sign_in,
    sign_out,
    write,
)
from handlers import staff as staff_accounts

LOGIN_MESSAGES = {
    "invalid": "メールアドレスまたはパスワードが違います。",
    "inactive": "このアカウントは無効になっています。管理者にお問い合わせください。",
}


def _safe_next(target: str | None) -> str:
    """Only paths inside the console (no other hosts, no scheme tricks)."""
    if not target:
        return url_for("console.dashboard")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/admin/") or "\\" in target:
        return url_for("console.dashboard")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; failures are counted and lock the account after too many."""
    error = None
    email = ""
    if request.method == "POST":
        email = request.form.get("email", "")[:254]
        password = request.form.get("password", "")[:200]
        with write() as s:
            result = staff_accounts.authenticate(s, email, password, now())
        if result.ok:
            sign_in(result.staff)
            return redirect(_safe_next(request.args.get("next")))
        if result.status == "locked":
            error = (
                "ログインに続けて失敗したため、一時的にログインできません。"
                f"{jst(result.locked_until)} 以降にお試しください。"
            )
        else:
            error = LOGIN_MESSAGES.get(result.status, LOGIN_MESSAGES["invalid"])
    status = 401 if error else 200
    return render_template("console/login.html", error=error, email=email), status


@bp.post("/logout")
def logout():
    """Sign out (a POST with the CSRF token, so no other site can do it)."""
    sign_out()
    flash("ログアウトしました。")
    return redirect(url_for("console.login"))


@bp.get("/audit")
@require("admin")
def audit():
    """Who changed what, when (newest first)."""
    page, limit, offset = page_args(50)
    action = request.args.get("action", "").strip()[:64] or None
    rows, total = staff_accounts.audit_entries(db(), limit=limit, offset=offset, action=action)
    return render_template(
        "console/audit.html",
        rows=rows,
        total=total,
        page=page,
        pages=max(1, -(-total // limit)),
        action=action or "",
    )


@bp.get("/account")
def account():
    """The signed-in member's own account: change the password."""
    return render_template("console/account.html")


@bp.post("/account/password")
def account_password():
    """Change one's own password (any role); other browsers signed in as this member sign out."""
    form = request.form
    new = form.get("new_password", "")[:200]
    if new != form.get("confirm_password", "")[:200]:
        flash("新しいパスワードが確認用と一致しません。", "error")
        return redirect(url_for("console.account"))
    try:
        with write() as s:
            result = staff_accounts.change_own_password(
                s, me().id, form.get("current_password", "")[:200], new, now()
            )
    except staff_accounts.StaffError as exc:
        flash(f"{exc}。", "error")
        return redirect(url_for("console.account"))
    if result.status == "locked":
        sign_out()
        flash(
            "パスワードの入力に続けて失敗したため、一時的にログインできません。"
            f"{jst(result.locked_until)} 以降にお試しください。"
        )
        return redirect(url_for("console.login"))
    if not result.ok:
        flash("今のパスワードが違います。", "error")
        return redirect(url_for("console.account"))
    sign_in(result.staff)  # this browser stays signed in with the new password
    flash("パスワードを変更しました。", "ok")
    return redirect(url_for("console.account"))
