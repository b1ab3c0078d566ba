"""`kind: survey` content files: schema, checks, and storing (versioned) definitions.

Once a survey has responses, a change may reword texts, move dates, add questions or add
choices (the version goes up); it may not remove or retype a question, remove a choice or
change a scale's range — that is refused, naming the question, so old answers keep meaning.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from db.base import utcnow
from db.surveys import Survey, stored_answers
from handlers import content
from handlers.content import DATETIME, ID, TEXT, Document, Kind, check_times, parse_time
from messages.postback import ascii_int
from messages.text import RESIDENCIES, listed

TYPES = ("single", "multi", "scale", "text")
SCALE_MAX_STEPS = 10  # 0–10: eleven buttons at most
TEXT_MAX = 2000

CHOICE = {
    "oneOf": [
        {"type": "string", "minLength": 1, "maxLength": 100},
        {
            "type": "object",
            "required": ["value", "label"],
            "additionalProperties": False,
            "properties": {
                "value": {"type": "string", "minLength": 1, "maxLength": 64},
                "label": TEXT,
            },
        },
    ]
}

QUESTION = {
    "type": "object",
    "required": ["id", "type", "text"],
    "additionalProperties": False,
    "properties": {
        "id": ID,
        "type": {"enum": list(TYPES)},
        "text": TEXT,
        "required": {"type": "boolean"},
        "choices": {"type": "array", "minItems": 2, "maxItems": 40, "items": CHOICE},
        "max_choices": {"type": "integer", "minimum": 1},
        "min": {"type": "integer", "minimum": -100, "maximum": 100},
        "max": {"type": "integer", "minimum": -100, "maximum": 100},
        "labels": {"type": "object", "additionalProperties": TEXT},
        "max_length": {"type": "integer", "minimum": 1, "maximum": TEXT_MAX},
        "show_if": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "minLength": 1},
            },
        },
    },
}

SURVEY_SCHEMA = {
    "type": "object",
    "required": ["kind", "id", "title", "opens_at", "closes_at", "questions"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "survey"},
        "id": ID,
        "title": TEXT,
        "description": TEXT,
        "opens_at": DATETIME,
        "closes_at": DATETIME,
        "anonymous": {"type": "boolean"},
        "minutes": {"type": "integer", "minimum": 1, "maximum": 120},
        "eligibility": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_age": {"type": "integer", "minimum": 0, "maximum": 120},
                "residency": {
                    "type": "array",
                    "minItems": 1,
                    "items": {"enum": list(RESIDENCIES)},
                },
            },
        },
        "questions": {"type": "array", "minItems": 1, "maxItems": 60, "items": QUESTION},
    },
}

# fields that belong to one type only
ONLY = {
    "choices": ("single", "multi"),
    "max_choices": ("multi",),
    "min": ("scale",),
    "max": ("scale",),
    "labels": ("scale",),
    "max_length": ("text",),
}


def as_text(value: Any) -> dict[str, Any]:
    """A text field as {ja, en?}."""
    return dict(value) if isinstance(value, dict) else {"ja": str(value)}


def norm_choice(choice: Any) -> dict[str, Any]:
    """A choice as {value, label: {ja, en?}}."""
    if isinstance(choice, dict):
        return {"value": choice["value"], "label": as_text(choice["label"])}
    return {"value": choice, "label": {"ja": choice}}


def _check_question(
    doc: Document, i: int, q: Mapping[str, Any], earlier: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    where = ["questions", i]
    problems: list[str] = []
    kind = q["type"]
    for name, types in ONLY.items():
        if name in q and kind not in types:
            problems.append(
                doc.problem(
                    [*where, name],
                    f"only for {' / '.join(types)} questions",
                    "only_for",
                    types=list(types),
                )
            )
    if kind in ("single", "multi"):
        if "choices" not in q:
            problems.append(
                doc.problem(
                    [*where, "choices"], f"a {kind} question needs choices", "needs_choices"
                )
            )
        else:
            choices = [norm_choice(c) for c in q["choices"]]
            problems += content.unique(
                doc, [*where, "choices"], [c["value"] for c in choices], "choice"
            )
            problems += content.unique(
                doc, [*where, "choices"], [c["label"]["ja"] for c in choices], "choice label"
            )
            if q.get("max_choices", 0) > len(choices):
                problems.append(
                    doc.problem(
                        [*where, "max_choices"],
                        f"is more than the {len(choices)} choices",
                        "more_than_choices",
                        value=q["max_choices"],
                        n=len(choices),
                    )
                )
    if kind == "scale":
        if "min" not in q or "max" not in q:
            problems.append(
                doc.problem(
                    [*where, "min" if "min" not in q else "max"],
                    "a scale question needs min and max",
                    "scale_range",
                )
            )
        elif q["min"] >= q["max"]:
            problems.append(
                doc.problem([*where, "max"], "must be greater than min", "max_over_min")
            )
        elif q["max"] - q["min"] > SCALE_MAX_STEPS:
            problems.append(
                doc.problem(
                    [*where, "max"],
                    f"at most {SCALE_MAX_STEPS + 1} points (e.g. 0–10)",
                    "scale_points",
                    n=SCALE_MAX_STEPS + 1,
                )
            )
        else:
            for key in q.get("labels", {}):
                point = ascii_int(str(key), signed=True)
                if point is None or not q["min"] <= point <= q["max"]:
                    problems.append(
                        doc.problem(
                            [*where, "labels", key],
                            "is not a point between min and max",
                            "label_point",
                            value=key,
                        )
                    )
    for ref, values in (q.get("show_if") or {}).items():
        target = earlier.get(ref)
        if target is None:
            problems.append(
                doc.problem(
                    [*where, "show_if", ref], "must name an earlier question", "show_if_earlier"
                )
            )
            continue
        if target["type"] not in ("single", "multi"):
            problems.append(
                doc.problem(
                    [*where, "show_if", ref],
                    "must name a single or multiple choice question",
                    "show_if_choice_question",
                )
            )
            continue
        real = {c["value"] for c in map(norm_choice, target.get("choices", []))} | {
            c["label"]["ja"] for c in map(norm_choice, target.get("choices", []))
        }
        for j, value in enumerate(values):
            if value not in real:
                problems.append(
                    doc.problem(
                        [*where, "show_if", ref, j],
                        f"{value!r} is not a choice of {ref!r}",
                        "show_if_choice",
                        ref=ref,
                        value=value,
                    )
                )
    return problems


def check_survey(doc: Document, _session: Session) -> list[str]:
    """Ids, choices, show_if, scale ranges, and dates in order."""
    d = doc.data
    problems = content.unique(doc, ["questions"], [q["id"] for q in d["questions"]], "question id")
    earlier: dict[str, dict[str, Any]] = {}
    for i, q in enumerate(d["questions"]):
        problems += _check_question(doc, i, q, earlier)
        earlier.setdefault(q["id"], q)
    opens, closes = parse_time(str(d["opens_at"])), parse_time(str(d["closes_at"]))
    if opens and closes and closes <= opens:
        problems.append(
            doc.problem(["closes_at"], "must be after opens_at", "after", other="opens_at")
        )
    return problems


def definition(data: Mapping[str, Any]) -> dict[str, Any]:
    """The stored definition: texts as {ja, en?}, choices as {value, label}, show_if by value."""
    questions = []
    by_id: dict[str, dict[str, Any]] = {}
    for q in data["questions"]:
        item: dict[str, Any] = {
            "id": q["id"],
            "type": q["type"],
            "text": as_text(q["text"]),
            "required": q.get("required", True),
        }
        if "choices" in q:
            item["choices"] = [norm_choice(c) for c in q["choices"]]
        if q["type"] == "multi":
            item["max_choices"] = q.get("max_choices", len(item["choices"]))
        if q["type"] == "scale":
            item["min"], item["max"] = q["min"], q["max"]
            item["labels"] = {str(k): as_text(v) for k, v in (q.get("labels") or {}).items()}
        if q["type"] == "text":
            item["max_length"] = q.get("max_length", 500)
        if q.get("show_if"):
            show = {}
            for ref, values in q["show_if"].items():
                choices = by_id[ref]["choices"]
                show[ref] = [
                    next(c["value"] for c in choices if v in (c["value"], c["label"]["ja"]))
                    for v in values
                ]
            item["show_if"] = show
        by_id[q["id"]] = item
        questions.append(item)
    return {
        "title": as_text(data["title"]),
        "description": as_text(data["description"]) if "description" in data else None,
        "anonymous": data.get("anonymous", True),
        "minutes": data.get("minutes") or max(1, round(len(questions) * 0.4)),
        "eligibility": dict(data.get("eligibility") or {}),
        "questions": questions,
    }


def incompatible(
    old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(question id, why, code, values) for changes that would change stored answers' meaning."""
    out = []
    new_by_id = {q["id"]: q for q in new["questions"]}
    for q in old["questions"]:
        n = new_by_id.get(q["id"])
        if n is None:
            out.append((q["id"], "was removed", "removed", {"question": q["text"]["ja"]}))
        elif n["type"] != q["type"]:
            why = f"changed type from {q['type']} to {n['type']}"
            out.append((q["id"], why, "retyped", {}))
        elif q["type"] in ("single", "multi"):
            gone = [c for c in q["choices"] if c["value"] not in {x["value"] for x in n["choices"]}]
            if gone:
                names = listed(c["label"]["ja"] for c in gone)
                why = f"lost choices {sorted(c['value'] for c in gone)}"
                out.append((q["id"], why, "lost_choices", {"choices": names}))
        elif q["type"] == "scale" and (q["min"], q["max"]) != (n["min"], n["max"]):
            out.append((q["id"], "changed its scale range", "scale_range", {}))
    return out


def check_changes(doc: Document, session: Session) -> list[str]:
    """Refuse changes that would break the meaning of stored responses."""
    survey = session.get(Survey, doc.data["id"])
    if survey is None:
        return []
    responses = stored_answers(session, survey.id)  # written and pooled alike
    if not responses:
        return []
    try:
        new = definition(doc.data)
    except (KeyError, StopIteration):  # show_if problems: reported by check_survey
        return []
    index = {q["id"]: i for i, q in enumerate(doc.data["questions"])}
    problems: list[str] = []
    for qid, why, code, values in incompatible(survey.definition, new):
        where = ["questions", index[qid]] if qid in index else ["questions"]
        problems.append(
            doc.problem(
                where,
                f"survey {survey.id!r} already has {responses} response(s): question {qid!r} "
                f"{why}. Keep it as it was (rewording and new questions or choices are fine), "
                "or publish the change as a new survey id (e.g. "
                f"{survey.id}-v2).",
                "answers_exist",
                count=responses,
                why=code,
                **values,
            )
        )
    return problems


def store(session: Session, doc: Document) -> None:
    """Create or update the survey; the version goes up when the definition changes."""
    data = doc.data
    new = definition(data)
    survey = session.get(Survey, data["id"])
    opens, closes = parse_time(str(data["opens_at"])), parse_time(str(data["closes_at"]))
    if survey is None:
        survey = Survey(id=data["id"], version=1, definition=new)
        session.add(survey)
    elif survey.definition != new:
        survey.version += 1
        survey.definition = new
    survey.title = new["title"]["ja"][:200]
    survey.updated_at = utcnow()
    survey.anonymous = new["anonymous"]
    assert opens is not None and closes is not None  # check_times refused any other document
    survey.opens_at, survey.closes_at = opens, closes
    session.flush()


KIND = Kind(
    name="survey",
    schema=SURVEY_SCHEMA,
    key=lambda d: d["id"],
    store=store,
    checks=[check_times("opens_at", "closes_at"), check_survey, check_changes],
    order=20,
)
