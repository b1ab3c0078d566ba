"""What a content file becomes: a `Document` with the line of every field, its `Problem`s
(`file:line: field: message`, with the sentence staff read), a `Kind` (schema, key, store,
checks), and the schema pieces and checks kinds share."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


class Problem(str):
    """One problem: `file:line: field: message` for developers, and `.plain` for staff.

    `.plain` is a sentence in plain Japanese (`.plain_en` in English) that names the place
    the way the staff member wrote it (the question by number and text, or the workbook's
    sheet and row), the field in the form's own words, and what to do.
    """

    plain: str
    plain_en: str
    where: tuple[Any, ...]
    code: str

    def __new__(
        cls,
        text: str,
        plain: str = "",
        plain_en: str = "",
        where: Iterable[Any] = (),
        code: str = "",
    ) -> Problem:
        obj = super().__new__(cls, text)
        obj.plain, obj.plain_en = plain or text, plain_en or plain or text
        obj.where, obj.code = tuple(where), code
        return obj


def plain_problem(code: str, **values: Any) -> Problem:
    """A problem that belongs to no field (an upload's size, its encoding)."""
    from messages import content_problems as words

    ja, en = words.sentence("ja", code, values), words.sentence("en", code, values)
    return Problem(ja, ja, en, (), code)


class ContentError(Exception):
    """One or more problems, each naming file, line and field."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Document:
    """A parsed YAML document with the line of every field.

    `place`, when set, names a field's place for staff (the workbook sets it to its sheets
    and rows); otherwise the kind's own naming is used, with the line for files.
    """

    path: str
    data: dict[str, Any]
    lines: dict[tuple[Any, ...], int]
    place: Callable[[tuple[Any, ...], str], str] | None = None  # (where, lang) → place

    def line(self, where: Iterable[Any]) -> int:
        """The line of a field, or of the nearest parent that has one."""
        key = tuple(where)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def problem(
        self, where: Iterable[Any], message: str, code: str = "other", /, **values: Any
    ) -> Problem:
        """A problem naming the file, the line and the field, with its plain sentence."""
        from messages import content_problems as words

        where = tuple(where)
        name = ".".join(str(p) for p in where) or "(document)"
        text = f"{self.path}:{self.line(where)}: {name}: {message}"
        values.setdefault("detail", message)
        plain = {lang: words.plain(lang, self, where, code, values) for lang in ("ja", "en")}
        return Problem(text, plain["ja"], plain["en"], where, code)


@dataclass
class Kind:
    """How one `kind` is checked and stored."""

    name: str
    schema: dict[str, Any]
    key: Callable[[dict[str, Any]], str]
    store: Callable[[Session, Document], None] | None = None
    checks: list[Callable[[Document, Session], list[str]]] = field(default_factory=list)
    order: int = 50  # applied in this order (town first)


# --- shared schema pieces and checks ------------------------------------------------

TEXT = {
    "oneOf": [
        {"type": "string", "minLength": 1},
        {
            "type": "object",
            "properties": {"ja": {"type": "string", "minLength": 1}, "en": {"type": "string"}},
            "required": ["ja"],
            "additionalProperties": False,
        },
    ]
}
ID = {"type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,63}$"}
DATETIME = {"type": "string", "minLength": 10}
URL = {"type": "string", "pattern": "^https?://"}


def parse_time(value: str) -> datetime | None:
    """An ISO 8601 time with an offset, or None when it has none or is not a time."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else None


def check_times(*names: str) -> Callable[[Document, Session], list[str]]:
    """A check that the named fields are times with an offset (e.g. +09:00)."""

    def check(doc: Document, _session: Session) -> list[str]:
        return [
            doc.problem(
                [n], "expected a time with an offset, e.g. 2026-06-01T00:00:00+09:00", "time"
            )
            for n in names
            if n in doc.data and parse_time(str(doc.data[n])) is None
        ]

    return check


def unique(doc: Document, where: Sequence[Any], values: Sequence[Any], what: str) -> list[str]:
    """Problems for repeated values in a list (`what` names them: `choice`, `district`…)."""
    seen: set[str] = set()
    out: list[str] = []
    for i, v in enumerate(values):
        marker = json.dumps(v, sort_keys=True, ensure_ascii=False)
        if marker in seen:
            out.append(
                doc.problem(
                    [*where, i],
                    f"{what} {v!r} appears twice",
                    "duplicate",
                    what=what.replace(" ", "_"),
                    value=v,
                )
            )
        seen.add(marker)
    return out


def digest(data: Mapping[str, Any]) -> str:
    """A stable fingerprint of a document's content."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
