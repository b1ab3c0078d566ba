"""Publishing survey results and event reports to the public, and telling those who took part.

State lives in content documents (docs/publishing.md):
- `kind: publication` (key: the survey id): published or not, when, the cross-tabs staff
  chose, the free-text excerpts staff picked (each must be part of a real answer), and the
  announcement sent about it.
- `kind: report` (key: the event id): the report staff wrote (text, optional https image
  URLs), published or not; attendance is counted from check-in when shown, never typed.

The public rule (`public_results`): whatever the survey's own setting, every count under
SUPPRESS_BELOW is hidden, and a lone hidden count in a row or column (whose total is shown)
takes another with it, so no hidden count can be worked out by subtraction. Options of a
multiple-choice question are counted per option, never per combination.

This module holds the two kinds' schemas and checks; the records are
`publishing_records.py`, the public rule and charts `publishing_results.py`, the
announcement `publishing_notice.py` (their names are importable from here).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from db.surveys import ALL_DIMENSIONS
from handlers.content import DATETIME, ID, TEXT, Document, Kind
from handlers.publishing_notice import SUMMARY_MAX as SUMMARY_MAX
from handlers.publishing_notice import Notice as Notice
from handlers.publishing_notice import announce as announce
from handlers.publishing_notice import announce_dry_run as announce_dry_run
from handlers.publishing_notice import announced as announced
from handlers.publishing_notice import check_token as check_token
from handlers.publishing_notice import notice as notice
from handlers.publishing_notice import summary as summary
from handlers.publishing_records import PublishError as PublishError
from handlers.publishing_records import publish_survey as publish_survey
from handlers.publishing_records import published as published
from handlers.publishing_records import record as record
from handlers.publishing_records import save as save
from handlers.publishing_records import save_report as save_report
from handlers.publishing_records import unpublish_report as unpublish_report
from handlers.publishing_results import attendance as attendance
from handlers.publishing_results import chart_png as chart_png
from handlers.publishing_results import protect as protect
from handlers.publishing_results import public_results as public_results

EXCERPT_MAX = 300
EXCERPTS_MAX = 30
IMAGES_MAX = 6
REPORT_MAX = 10_000
IMAGE_URL = "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s\"'<>]*)?$"  # its origin goes in the CSP

ANNOUNCED = {
    "type": "object",
    "required": ["broadcast", "at"],
    "additionalProperties": False,
    "properties": {"broadcast": {"type": "integer"}, "at": DATETIME},
}

PUBLICATION_SCHEMA = {
    "type": "object",
    "required": ["kind", "survey", "published"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "publication"},
        "survey": ID,
        "published": {"type": "boolean"},
        "published_at": DATETIME,
        "crosstabs": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": list(ALL_DIMENSIONS)},
        },
        "excerpts": {
            "type": "array",
            "maxItems": EXCERPTS_MAX,
            "items": {
                "type": "object",
                "required": ["question", "text"],
                "additionalProperties": False,
                "properties": {
                    "question": ID,
                    "text": {"type": "string", "minLength": 1, "maxLength": EXCERPT_MAX},
                },
            },
        },
        "announced": ANNOUNCED,
    },
}

REPORT_SCHEMA = {
    "type": "object",
    "required": ["kind", "event", "text", "published"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "report"},
        "event": ID,
        "text": TEXT,
        "images": {
            "type": "array",
            "maxItems": IMAGES_MAX,
            "items": {"type": "string", "pattern": IMAGE_URL, "maxLength": 1000},
        },
        "published": {"type": "boolean"},
        "published_at": DATETIME,
        "announced": ANNOUNCED,
    },
}


def _publication_checks(doc: Document, session: Session) -> list[str]:
    d = doc.data
    survey = store.get_survey(session, d["survey"])
    if survey is None:
        return [doc.problem(["survey"], f"there is no survey {d['survey']!r}")]
    problems: list[str] = []
    answers: dict[str, list[str]] = {}
    for i, item in enumerate(d.get("excerpts", [])):
        q = survey.question(item["question"])
        if q is None or q["type"] != "text":
            problems.append(doc.problem(["excerpts", i, "question"], "is not a free-text question"))
            continue
        if item["question"] not in answers:
            answers[item["question"]] = list(
                store.text_answers(session, survey.id, item["question"])
            )
        if not any(item["text"].strip() in a for a in answers[item["question"]]):
            problems.append(
                doc.problem(["excerpts", i, "text"], "is not part of any answer to the question")
            )
    return problems


def _report_checks(doc: Document, session: Session) -> list[str]:
    d = doc.data
    if event_store.get_event(session, d["event"]) is None:
        return [doc.problem(["event"], f"there is no event {d['event']!r}")]
    text = d["text"]
    for lang, value in text.items() if isinstance(text, dict) else [("ja", text)]:
        if len(value) > REPORT_MAX:
            return [doc.problem(["text", lang], f"is longer than {REPORT_MAX} characters")]
    return []


PUBLICATION = Kind(
    "publication",
    PUBLICATION_SCHEMA,
    key=lambda d: d["survey"],
    checks=[_publication_checks],
    order=80,
)
REPORT = Kind("report", REPORT_SCHEMA, key=lambda d: d["event"], checks=[_report_checks], order=80)


# --- the records ----------------------------------------------------------------------------


# --- the public rule --------------------------------------------------------------------------


# --- telling those who took part ----------------------------------------------------------------


# --- charts ---------------------------------------------------------------------------------
