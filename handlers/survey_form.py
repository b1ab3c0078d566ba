"""The survey builder's form as data: a `kind: survey` document to form fields and back.

The console renders a form model (survey fields and a list of questions) and reads it back
from the posted fields; `document` turns it into the same `kind: survey` document a YAML
file holds, so the content pipeline checks and stores it exactly like a file. Question ids
come from the position when staff give none (`q1`, `q2`, …) and never change afterwards;
a choice that staff reword keeps the value it was stored with, so answers keep meaning.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from handlers.content import Document
from handlers.survey_content import TYPES, as_text, norm_choice
from messages.text import RESIDENCIES

CHOICE_TYPES = ("single", "multi")
MAX_QUESTIONS = 60
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
TOP_FIELDS = ("id", "title", "title_en", "description", "description_en", "opens_at", "closes_at")
QUESTION_FIELDS = (
    "id",
    "type",
    "text",
    "text_en",
    "choices",
    "choices_en",
    "values",
    "old_labels",
    "max_choices",
    "min",
    "max",
    "min_label",
    "min_label_en",
    "max_label",
    "max_label_en",
    "max_length",
)


def _lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]


def _local_input(value: object, tz: ZoneInfo) -> str:
    """A stored time as the value of a datetime-local input (JST)."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def _iso(raw: str, tz: ZoneInfo) -> str:
    """A datetime-local value as ISO 8601 with the town's offset (unreadable text kept as is)."""
    raw = raw.strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return raw
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.isoformat(timespec="seconds")


# --- document → form ----------------------------------------------------------------------


def blank_question(kind: str = "single") -> dict[str, Any]:
    """A new question of a type, with the usual defaults."""
    q: dict[str, Any] = {f: "" for f in QUESTION_FIELDS}
    q.update(type=kind if kind in TYPES else "single", required=True, show_if=[], locked=False)
    if q["type"] == "scale":
        q.update(min="0", max="10")
    if q["type"] == "text":
        q.update(max_length="500")
    return q


def _question_model(q: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    m = blank_question(q.get("type", "single"))
    m["type"] = q.get("type", "")
    m["id"] = str(q.get("id", ""))
    text = as_text(q.get("text", ""))
    m["text"], m["text_en"] = text.get("ja", ""), text.get("en", "")
    m["required"] = q.get("required", True) is not False
    choices = [norm_choice(c) for c in q.get("choices") or []]
    m["choices"] = "\n".join(c["label"]["ja"] for c in choices)
    m["choices_en"] = "\n".join(c["label"].get("en", "") for c in choices).strip("\n")
    if not any(c["label"].get("en") for c in choices):
        m["choices_en"] = ""
    m["values"] = "\n".join(c["value"] for c in choices)
    m["old_labels"] = m["choices"]
    for name in ("max_choices", "min", "max", "max_length"):
        m[name] = "" if q.get(name) is None else str(q[name])
    labels = {str(k): as_text(v) for k, v in (q.get("labels") or {}).items()}
    for end in ("min", "max"):
        label = labels.get(str(q.get(end)), {})
        m[f"{end}_label"], m[f"{end}_label_en"] = label.get("ja", ""), label.get("en", "")
    tokens = []
    for ref, values in (q.get("show_if") or {}).items():
        target = by_id.get(ref)
        real = [norm_choice(c) for c in (target or {}).get("choices") or []]
        for v in values:
            value = next((c["value"] for c in real if v in (c["value"], c["label"]["ja"])), v)
            tokens.append(f"{ref}={value}")
    m["show_if"] = tokens
    return m


def from_document(
    data: Mapping[str, Any] | None, tz: ZoneInfo, locked_ids: Collection[str] = frozenset()
) -> dict[str, Any]:
    """The form model of a stored document (or of a new, empty survey)."""
    data = data or {}
    title = as_text(data.get("title", "")) if data.get("title") else {}
    description = as_text(data.get("description")) if data.get("description") else {}
    eligibility = data.get("eligibility") or {}
    by_id: dict[str, Mapping[str, Any]] = {}
    questions = []
    for q in data.get("questions") or []:
        questions.append(_question_model(q, by_id))
        by_id[str(q.get("id"))] = q
    for m in questions:
        m["locked"] = m["id"] in locked_ids
    return {
        "id": str(data.get("id", "")),
        "title": title.get("ja", ""),
        "title_en": title.get("en", ""),
        "description": description.get("ja", ""),
        "description_en": description.get("en", ""),
        "opens_at": _local_input(data.get("opens_at"), tz),
        "closes_at": _local_input(data.get("closes_at"), tz),
        "anonymous": data.get("anonymous", True) is not False,
        "min_age": "" if eligibility.get("min_age") is None else str(eligibility["min_age"]),
        "residency": list(eligibility.get("residency") or []),
        "questions": questions or [blank_question()],
    }


def copy_of(data: Mapping[str, Any], taken: Collection[str], today: date) -> dict[str, Any]:
    """A new draft from a survey: a new id, the year moved on, no period; question ids kept."""
    new = {k: v for k, v in data.items() if k not in ("opens_at", "closes_at")}
    old_id = str(data["id"])
    year = today.year if today.month < 4 else today.year + 1
    found = _YEAR.search(old_id)
    if found:
        year = max(year, int(found.group(1)) + 1)
        candidate = _YEAR.sub(str(year), old_id, count=1)
    else:
        candidate = f"{old_id}-{year}"
    base, n = candidate, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    new["id"] = candidate[:64]
    if found:
        title = as_text(data["title"])
        new["title"] = {k: _YEAR.sub(str(year), v, count=1) for k, v in title.items()}
        if set(new["title"]) == {"ja"}:
            new["title"] = new["title"]["ja"]
    return new


# --- form → model -----------------------------------------------------------------------------


def from_form(form: Any) -> dict[str, Any]:  # a MultiDict, or anything with .get and .getlist
    """The form model from posted fields (`form` has .get and .getlist, like a MultiDict)."""
    model: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TOP_FIELDS}
    model["anonymous"] = form.get("anonymous", "yes") != "no"
    model["min_age"] = str(form.get("min_age", "")).strip()
    model["residency"] = [r for r in form.getlist("residency") if r in RESIDENCIES]
    try:
        count = min(int(form.get("count", "0")), MAX_QUESTIONS + 1)
    except ValueError:
        count = 0
    questions = []
    for i in range(max(0, count)):
        p = f"q{i}."
        q: dict[str, Any] = {name: str(form.get(p + name, "")) for name in QUESTION_FIELDS}
        for name in ("id", "type", "text", "text_en", "max_choices", "min", "max", "max_length"):
            q[name] = q[name].strip()
        q["required"] = form.get(p + "required") == "1"
        q["locked"] = form.get(p + "locked") == "1"
        q["show_if"] = [t for t in form.getlist(p + "show_if") if "=" in t]
        questions.append(q)
    model["questions"] = questions
    assign_ids(model)
    return model


def assign_ids(model: Mapping[str, Any]) -> None:
    """Give every question without an id one from its position (q1, q2, …), never a taken one."""
    taken = {q["id"] for q in model["questions"] if q["id"]}
    for n, q in enumerate(model["questions"], 1):
        if q["id"]:
            continue
        candidate, k = f"q{n}", n
        while candidate in taken:
            k += 1
            candidate = f"q{k}"
        q["id"] = candidate
        taken.add(candidate)


def apply_op(model: Mapping[str, Any], op: str) -> int | None:
    """Add, move or remove a question (`add:single`, `up:2`, `down:2`, `remove:2`).

    Returns the index of the question to bring into view, or None. A locked question (one
    that already has answers) is never removed.
    """
    qs = model["questions"]
    verb, _, arg = op.partition(":")
    if verb == "add" and len(qs) < MAX_QUESTIONS:
        qs.append(blank_question(arg))
        assign_ids(model)
        return len(qs) - 1
    try:
        i = int(arg)
    except ValueError:
        return None
    if not 0 <= i < len(qs):
        return None
    if verb == "up" and i > 0:
        qs[i - 1], qs[i] = qs[i], qs[i - 1]
        return i - 1
    if verb == "down" and i < len(qs) - 1:
        qs[i + 1], qs[i] = qs[i], qs[i + 1]
        return i + 1
    if verb == "remove" and not qs[i]["locked"]:
        gone = qs.pop(i)["id"]
        for q in qs:
            q["show_if"] = [t for t in q["show_if"] if t.partition("=")[0] != gone]
        return min(i, len(qs) - 1) if qs else None
    return i


# --- choices and conditions ---------------------------------------------------------------------


def choices(q: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(value, label, English label) of a question's choices as typed.

    A choice keeps the value it had when the form was loaded: first by its label, then, when
    the number of choices is unchanged, by its position (a reworded choice).
    """
    labels, labels_en = _lines(q.get("choices")), _lines(q.get("choices_en"))
    old_values, old_labels = _lines(q.get("values")), _lines(q.get("old_labels"))
    by_label = dict(zip(old_labels, old_values, strict=False))
    unmatched = {v for label, v in zip(old_labels, old_values, strict=False) if label not in labels}
    same_count = len(labels) == len(old_values)
    used: set[str] = set()
    out = []
    for pos, label in enumerate(labels):
        value = by_label.get(label)
        if value is None and same_count and old_values[pos] in unmatched:
            value = old_values[pos]
        if value is None or value in used:
            value = label
        used.add(value)
        en = labels_en[pos] if pos < len(labels_en) and len(labels_en) == len(labels) else ""
        out.append((value, label, en))
    return out


def condition_options(model: Mapping[str, Any], index: int) -> list[dict[str, Any]]:
    """The earlier choice questions a question may depend on, with their choices."""
    out = []
    for n, q in enumerate(model["questions"][:index], 1):
        if q["type"] in CHOICE_TYPES:
            out.append(
                {
                    "n": n,
                    "id": q["id"],
                    "text": q["text"],
                    "choices": [(f"{q['id']}={v}", label) for v, label, _ in choices(q)],
                }
            )
    return out


def stray_conditions(model: Mapping[str, Any], index: int) -> list[str]:
    """Conditions of a question that no longer name an earlier question's choice."""
    offered = {t for o in condition_options(model, index) for t, _ in o["choices"]}
    return [t for t in model["questions"][index]["show_if"] if t not in offered]


# --- model → document ---------------------------------------------------------------------------


def _text(ja: str, en: str) -> str | dict[str, str]:
    ja, en = ja.strip(), en.strip()
    return {"ja": ja, "en": en} if en else ja


def _number(raw: str) -> int | str:
    raw = raw.strip()
    if re.fullmatch(r"-?[0-9]{1,6}", raw):
        return int(raw)
    return raw


def _question_document(q: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": q["id"], "type": q["type"], "text": _text(q["text"], q["text_en"])}
    if not q["required"]:
        out["required"] = False
    if q["type"] in CHOICE_TYPES:
        items = []
        for value, label, en in choices(q):
            text = _text(label, en)
            items.append(
                text
                if value == label and isinstance(text, str)
                else {"value": value, "label": text}
            )
        out["choices"] = items
        if q["type"] == "multi" and q["max_choices"]:
            out["max_choices"] = _number(q["max_choices"])
    if q["type"] == "scale":
        out["min"], out["max"] = _number(q["min"] or "0"), _number(q["max"] or "10")
        labels = {}
        for end in ("min", "max"):
            if q[f"{end}_label"].strip() and isinstance(out[end], int):
                labels[out[end]] = _text(q[f"{end}_label"], q[f"{end}_label_en"])
        if labels:
            out["labels"] = labels
    if q["type"] == "text" and q["max_length"]:
        out["max_length"] = _number(q["max_length"])
    show: dict[str, list[str]] = {}
    for token in q["show_if"]:
        ref, _, value = token.partition("=")
        show.setdefault(ref, []).append(value)
    if show:
        out["show_if"] = show
    return out


def document(
    model: Mapping[str, Any], tz: ZoneInfo, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The `kind: survey` document of a form model (fields the form does not show are kept)."""
    data = {k: v for k, v in (base or {}).items() if k in ("minutes",)}
    data = {"kind": "survey", "id": model["id"], **data}
    data["title"] = _text(model["title"], model["title_en"])
    if model["description"].strip():
        data["description"] = _text(model["description"], model["description_en"])
    data["opens_at"] = _iso(model["opens_at"], tz)
    data["closes_at"] = _iso(model["closes_at"], tz)
    data["anonymous"] = model["anonymous"]
    eligibility: dict[str, Any] = {}
    if model["min_age"]:
        eligibility["min_age"] = _number(model["min_age"])
    if model["residency"]:
        eligibility["residency"] = list(model["residency"])
    if eligibility:
        data["eligibility"] = eligibility
    data["questions"] = [_question_document(q) for q in model["questions"]]
    return {k: v for k, v in data.items() if v not in ("", None)}


def form_problems(model: Mapping[str, Any], doc: Document) -> list[str]:
    """What the form can get wrong that the document cannot show (English lines that do not
    match the choices)."""
    out: list[str] = []
    for i, q in enumerate(model["questions"]):
        labels, labels_en = _lines(q.get("choices")), _lines(q.get("choices_en"))
        if q["type"] in CHOICE_TYPES and labels_en and len(labels_en) != len(labels):
            out.append(
                doc.problem(
                    ["questions", i, "choices", 0, "label", "en"],
                    f"{len(labels_en)} English lines for {len(labels)} choices",
                    "choices_en_count",
                    n=len(labels),
                    given=len(labels_en),
                )
            )
    return out


def problems_by_question(problems: Sequence[str]) -> dict[int, list[str]]:
    """Problems grouped by the question they name (index), for showing them in place."""
    out: dict[int, list[str]] = {}
    for p in problems:
        where: Sequence[object] = getattr(p, "where", ())
        if len(where) >= 2 and where[0] == "questions" and isinstance(where[1], int):
            out.setdefault(where[1], []).append(p)
    return out
