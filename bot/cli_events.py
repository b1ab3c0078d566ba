"""`flask --app wsgi events …`: list events, export attendees, record attendance."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from db import events as db_events
from db.models import AuditLog
from db.session import transaction
from handlers import exports, seats
from messages.rsvp import local, when

events_cli = AppGroup("events", help="Workshops and meetings: list, attendees, check-in.")


def _state():
    return current_app.extensions["machikoe"]


@events_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include events that have started.")
def events_list(show_all: bool) -> None:
    """Upcoming events with seats taken per mode and the waitlists."""
    state = _state()
    tz = state.settings.tz
    with state.sessions() as s:
        chosen = db_events.all_events(s) if show_all else db_events.upcoming_events(s, state.now())
        if not chosen:
            click.echo("no upcoming events")
            return
        counts: dict[str, list[str]] = {}
        for c in db_events.signup_counts(s, [e.id for e in chosen]):
            counts.setdefault(c.event_id, []).append(
                f"{c.mode} {c.confirmed}/{c.capacity} (waitlist {c.waitlisted})"
            )
        for e in chosen:
            closed = "" if e.open_at(state.now()) else "  [closed]"
            click.echo(
                f"{e.id:20} {when('ja', e.starts_at, e.ends_at, tz)}  {local('ja', e.title)}"
                f"  {e.format}: {', '.join(counts.get(e.id, []))}{closed}"
            )


@events_cli.command("attendees")
@click.argument("event_id")
@click.option("--format", "fmt", type=click.Choice(exports.FORMATS), default="csv")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def events_attendees(event_id: str, fmt: str, output: Path) -> None:
    """Every sign-up of an event (mode, status, waitlist position, attended) to CSV or xlsx."""
    state = _state()
    with state.sessions() as s:
        if db_events.get_event(s, event_id) is None:
            click.echo(f"no event {event_id!r}; see `events list`", err=True)
            sys.exit(1)
        n = exports.export_attendees(s, event_id, output, fmt, tz=state.settings.tz)
    click.echo(f"{n} sign-ups written to {output}")


@events_cli.command("door-sheet")
@click.argument("event_id")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def events_door_sheet(event_id: str, output: Path) -> None:
    """The printable door list (受付名簿, xlsx): 受付番号, 名前, 参加方法, 出席 (blank)."""
    from handlers import attendee_sheet

    state = _state()
    with state.sessions() as s:
        if db_events.get_event(s, event_id) is None:
            click.echo(f"no event {event_id!r}; see `events list`", err=True)
            sys.exit(1)
        n = attendee_sheet.export_door_sheet(s, event_id, output, tz=state.settings.tz)
    click.echo(f"{n} people on the door list written to {output}")


@events_cli.command("checkin")
@click.argument("event_id")
@click.argument("code")
def events_checkin(event_id: str, code: str) -> None:
    """Record attendance for the sign-up with this attendance code."""
    state = _state()
    with transaction(state.sessions) as s:
        result = seats.checkin(s, event_id, code, state.now())
        if result.status == "checked_in":
            assert result.signup is not None  # a check-in names its sign-up
            s.add(
                AuditLog(
                    actor="cli",
                    action="events.checkin",
                    target=event_id,
                    detail={"signup": result.signup.id},
                )
            )
        mode = result.signup.mode if result.signup else ""
        status = result.signup.status if result.signup else ""
    messages = {
        "checked_in": f"checked in: code {code} ({mode})",
        "already": f"already checked in: code {code} ({mode})",
        "unknown_code": f"no sign-up with code {code!r} for {event_id}",
        "not_confirmed": f"code {code} is {status}, not confirmed: not checked in",
        "unknown_event": f"no event {event_id!r}; see `events list`",
    }
    click.echo(messages[result.status], err=result.status not in {"checked_in", "already"})
    if result.status not in {"checked_in", "already"}:
        sys.exit(1)
