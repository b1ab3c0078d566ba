"""Content problems in plain words for staff: where (question, line or sheet row) and what to do.

Builds the sentence of a `handlers.content.Problem` from its code and values, naming the
question by its number and text and the field in the words the builder, the event form and
the survey workbook use (messages/catalog/content.py).
"""

from __future__ import annotations

from messages.catalog import CATALOGS, t

_ENUM_FIELDS = ("type", "residency", "format")
_TEXT_FIELDS = ("title", "description", "text")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _has(key: str) -> bool:
    return key in CATALOGS["ja"]


def _local(value, lang: str) -> str:
    if isinstance(value, dict):
        return str(value.get(lang) or value.get("ja") or "")
    return "" if value is None else str(value)


def sentence(lang: str, code: str, values: dict) -> str:
    """The sentence for a problem code (missing values are left blank)."""
    key = f"content.{code}" if _has(f"content.{code}") else "content.other"
    text = CATALOGS.get(lang, CATALOGS["ja"]).get(key) or CATALOGS["ja"][key]
    return text.format_map(_Blank(values))


def at_line(lang: str, line: int, text: str) -> str:
    """A sentence placed at a line of a file."""
    return f"{t(lang, 'content.place.line', line=line)}: {text}"


def _question(doc, index: int) -> dict:
    questions = doc.data.get("questions")
    if isinstance(questions, list) and 0 <= index < len(questions):
        q = questions[index]
        return q if isinstance(q, dict) else {}
    return {}


def _choice_label(q: dict, j: int, lang: str) -> str:
    choices = q.get("choices")
    if isinstance(choices, list) and 0 <= j < len(choices):
        c = choices[j]
        return _local(c.get("label") if isinstance(c, dict) else c, lang)
    return ""


def field_name(lang: str, where: tuple, q: dict | None = None) -> str:
    """A field's name in the form's words (`choices.2` → 選択肢「買い物が不便」)."""
    parts = [p for p in where if not isinstance(p, int)] if where else []
    if not where:
        return t(lang, "content.field.questions" if q is not None else "content.field.title")
    head = where[0]
    if head in _TEXT_FIELDS and len(where) > 1 and where[1] == "en":
        return t(lang, f"content.field.{head}.en")
    if head == "choices":
        if len(where) >= 4 and where[-1] == "en":
            return t(lang, "content.field.choices.en")
        if len(where) >= 2 and isinstance(where[1], int):
            label = _choice_label(q or {}, where[1], lang)
            if label:
                return t(lang, "content.field.choice", label=label)
            return t(lang, "content.field.choice_n", n=where[1] + 1)
        return t(lang, "content.field.choices")
    if head == "labels" and len(where) > 1:
        return t(lang, "content.field.label_at", point=where[1])
    if head in ("eligibility", "capacity") and len(where) > 1:
        head = where[1]
    elif head == "eligibility" and parts:
        head = parts[-1]
    if _has(f"content.field.{head}"):
        return t(lang, f"content.field.{head}")
    return ".".join(str(p) for p in where)


def _allowed(lang: str, field: str, allowed: list) -> str:
    names = [
        t(lang, f"content.value.{v}") if _has(f"content.value.{v}") else str(v) for v in allowed
    ]
    return t(lang, "content.or").join(names)


def _values(lang: str, doc, where: tuple, code: str, values: dict, q: dict | None) -> dict:
    out = dict(values)
    last = next((p for p in reversed(where) if isinstance(p, str)), "")
    if code == "enum":
        out["allowed"] = _allowed(lang, last if last in _ENUM_FIELDS else "", values["allowed"])
    if code == "duplicate":
        what = values.get("what", "")
        key = f"content.what.{what}"
        out["what"] = t(lang, key) if _has(key) else what
    if code == "show_if_choice":
        ref = next(
            (
                i
                for i, q2 in enumerate(doc.data.get("questions") or [])
                if isinstance(q2, dict) and q2.get("id") == values.get("ref")
            ),
            None,
        )
        out["question"] = (
            _local(_question(doc, ref).get("text"), lang)
            if ref is not None
            else values.get("ref", "")
        )
    if code == "answers_exist":
        why = values.get("why", "")
        fill = {k: values.get(k, "") for k in ("choices", "question")}
        out["why"] = t(lang, f"content.why.{why}", **fill)
    if code == "only_for":
        out["types"] = _allowed(lang, "type", values.get("types", []))
    for name in ("other", "mode"):
        if name in values and _has(f"content.field.{values[name]}"):
            out[name] = t(lang, f"content.field.{values[name]}")
    out["field"] = field_name(lang, where, q)
    return out


def plain(lang: str, doc, where: tuple, code: str, values: dict) -> str:
    """The whole sentence: the place, then what is wrong and what to do."""
    q = None
    rest = where
    prefix = ""
    is_question = (
        doc.data.get("kind") == "survey"
        and len(where) >= 2
        and where[0] == "questions"
        and isinstance(where[1], int)
    )
    if is_question:
        q = _question(doc, where[1])
        rest = where[2:]
    if doc.place is not None:
        prefix = doc.place(where, lang)
    elif is_question:
        assert q is not None  # set above for every question's place
        prefix = t(lang, "content.place.question", n=where[1] + 1, text=_local(q.get("text"), lang))
    body = sentence(lang, code, _values(lang, doc, rest, code, values, q))
    text = f"{prefix}: {body}" if prefix else body
    if doc.place is None and doc.lines:
        text = at_line(lang, doc.line(where), text)
    return text
