"""What the announcement pages show: names for the ids staff never type, the segment in staff
words, statuses, the button, estimates, the history, and errors said in the staff's words
(messages/catalog/broadcast_staff.py). bot/console/announcements.py holds the routes.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, url_for
from sqlalchemy import select

from bot.console.base import jst, now, state
from db.events import Event, upcoming_events
from db.surveys import Survey, open_surveys
from handlers import broadcast, segments
from handlers.broadcast_errors import BroadcastError
from handlers.town import load_town
from messages.catalog import CATALOGS, t
from messages.text import RESIDENCIES, pick

STATUSES = ("scheduled", "sending", "paused", "done", "cancelled")
SKIPS = ("blocked", "opted_out")
# The topic is chosen once, with the 分野 select (it limits the audience the way residents'
# choices say); the `topic=` field stays for the CLI and the free expression only.
NOT_IN_BUILDER = {"topic"}


LANG = "ja"  # the announcement pages are Japanese (their templates are)


def say(key: str, **values) -> str:
    """Staff wording for these pages (messages/catalog/broadcast_staff.py)."""
    return t(LANG, f"broadcast_{key}", **values)


def status_names() -> dict[str, str]:
    """Each status in words."""
    return {s: say(f"status.{s}") for s in STATUSES}


def skip_reasons() -> dict[str, str]:
    """Why a resident was not sent to, in words."""
    return {r: say(f"skip.{r}") for r in SKIPS}


def field_name(name: str) -> str:
    """A segment field as the builder calls it (the code when it has no name)."""
    key = f"broadcast_field.{name}"
    return t(LANG, key) if key in CATALOGS[LANG] else name


def error_words(exc: BroadcastError) -> str:
    """A refused announcement in the staff's words (a time shown as elsewhere on the page)."""
    created = exc.params.get("created_at")  # a datetime, when given
    return exc.words(
        LANG, **({"created_at": jst(created)} if isinstance(created, datetime) else {})
    )


def names(session) -> dict[str, dict[str, tuple[str, str]]]:
    """Per field, value → (what staff read, the grey secondary line) for ids staff never type
    (read once per request)."""
    if "console_names" in g:
        return g.console_names
    surveys = {
        s.id: (pick(s.definition.get("title"), "ja") or s.title, s.id)
        for s in session.scalars(select(Survey).order_by(Survey.opens_at.desc(), Survey.id))
    }
    events = {
        e.id: (say("console.event", title=pick(e.title, "ja"), date=jst(e.starts_at, "date")), e.id)
        for e in session.scalars(select(Event).order_by(Event.starts_at, Event.id))
    }
    residency = {code: (say(f"residency.{code}"), "") for code in RESIDENCIES}
    g.console_names = {
        "answered": surveys,
        "not_answered": surveys,
        "signed_up": events,
        "attended": events,
        "residency": residency,
    }
    return g.console_names


def segment_fields(session) -> list[dict]:
    """Each segment field with the values that exist now, by name (for the builder)."""
    town = load_town(session)
    shown = names(session)
    out = []
    for name, field in segments.FIELDS.items():
        if name in NOT_IN_BUILDER:
            continue
        values = field.values(session, town)
        if not values:
            continue
        known = shown.get(name, {})
        items = [(v, *known.get(v, (v, ""))) for v in values]
        if name in shown and name != "residency":  # newest surveys first, events by date
            order = list(known)
            items.sort(key=lambda item: order.index(item[0]) if item[0] in order else len(order))
        out.append({"name": name, "title": field_name(name), "values": items})
    return out


def segment_problem(session, expression: str) -> str | None:
    """What is wrong with a typed condition, in staff words (None when it is fine)."""
    town = load_town(session)
    sep = say("console.list_sep")
    try:
        parsed = segments.parse(expression)
    except segments.SegmentError:
        return say("console.segment_form")
    for name, values in parsed:
        field = segments.FIELDS.get(name)
        if field is None:
            known = sep.join(
                say("console.named", value=k, name=field_name(k)) for k in segments.FIELDS
            )
            return say("console.segment_field", name=name, known=known)
        valid = field.values(session, town) or []
        lookup = {segments.norm(v) for v in valid}
        if field.aliases is not None:
            lookup |= {segments.norm(k) for k in field.aliases(session, town)}
        shown = names(session).get(name, {})
        for value in values:
            if segments.norm(value) not in lookup:
                choices = sep.join(
                    say("console.named", value=v, name=shown[v][0])
                    if v in shown and shown[v][0] != v
                    else v
                    for v in valid
                )
                return say(
                    "console.segment_value",
                    field=field_name(name),
                    value=value,
                    choices=choices or say("console.no_values"),
                )
    return None


def describe(session, expression: str) -> list[dict] | None:
    """A segment in staff words, e.g. [{title: 地区, values: [七ツ森]}] (None if unreadable)."""
    if not (expression or "").strip():
        return []
    try:
        parsed = segments.conditions(session, load_town(session), expression)
    except segments.SegmentError:
        return None
    shown = names(session)
    return [
        {
            "title": field_name(c.field),
            "values": [shown.get(c.field, {}).get(v, (v, ""))[0] for v in c.values],
        }
        for c in parsed
    ]


def describe_text(session, expression: str) -> str:
    """The segment in one line of staff words (友だち全員 when there is none)."""
    parts = describe(session, expression)
    if parts is None:
        return expression
    if not parts:
        return say("console.everyone")
    sep = say("console.list_sep")
    return say("console.part_sep").join(
        say("console.condition", title=p["title"], values=sep.join(p["values"])) for p in parts
    )


def action_label(session, action: str | None) -> str:
    """The button an announcement carries, by title (なし when it has none)."""
    if not action:
        return say("console.no_button")
    kind, _, value = action.partition(":")
    if kind == "url":
        return say("console.button_url", url=value)
    if kind == "event":
        event = session.get(Event, value)
        if event is not None:
            title = say(
                "console.event", title=pick(event.title, "ja"), date=jst(event.starts_at, "date")
            )
            return say("console.button_event", title=title)
    if kind == "survey":
        survey = session.get(Survey, value)
        if survey is not None:
            title = pick(survey.definition.get("title"), "ja") or survey.title
            return say("console.button_survey", title=title)
    return say("console.button_missing", action=action)


def action_choices(session) -> list[tuple[str, str]]:
    """(value, label) for the action select: upcoming events and open surveys."""
    out = []
    for e in upcoming_events(session, now(), limit=30):
        if e.open_at(now()):
            out.append((f"event:{e.id}", say("console.button_event", title=pick(e.title, "ja"))))
    for s in open_surveys(session, now()):
        title = pick(s.definition["title"], "ja")
        out.append((f"survey:{s.id}", say("console.button_survey", title=title)))
    return out


def estimate(session, b: dict) -> segments.Audience | None:
    """Who a scheduled announcement would reach if it were sent now (None if unreadable)."""
    try:
        return segments.audience(
            session, load_town(session), b["segment"], b["topic"], b.get("urgent", False)
        )
    except segments.SegmentError:
        return None


def overdue(b: dict) -> bool:
    """Scheduled, its time passed, and not started (no clock has picked it up)."""
    return b["status"] == "scheduled" and b["scheduled_at"] <= now()


def status_text(b: dict) -> str:
    """The status in words; a scheduled one past its time says so."""
    name = status_names().get(b["status"], b["status"])
    return say("status.overdue", status=name) if overdue(b) else name


def summary(session) -> list[dict] | None:
    """Scheduled (and sending or paused) announcements for the dashboard."""
    out = []
    for r in broadcast.list_broadcasts(session, 50):
        if r["status"] not in {"scheduled", "sending", "paused"}:
            continue
        guess = estimate(session, r) if r["recipients"] is None else None
        out.append(
            {
                "send_at": r["scheduled_at"],
                "title": r["text"][:40],
                "recipients": r["recipients"],
                "estimated": guess.recipients if guess else None,
                "status": status_text(r),
                "url": url_for("console.announcement", broadcast_id=r["id"]),
            }
        )
    return out


def history(session) -> list[dict]:
    """The last 30 announcements with the segment in words and an estimate for scheduled ones."""
    out = []
    for r in broadcast.list_broadcasts(session, 30):
        guess = estimate(session, r) if r["recipients"] is None else None
        out.append(
            {
                **r,
                "audience": describe_text(session, r["segment"]),
                "estimated": guess.recipients if guess else None,
                "status_text": status_text(r),
            }
        )
    return out


def segment_from_form(form) -> str:
    """The segment expression the builder's checkboxes (and the free expression) describe."""
    parts = []
    for name in segments.FIELDS:
        chosen = [v.strip() for v in form.getlist(f"seg_{name}") if v.strip()]
        if chosen:
            parts.append(f"{name}={','.join(chosen)}")
    extra = " ".join(form.get("segment_extra", "").split())
    return " ".join([*parts, extra]).strip()


def draft_args(form) -> dict:
    """The form as keyword arguments for broadcast.prepare / dry_run / create_broadcast."""
    topic = form.get("topic", "").strip() or None
    return {
        "text": form.get("text", "")[:5000],
        "segment": segment_from_form(form),
        "topic": topic,
        "urgent": form.get("urgent") == "1",
        "image_url": form.get("image_url", "").strip() or None,
        "link_url": form.get("link_url", "").strip() or None,
        "link_label": form.get("link_label", "").strip() or None,
        "text_en": form.get("text_en", "")[:5000].strip() or None,
        "action": form.get("action", "").strip() or None,
        "tz": state().settings.tz,
    }
