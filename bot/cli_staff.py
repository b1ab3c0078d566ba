"""`flask --app wsgi staff …`: console accounts from the command line."""

from __future__ import annotations

import os
import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup

from db.session import transaction
from db.staff import ROLES
from handlers import staff as staff_accounts

staff_cli = AppGroup("staff", help="Staff accounts for the console.")


def _state():
    return current_app.extensions["machikoe"]


@staff_cli.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="viewer", show_default=True)
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input (one line)."
)
def staff_create(email: str, role: str, password_stdin: bool) -> None:
    """Create a console login; the password comes from a prompt or --password-stdin."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    state = _state()
    try:
        with transaction(state.sessions) as s:
            staff_accounts.create(s, email, password, role, actor="cli", now=state.now())
    except staff_accounts.StaffError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"created {staff_accounts.normalize_email(email)} ({role})")


@staff_cli.command("list")
def staff_list() -> None:
    """Every staff account with its role and state."""
    state = _state()
    with state.sessions() as s:
        rows = staff_accounts.list_staff(s)
    tz = state.settings.tz
    for st in rows:
        last = (
            st.last_login_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if st.last_login_at else "-"
        )
        flags = "" if st.active else " disabled"
        if st.locked_until and st.locked_until > state.now():
            flags += " locked"
        click.echo(f"{st.email:40} {st.role:7} last login {last}{flags}")
    if not rows:
        click.echo("no staff accounts yet: flask --app wsgi staff create EMAIL --role admin")


DEMO_EMAIL = "demo@example.jp"


def demo_login() -> None:
    """Create (or re-key) the demo admin login with a fresh random password, and print it."""
    state = _state()
    password = secrets.token_urlsafe(12)
    now = state.now()
    with transaction(state.sessions) as s:
        existing = staff_accounts.by_email(s, DEMO_EMAIL)
        if existing is None:
            staff_accounts.create(s, DEMO_EMAIL, password, "admin", actor="demo", now=now)
        else:
            staff_accounts.set_password(s, existing.id, password, actor="demo", now=now)
            staff_accounts.set_active(s, existing.id, True, actor="demo", now=now)
            staff_accounts.set_role(s, existing.id, "admin", actor="demo", now=now)
    port = os.environ.get("PORT", "5000")
    click.echo(f"staff console: http://127.0.0.1:{port}/admin/")
    click.echo(f"demo login:    {DEMO_EMAIL} / {password}")


@staff_cli.command("link-code")
@click.argument("email")
def staff_link_code(email: str) -> None:
    """A one-time code (24 h) that links a staff member's LINE account when typed in the chat."""
    from handlers import staff_link

    state = _state()
    with transaction(state.sessions) as s:
        staff = staff_accounts.by_email(s, email)
        if staff is None or not staff.active:
            click.echo(f"error: no active staff account {email}", err=True)
            sys.exit(1)
        code = staff_link.issue(s, staff, state.settings.secret_key, state.now())
        assert staff.link_code_expires_at is not None  # issue() has just set it
        expires = staff.link_code_expires_at.astimezone(state.settings.tz)
        staff_accounts.audit(s, "cli", "staff.link_code", staff.email, at=state.now())
    click.echo(f"link code for {staff.email}: {code}")
    click.echo(f"valid until {expires:%Y-%m-%d %H:%M} ({state.settings.town_tz}), once.")
    click.echo("Send it as a message to the town's LINE account from the staff member's LINE.")
