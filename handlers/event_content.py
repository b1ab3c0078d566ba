"""Content `kind: event`: schema, checks and how an event file is stored.

Example (docs/events.md has the full format)::

    kind: event
    id: ws-2026-1
    series: mirai-2026
    title: 未来について話そう 第1回
    starts_at: 2026-12-12T18:30:00+09:00
    ends_at: 2026-12-12T20:30:00+09:00
    venue: 役場 2階 会議室
    format: hybrid
    capacity: {onsite: 30, online: 50}
    online_url: https://example.jp/meet/abc
    signup_closes_at: 2026-12-11T17:00:00+09:00
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.orm import Session

from db import events as db_events
from db import events_signups as signups
from db.base import utcnow
from db.events import Event
from handlers import content, seats
from handlers.content import DATETIME, ID, TEXT, URL, Document, Kind, parse_time

CAPACITY = {"type": "integer", "minimum": 0, "maximum": 100000}

EVENT_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "starts_at", "ends_at", "format", "capacity"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "event"},
        "id": ID,
        "series": ID,
        "series_title": TEXT,
        "title": TEXT,
        "starts_at": DATETIME,
        "ends_at": DATETIME,
        "venue": TEXT,
        "format": {"enum": list(db_events.FORMATS)},
        "capacity": {
            "type": "object",
            "properties": {"onsite": CAPACITY, "online": CAPACITY},
            "additionalProperties": False,
            "minProperties": 1,
        },
        "online_url": {**URL, "maxLength": 1000},
        "signup_closes_at": DATETIME,
        "description": TEXT,
    },
}


def _text(value: str | Mapping[str, str] | None) -> dict[str, str]:
    """A content text as {ja: …, en: …}."""
    if value is None:
        return {}
    return {"ja": value} if isinstance(value, str) else dict(value)


def _modes(fmt: str) -> set[str]:
    return set(db_events.MODES) if fmt == "hybrid" else {fmt}


def _checks(doc: Document, session: Session) -> list[str]:
    d = doc.data
    problems = content.check_times("starts_at", "ends_at", "signup_closes_at")(doc, session)
    if problems:
        return problems
    starts, ends = parse_time(d["starts_at"]), parse_time(d["ends_at"])
    assert starts is not None and ends is not None  # check_times found no problem
    if ends <= starts:
        problems.append(
            doc.problem(["ends_at"], "must be after starts_at", "after", other="starts_at")
        )
    closes = parse_time(d["signup_closes_at"]) if "signup_closes_at" in d else None
    if closes is not None and closes > starts:  # (checked above: a time, when given)
        problems.append(
            doc.problem(
                ["signup_closes_at"], "must not be after starts_at", "not_after", other="starts_at"
            )
        )
    fmt = d["format"]
    wanted, given = _modes(fmt), set(d["capacity"])
    for missing in sorted(wanted - given):
        problems.append(
            doc.problem(
                ["capacity", missing],
                f"a {fmt} event needs capacity.{missing} (e.g. 30)",
                "capacity_missing",
                mode=missing,
            )
        )
    for extra in sorted(given - wanted):
        problems.append(
            doc.problem(
                ["capacity", extra],
                f"a {fmt} event has no {extra} seats; remove it",
                "capacity_extra",
                mode=extra,
            )
        )
    if fmt in {"online", "hybrid"} and not d.get("online_url"):
        problems.append(
            doc.problem(["online_url"], f"is required for a {fmt} event", "online_url_needed")
        )
    if fmt == "onsite" and d.get("online_url"):
        problems.append(
            doc.problem(
                ["online_url"], "only online or hybrid events have one", "online_url_unused"
            )
        )
    if fmt in {"onsite", "hybrid"} and not d.get("venue"):
        problems.append(doc.problem(["venue"], f"is required for a {fmt} event", "venue_needed"))
    if problems:
        return problems
    # changing an event that people signed up for: never below what is already taken
    existing = db_events.get_event(session, d["id"])
    if existing is not None:
        counts = db_events.confirmed_counts(session, [d["id"]])
        for mode in db_events.MODES:
            taken = counts.get((d["id"], mode), 0)
            if mode not in wanted and taken:
                problems.append(
                    doc.problem(
                        ["format"],
                        f"{taken} people are signed up {mode}; keep that mode",
                        "mode_taken",
                        mode=mode,
                        n=taken,
                    )
                )
            elif mode in wanted and d["capacity"][mode] < taken:
                problems.append(
                    doc.problem(
                        ["capacity", mode],
                        f"{taken} people are already confirmed; capacity cannot be lower",
                        "capacity_taken",
                        mode=mode,
                        n=taken,
                    )
                )
    return problems


def _store(session: Session, doc: Document) -> None:
    d = doc.data
    event = signups.lock_event(session, d["id"])
    if event is None:
        event = Event(id=d["id"])
        session.add(event)
    event.series = d.get("series")
    event.series_title = _text(d.get("series_title"))
    event.title = _text(d["title"])
    event.description = _text(d.get("description"))
    event.venue = _text(d.get("venue"))
    event.format = d["format"]
    starts_at, ends_at = parse_time(d["starts_at"]), parse_time(d["ends_at"])
    assert starts_at is not None and ends_at is not None  # stored only once checked
    event.starts_at = starts_at
    event.ends_at = ends_at
    event.capacity_onsite = d["capacity"].get("onsite", 0)
    event.capacity_online = d["capacity"].get("online", 0)
    event.online_url = d.get("online_url")
    event.signup_closes_at = (
        parse_time(d["signup_closes_at"]) if d.get("signup_closes_at") else None
    )
    event.updated_at = utcnow()
    session.flush()
    # more seats than before: the people waiting get them, and are told by push
    from handlers import rsvp  # rsvp imports the chat registry; keep this module light

    for mode in event.modes:
        promoted = seats.fill_seats(session, event, mode, utcnow())
        rsvp.queue_promotions(session, promoted)


KIND = Kind(
    name="event",
    schema=EVENT_SCHEMA,
    key=lambda d: d["id"],
    store=_store,
    checks=[_checks],
    order=40,
)
