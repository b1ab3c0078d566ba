"""Staff accounts and roles (admin only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from bot.console.base import actor, bp, db, now, require, write
from db.staff import ROLES
from handlers import staff as staff_accounts
from messages.catalog import t


@bp.get("/staff")
@require("admin")
def staff():
    """Every account, with forms to add one and change roles."""
    return render_template(
        "console/staff.html", rows=staff_accounts.list_staff(db()), roles=ROLES, now=now()
    )


def _done(message: str):
    flash(message, "ok")
    return redirect(url_for("console.staff"))


def _refused(exc: Exception):
    flash(str(exc), "error")
    return redirect(url_for("console.staff"))


@bp.post("/staff")
@require("admin")
def staff_create():
    """Add an account with a first password (the person changes it by asking an admin)."""
    form = request.form
    try:
        with write() as s:
            created = staff_accounts.create(
                s,
                form.get("email", ""),
                form.get("password", ""),
                form.get("role", ""),
                actor=actor(),
                now=now(),
            )
            email = created.email
    except staff_accounts.StaffError as exc:
        return _refused(exc)
    return _done(t("ja", "account.staff_added", email=email))


@bp.post("/staff/<int:staff_id>/role")
@require("admin")
def staff_role(staff_id: int):
    """Change an account's role."""
    try:
        with write() as s:
            changed = staff_accounts.set_role(
                s, staff_id, request.form.get("role", ""), actor(), now()
            )
            email = changed.email
    except staff_accounts.StaffError as exc:
        return _refused(exc)
    return _done(t("ja", "account.staff_role", email=email))


@bp.post("/staff/<int:staff_id>/active")
@require("admin")
def staff_active(staff_id: int):
    """Disable or re-enable an account."""
    active = request.form.get("active") == "1"
    try:
        with write() as s:
            changed = staff_accounts.set_active(s, staff_id, active, actor(), now())
            email = changed.email
    except staff_accounts.StaffError as exc:
        return _refused(exc)
    return _done(t("ja", f"account.staff_{'enabled' if active else 'disabled'}", email=email))


@bp.post("/staff/<int:staff_id>/password")
@require("admin")
def staff_password(staff_id: int):
    """Set a new password for an account (and lift a lock)."""
    try:
        with write() as s:
            changed = staff_accounts.set_password(
                s, staff_id, request.form.get("password", ""), actor(), now()
            )
            email = changed.email
    except staff_accounts.StaffError as exc:
        return _refused(exc)
    return _done(t("ja", "account.staff_password", email=email))
