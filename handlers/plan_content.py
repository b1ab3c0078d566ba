"""Content kinds for the plan itself: `kpi` (numeric targets), `consultation`, `timeline`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ContentItem
from handlers.content import (
    DATETIME,
    ID,
    TEXT,
    URL,
    Document,
    Kind,
    check_times,
    parse_time,
    unique,
)

POINT = {
    "type": "object",
    "required": ["year", "value"],
    "additionalProperties": False,
    "properties": {
        "year": {"type": "integer", "minimum": 1900, "maximum": 2200},
        "value": {"type": "number"},
    },
}

KPI_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "unit", "baseline", "target"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "kpi"},
        "id": ID,
        "title": TEXT,
        "unit": {"type": "string", "maxLength": 10},
        "area": {"type": "string", "maxLength": 40},
        "baseline": POINT,
        "current": POINT,
        "target": POINT,
        "note": {"type": "string", "maxLength": 300},
        "order": {"type": "integer"},
    },
}

CONSULTATION_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "opens_at", "closes_at", "sections"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "consultation"},
        "id": ID,
        "title": TEXT,
        "opens_at": DATETIME,
        "closes_at": DATETIME,
        "url": URL,
        "sections": {
            "type": "array",
            "minItems": 1,
            "maxItems": 30,
            "items": {"type": "string", "minLength": 1, "maxLength": 120},
        },
        "max_length": {"type": "integer", "minimum": 50, "maximum": 4000},
    },
}

TIMELINE_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "steps"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "timeline"},
        "id": ID,
        "title": TEXT,
        "steps": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["when", "label"],
                "additionalProperties": False,
                "properties": {
                    "when": {"type": "string", "minLength": 4, "maxLength": 20},
                    "label": {"type": "string", "minLength": 1, "maxLength": 120},
                    "done": {"type": "boolean"},
                },
            },
        },
    },
}


def _kpi_checks(doc: Document, _session: Session) -> list[str]:
    d = doc.data
    problems: list[str] = []
    for name in ("current", "target"):
        if name in d and d[name]["year"] < d["baseline"]["year"]:
            problems.append(doc.problem([name, "year"], "is before the baseline year"))
    return problems


def _consultation_checks(doc: Document, _session: Session) -> list[str]:
    d = doc.data
    problems = unique(doc, ["sections"], d["sections"], "section")
    opens, closes = parse_time(str(d["opens_at"])), parse_time(str(d["closes_at"]))
    if opens and closes and closes <= opens:
        problems.append(doc.problem(["closes_at"], "must be after opens_at"))
    return problems


KPI = Kind("kpi", KPI_SCHEMA, key=lambda d: d["id"], checks=[_kpi_checks])
CONSULTATION = Kind(
    "consultation",
    CONSULTATION_SCHEMA,
    key=lambda d: d["id"],
    checks=[check_times("opens_at", "closes_at"), _consultation_checks],
)
TIMELINE = Kind("timeline", TIMELINE_SCHEMA, key=lambda d: d["id"])


def items(session: Session, kind: str) -> list[dict[str, Any]]:
    """Applied documents of a kind, in file order (then id)."""
    rows = session.scalars(select(ContentItem).where(ContentItem.kind == kind)).all()
    return sorted((r.data for r in rows), key=lambda d: (d.get("order", 0), d.get("id", "")))


def open_consultation(session: Session, now: datetime) -> dict[str, Any] | None:
    """The public-comment period open now, if any."""
    for c in items(session, "consultation"):
        opens, closes = parse_time(str(c["opens_at"])), parse_time(str(c["closes_at"]))
        if opens and closes and opens <= now <= closes:
            return c
    return None
