"""GET /events/<id>.ics — an event as an iCalendar file (RFC 5545) for the resident's calendar.

The file is public (a link in the confirmation), so it carries what the event cards show:
title, time, place, description. Never the online URL, which only online attendees get.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, request

from db import events as db_events
from db.events import Event
from messages.catalog import t
from messages.rsvp import local

bp = Blueprint("calendar", __name__)


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines of at most 75 octets, continued with a leading space (UTF-8 kept whole)."""
    out: list[str] = []
    current = b""
    for ch in line:
        b = ch.encode("utf-8")
        if len(current) + len(b) > (75 if not out else 74):
            out.append(current.decode("utf-8"))
            current = b""
        current += b
    out.append(current.decode("utf-8"))
    return "\r\n ".join(out)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(event: Event, lang: str, host: str, now: datetime) -> str:
    """The iCalendar text for one event."""
    place = t(lang, "events.place.online") if event.format == "online" else ""
    place = place or local(lang, event.venue)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Machikoe//Events//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{event.id}@{host}",
        f"DTSTAMP:{_stamp(now)}",
        f"DTSTART:{_stamp(event.starts_at)}",
        f"DTEND:{_stamp(event.ends_at)}",
        f"SUMMARY:{_escape(local(lang, event.title))}",
    ]
    if place:
        lines.append(f"LOCATION:{_escape(place)}")
    description = local(lang, event.description)
    if description:
        lines.append(f"DESCRIPTION:{_escape(description)}")
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"


@bp.get("/events/<event_id>.ics")
def event_ics(event_id: str):
    """One event as text/calendar."""
    state = current_app.extensions["machikoe"]
    lang = "en" if request.args.get("lang") == "en" else "ja"
    with state.sessions() as s:
        event = db_events.get_event(s, event_id)
        if event is None:
            abort(404)
        body = ics(event, lang, request.host.split(":")[0] or "machikoe", state.now())
    return (
        body,
        200,
        {
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{event_id}.ics"',
            "Cache-Control": "no-cache",
        },
    )
