"""What console pages show and hand out: times, numbers, role names, the clock banner, pages
of a list, and downloads (audited). The blueprint's filters and context use these."""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from flask import g, request, send_file

from bot.console import base
from handlers import staff as staff_accounts
from messages import text
from messages.catalog import t
from messages.postback import ascii_int

log = logging.getLogger(__name__)

MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def send_export(
    fmt: str, name: str, write_file: Callable[[Path], object], action: str, target: str
):
    """An export as a download: written to a temporary file, audited, sent as an attachment."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"export.{fmt}"
        write_file(path)
        data = path.read_bytes()
    with base.write() as s:
        staff_accounts.audit(s, base.actor(), action, target, {"format": fmt})
    return send_file(io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=name)


# --- showing things -------------------------------------------------------------------------


def jst(value: datetime | None, fmt: str = "full") -> str:
    """A time in the town's zone, e.g. 11月8日(土) 18:30 (with the year when not this year)."""
    if value is None:
        return "—"
    tz = base.state().settings.tz
    other_year = value.astimezone(tz).year != base.now().astimezone(tz).year
    if fmt == "date":
        return text.day(value, "ja", tz, year=other_year)
    return text.when(value, "ja", tz, year=other_year)


def number(value) -> str:
    """A count with thousands separators (— for None)."""
    if value is None:
        return "—"
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


def percent(part, whole) -> str:
    """part/whole as a percentage with one decimal, or — when whole is 0."""
    if not whole:
        return "—"
    return f"{100 * (part or 0) / whole:.1f}%"


ROLE_NAMES = {role: t("ja", f"role.{role}") for role in ("viewer", "editor", "admin")}

CLOCK_LATE_AFTER = timedelta(minutes=5)  # the heartbeat job runs every minute


def staff_lang() -> str:
    """Labels in English when the staff member's browser prefers English, else Japanese."""
    return request.accept_languages.best_match(("ja", "en"), default="ja")


def clock_warning() -> dict | None:
    """None while the clock process beats; else when it last did (None: never), for the banner."""
    if "console_clock" not in g:
        from db.digest import last_beat

        try:
            last = last_beat(base.db()) if g.get("staff") else base.now()
        except Exception as exc:  # the page still shows; the banner is left out
            log.warning("clock heartbeat unreadable: %s", type(exc).__name__)
            last = base.now()
        late = last is None or base.now() - last > CLOCK_LATE_AFTER
        g.console_clock = {"last": last} if late else None
    return g.console_clock


DEMO_NOTICE_PAGES = {  # pages that show residents' data: the demo banner goes on these
    "console.dashboard",
    "console.surveys",
    "console.survey",
    "console.survey_answers",
    "console.survey_publish",
    "console.events",
    "console.event",
    "console.event_report",
    "console.opinions",
    "console.opinion",
    "console.digest",
}


def demo_notice() -> dict | None:
    """The banner's words while the demo's pretend residents are loaded (bot/demo_data.py) on a
    page that shows residents' data; None otherwise."""
    if request.endpoint not in DEMO_NOTICE_PAGES or not g.get("staff"):
        return None
    if "console_demo" not in g:
        from bot import demo_data

        try:
            loaded = demo_data.is_loaded(base.db())
        except Exception as exc:  # the page still shows; the banner is left out
            log.warning("demo marker unreadable: %s", type(exc).__name__)
            loaded = False
        lang = staff_lang()
        words = {k: t(lang, f"demo_notice.{k}") for k in ("title", "body")}
        g.console_demo = dict(words, lang=lang) if loaded else None
    return g.console_demo


def town_name() -> str:
    if "console_town" not in g:
        from handlers.town import load_town

        try:
            g.console_town = load_town(base.db()).name if g.get("staff") else ""
        except Exception:
            g.console_town = ""
    return g.console_town


def page_args(per_page: int = 50) -> tuple[int, int, int]:
    """(page, limit, offset) from ?page=."""
    page = max(1, ascii_int(request.args.get("page", "1"), digits=6) or 1)  # ASCII digits only
    return page, per_page, (page - 1) * per_page
