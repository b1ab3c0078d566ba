"""Events: list with seats and waitlists, create and edit (through the content pipeline),
attendees with mode, waitlist and attendance, check-in by code, exports.

Counts come from db/events.py (the same functions `events list` and `events checkin` call).
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console import uploads
from bot.console.base import actor, bp, db, now, send_export, state, write
from db import events as db_events
from handlers import attendee_sheet, event_content, exports, seats, translations
from handlers import staff as staff_accounts
from handlers.content import Document
from messages.catalog import t
from messages.postback import ascii_int
from messages.rsvp import local

MODE_NAMES = {m: t("ja", f"events_staff.mode.{m}") for m in ("onsite", "online")}
FORMAT_NAMES = {f: t("ja", f"events_staff.format.{f}") for f in ("onsite", "online", "hybrid")}
SIGNUP_NAMES = {
    s: t("ja", f"events_staff.signup.{s}") for s in ("confirmed", "waitlisted", "cancelled")
}
CHECKIN_CATEGORIES = {
    "checked_in": "ok",
    "already": "warn",
    "unknown_code": "error",
    "not_confirmed": "error",
    "unknown_event": "error",
}
# status → (flash category, the sentence with {mode} / {status} to fill)
CHECKIN_MESSAGES = {
    status: (category, t("ja", f"events_staff.checkin.{status}"))
    for status, category in CHECKIN_CATEGORIES.items()
}
FORM_FIELDS = ("id", "title", "venue", "description", "series", "online_url")


def _counts(session, ids: list[str]) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for c in db_events.signup_counts(session, ids):
        row = out.setdefault(
            c.event_id, {"modes": [], "confirmed": 0, "waitlist": 0, "seats": 0, "attended": 0}
        )
        row["modes"].append(c)
        row["confirmed"] += c.confirmed
        row["waitlist"] += c.waitlisted
        row["attended"] += c.attended
        row["seats"] += max(0, c.capacity - c.confirmed)
    return out


def summary(session) -> list[dict] | None:
    """Upcoming events with sign-ups, seats left and waitlists, for the dashboard."""
    upcoming = db_events.upcoming_events(session, now())[:10]
    counts = _counts(session, [e.id for e in upcoming])
    return [
        {
            "starts_at": e.starts_at,
            "title": local("ja", e.title),
            "signed_up": counts.get(e.id, {}).get("confirmed", 0),
            "seats_left": counts.get(e.id, {}).get("seats", 0),
            "waitlist": counts.get(e.id, {}).get("waitlist", 0),
            "url": url_for("console.event", event_id=e.id),
        }
        for e in upcoming
    ]


@bp.get("/events")
def events():
    """Every event (upcoming first), with seats per mode and the waitlists."""
    session = db()
    moment = now()
    show_all = request.args.get("all") == "1"
    if show_all:
        chosen = db_events.all_events(session, newest_first=True)
    else:
        chosen = db_events.upcoming_events(session, moment)
    return render_template(
        "console/events.html",
        rows=chosen,
        counts=_counts(session, [e.id for e in chosen]),
        local=local,
        show_all=show_all,
        moment=moment,
        modes=MODE_NAMES,
        formats=FORMAT_NAMES,
    )


@bp.get("/events/<event_id>")
def event(event_id: str):
    """One event: seats, attendees with mode, waitlist and attendance; check-in."""
    session = db()
    ev = db_events.get_event(session, event_id)
    if ev is None:
        abort(404)
    return render_template(
        "console/event.html",
        ev=ev,
        local=local,
        counts=_counts(session, [ev.id]).get(ev.id),
        attendees=db_events.attendees(session, event_id),
        modes=MODE_NAMES,
        formats=FORMAT_NAMES,
        signup_names=SIGNUP_NAMES,
        moment=now(),
    )


@bp.post("/events/<event_id>/checkin")
def event_checkin(event_id: str):
    """Record attendance for the sign-up with this code (as `events checkin` does)."""
    code = request.form.get("code", "")[:32]
    with write() as s:
        result = seats.checkin(s, event_id, code, now())
        if result.status == "checked_in":
            assert result.signup is not None  # a check-in names its sign-up
            staff_accounts.audit(
                s, actor(), "events.checkin", event_id, {"signup": result.signup.id}
            )
        mode = MODE_NAMES.get(result.signup.mode, "") if result.signup else ""
        status = SIGNUP_NAMES.get(result.signup.status, "") if result.signup else ""
    if result.status == "unknown_event":
        abort(404)
    category, message = CHECKIN_MESSAGES[result.status]
    flash(message.format(mode=mode, status=status), category)
    return redirect(url_for("console.event", event_id=event_id) + "#checkin")


@bp.get("/events/<event_id>/attendees.<fmt>")
def event_attendees(event_id: str, fmt: str):
    """Every sign-up as CSV (with BOM) or xlsx; formulas neutralised by the exporters; audited."""
    if fmt not in ("csv", "xlsx"):
        abort(404)
    session = db()
    if db_events.get_event(session, event_id) is None:
        abort(404)
    tz = state().settings.tz
    return send_export(
        fmt,
        f"{event_id}-attendees.{fmt}",
        lambda path: exports.export_attendees(session, event_id, path, fmt, tz=tz),
        "events.export",
        event_id,
    )


@bp.get("/events/<event_id>/door.xlsx")
def event_door_sheet(event_id: str):
    """The printable door list (受付名簿, handlers/attendee_sheet.py) as xlsx; audited."""
    session = db()
    if db_events.get_event(session, event_id) is None:
        abort(404)
    tz = state().settings.tz
    return send_export(
        "xlsx",
        f"{event_id}-door.xlsx",
        lambda path: attendee_sheet.export_door_sheet(session, event_id, path, tz=tz),
        "events.door_sheet",
        event_id,
    )


# --- create and edit --------------------------------------------------------------------------


def _local_input(value) -> str:
    if not value:
        return ""
    parsed = datetime.fromisoformat(str(value)) if isinstance(value, str) else value
    return parsed.astimezone(state().settings.tz).strftime("%Y-%m-%dT%H:%M")


def _as_iso(raw: str) -> str | None:
    try:
        value = datetime.fromisoformat(raw)
    except (TypeError, ValueError):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=state().settings.tz)
    return value.isoformat(timespec="seconds")


def _form_values(data: dict) -> dict:
    """A stored event document as form values."""
    out = {k: local("ja", data.get(k)) if k in data else "" for k in FORM_FIELDS}
    for name in ("starts_at", "ends_at", "signup_closes_at"):
        out[name] = _local_input(data.get(name))
    cap = data.get("capacity", {})
    out["capacity_onsite"] = cap.get("onsite", "")
    out["capacity_online"] = cap.get("online", "")
    out["format"] = data.get("format", "onsite")
    return out


def _document(form, base: dict | None) -> dict:
    """An event document from the form, keeping fields the form does not show (e.g. en)."""
    data = dict(base or {})
    data["kind"] = "event"
    for name in FORM_FIELDS:
        value = form.get(name, "").strip()
        old = data.get(name)
        if not value:
            data.pop(name, None)
        elif isinstance(old, dict):
            data[name] = {**old, "ja": value}
        else:
            data[name] = value
    for name in ("starts_at", "ends_at", "signup_closes_at"):
        raw = form.get(name, "").strip()
        if raw:
            data[name] = _as_iso(raw) or raw
        else:
            data.pop(name, None)
    data["format"] = form.get("format", "onsite")
    capacity = {}
    for mode in ("onsite", "online"):
        raw = form.get(f"capacity_{mode}", "").strip()
        if raw:
            capacity[mode] = raw if ascii_int(raw) is None else int(raw)
    data["capacity"] = capacity
    return data


def _edit_page(values: dict, problems: list[str], editing: str | None, status: int = 200):
    return (
        render_template(
            "console/event_form.html",
            values=values,
            problems=problems,
            editing=editing,
            formats=FORMAT_NAMES,
        ),
        status,
    )


@bp.get("/events/new")
def event_new():
    """An empty event form."""
    return _edit_page({"format": "onsite"}, [], None)


@bp.get("/events/<event_id>/edit")
def event_edit(event_id: str):
    """The event's stored file as a form."""
    data = uploads.stored_document(db(), "event", event_id)
    if data is None:
        abort(404)
    return _edit_page(_form_values(data), [], event_id)


@bp.post("/events/save")
def event_save():
    """Create or update an event: the form becomes an event file, validated and applied."""
    editing = request.form.get("editing") or None
    base = None
    if editing:
        with state().sessions() as s:
            base = uploads.stored_document(s, "event", editing)
        if base is None:
            abort(404)
    data = _document(request.form, base)
    if editing:
        data["id"] = editing  # the id of an existing event does not change
    doc = Document(path=t("ja", "events_staff.form"), data=data, lines={})
    result = uploads.apply_document(doc, "event", actor())
    if not result.ok:
        return _edit_page(dict(request.form), result.problems, editing, 400)
    flash(t("ja", "events_staff.saved"), "ok")
    missing = translations.warnings(db(), data)
    if missing:  # saved all the same: English residents read these in Japanese
        flash(translations.sentence(missing), "warn")
    return redirect(url_for("console.event", event_id=result.key))


@bp.post("/events/upload")
def event_upload():
    """Upload an event YAML file."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _edit_page({"format": "onsite"}, [t("ja", "events_staff.no_file")], None, 400)
    result = uploads.apply_upload(
        file.read(uploads.MAX_UPLOAD + 1), file.filename, "event", actor()
    )
    if not result.ok:
        return _edit_page({"format": "onsite"}, result.problems, None, 400)
    flash(t("ja", "events_staff.saved"), "ok")
    return redirect(url_for("console.event", event_id=result.key))


_ = event_content  # the event kind is registered by importing it
