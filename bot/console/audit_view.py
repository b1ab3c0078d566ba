"""The audit log page: actions in words (Japanese, or English for an English browser), times in
JST, filters by person, action (or a whole area) and a range of JST dates.

The route is `console.audit` in bot/console/auth.py (admins only); this module reads the filters,
refuses bad ones with a sentence and shows labels from messages/staff_labels.py.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask import render_template, request, url_for

from bot.console.base import db, jst, page_args, staff_lang, state
from db.models import AuditLog
from handlers import staff as staff_accounts
from messages import staff_labels as labels
from messages.text import listed

PER_PAGE = 50


def _day(raw: str) -> date | None:
    """A date input's value (YYYY-MM-DD); raises ValueError for anything else."""
    raw = raw.strip()
    return date.fromisoformat(raw) if raw else None


def _start_of(day: date) -> datetime:
    """Midnight of a JST day, as an aware time."""
    return datetime.combine(day, time(0), tzinfo=state().settings.tz)


def action_options(codes: list[str], lang: str) -> list[dict]:
    """The action select: one group per area, its 'all of' option first, then each action."""
    known = {*labels.ACTIONS["ja"], *codes}
    areas = list(labels.AREAS["ja"])
    for code in sorted(known):
        if labels.area_of(code) not in areas:
            areas.append(labels.area_of(code))
    groups = []
    for area in areas:
        inside = sorted(c for c in known if labels.area_of(c) == area)
        if not inside:
            continue
        name = labels.area_label(area, lang)
        options = [(f"area:{area}", labels.text(lang, "all_of", area=name))]
        options += [(c, labels.action_label(c, lang)) for c in inside]
        groups.append({"label": name, "options": options})
    return groups


def detail_value(key: str, value, lang: str) -> str:
    """A detail value as staff read it: yes/no, JST times, lists joined."""
    if isinstance(value, bool):
        return labels.text(lang, "yes" if value else "no")
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            at = datetime.fromisoformat(value)
        except ValueError:
            return value
        return jst(at) if at.tzinfo else value
    if isinstance(value, list):
        return listed(value)
    if isinstance(value, dict):
        return listed(f"{k}: {v}" for k, v in value.items())
    return "—" if value is None else str(value)


def _target_url(target: str | None) -> str | None:
    """A link to what an entry is about, where the console has a page for it."""
    kind, _, value = (target or "").partition(":")
    if kind == "broadcast" and value.isascii() and value.isdigit():
        return url_for("console.announcement", broadcast_id=int(value))
    return None


def audit_page():
    """Read the filters, query one page, render (400 with a sentence for a bad filter)."""
    lang = staff_lang()
    args = request.args
    page, limit, offset = page_args(PER_PAGE)
    chosen = (args.get("action") or "").strip()[:80]
    who = (args.get("actor") or "").strip()[:120]
    raw_from, raw_until = (args.get("from") or "")[:10], (args.get("until") or "")[:10]
    error = None
    try:
        since_day, until_day = _day(raw_from), _day(raw_until)
    except ValueError:
        since_day = until_day = None
        error = labels.text(lang, "bad_date")
    if error is None and since_day and until_day and since_day > until_day:
        error = labels.text(lang, "bad_range")
    session = db()
    actors, codes = staff_accounts.audit_choices(session)
    rows: list[AuditLog] = []
    total = 0
    if error is None:
        area = chosen[5:] if chosen.startswith("area:") else None
        rows, total = staff_accounts.audit_entries(
            session,
            limit=limit,
            offset=offset,
            action=None if area or not chosen else chosen,
            area=area,
            actor=who or None,
            since=_start_of(since_day) if since_day else None,
            until=_start_of(until_day + timedelta(days=1)) if until_day else None,
        )
    shown = [
        {
            "at": r.at,
            "actor": labels.actor_label(r.actor, lang),
            "action": labels.action_label(r.action, lang),
            "code": r.action,
            "target": r.target or "",
            "target_url": _target_url(r.target),
            "detail": [
                (labels.detail_label(k, lang), detail_value(k, v, lang))
                for k, v in (r.detail or {}).items()
            ],
        }
        for r in rows
    ]
    filters = {
        "action": chosen or None,
        "actor": who or None,
        "from": raw_from or None,
        "until": raw_until or None,
    }
    return render_template(
        "console/audit.html",
        lang=lang,
        say=lambda key, **v: labels.text(lang, key, **v),
        rows=shown,
        total=total,
        page=page,
        pages=max(1, -(-total // limit)),
        error=error,
        chosen=chosen,
        who=who,
        raw_from=raw_from,
        raw_until=raw_until,
        actors=[(a, labels.actor_label(a, lang)) for a in actors],
        groups=action_options(codes, lang),
        filters={k: v for k, v in filters.items() if v},
    ), (400 if error else 200)
