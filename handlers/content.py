"""Content files (YAML, `kind` first): validate with file, line and field; apply all or nothing.

Each kind registers a JSON schema, optional extra checks, and a function that stores
the validated document. `apply_paths` validates every file before writing any.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog, ContentItem


class Problem(str):
    """One problem: `file:line: field: message` for developers, and `.plain` for staff.

    `.plain` is a sentence in plain Japanese (`.plain_en` in English) that names the place
    the way the staff member wrote it (the question by number and text, or the workbook's
    sheet and row), the field in the form's own words, and what to do.
    """

    plain: str
    plain_en: str
    where: tuple
    code: str

    def __new__(cls, text: str, plain: str = "", plain_en: str = "", where=(), code: str = ""):
        obj = super().__new__(cls, text)
        obj.plain, obj.plain_en = plain or text, plain_en or plain or text
        obj.where, obj.code = tuple(where), code
        return obj


def plain_problem(code: str, **values) -> Problem:
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
    data: dict
    lines: dict[tuple, int]
    place: Callable[[tuple, str], str] | None = None  # (where, lang) → place

    def line(self, where: Iterable) -> int:
        """The line of a field, or of the nearest parent that has one."""
        key = tuple(where)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def problem(self, where: Iterable, message: str, code: str = "other", **values) -> Problem:
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
    schema: dict
    key: Callable[[dict], str]
    store: Callable[[Session, Document], None] | None = None
    checks: list[Callable[[Document, Session], list[str]]] = field(default_factory=list)
    order: int = 50  # applied in this order (town first)


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Register a content kind; a name may be registered once."""
    if kind.name in KINDS:
        raise ValueError(f"content kind {kind.name!r} is registered twice")
    KINDS[kind.name] = kind
    return kind


# --- YAML with line numbers ------------------------------------------------------

_TIMESTAMP, _MERGE = "tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:merge"


MAX_BYTES = 1_000_000  # a content file, before it is parsed
MAX_DEPTH = 50  # nesting of lists and mappings
MAX_NODES = 20_000  # values of every kind in one file (the demo survey has 222)


class _Refused(yaml.YAMLError):
    """A file the loader will not read (an alias, a tag, too deep, too many values)."""

    def __init__(self, code: str, line: int, **values):
        super().__init__(code)
        self.code, self.line, self.values = code, line, values


class _Loader(yaml.SafeLoader):
    """Safe loader for untrusted files: no anchors or aliases, no tags, bounded depth and size.

    Timestamps stay strings (we parse them ourselves) and `<<` is an ordinary key, so no
    value is ever built from another. Limits hold while composing, before anything grows.
    """

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._nodes = 0

    def compose_node(self, parent, index):
        """One node, refused when it is an alias, anchored, tagged, too deep or one too many."""
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise _Refused("yaml_alias", line)
        tag = getattr(event, "tag", None)
        if tag is not None and not (isinstance(event, yaml.ScalarEvent) and tag == "!"):
            raise _Refused("yaml_tag", line, tag=tag.replace("tag:yaml.org,2002:", "!!")[:40])
        self._nodes += 1
        if self._nodes > MAX_NODES:
            raise _Refused("yaml_too_many", line, limit=f"{MAX_NODES:,}")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Refused("yaml_deep", line, limit=MAX_DEPTH)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in {_TIMESTAMP, _MERGE}]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _file_problem(text: str, code: str, line: int, detail: str = "", **values) -> Problem:
    """A problem of the file as a whole (syntax), placed by its line."""
    from messages import content_problems as words

    plain = {
        lang: words.at_line(lang, line, words.sentence(lang, code, {"detail": detail, **values}))
        for lang in ("ja", "en")
    }
    return Problem(text, plain["ja"], plain["en"], (), code)


def _walk(node: yaml.Node, loader: _Loader, path: tuple, lines: dict) -> object:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int):
                raise ContentError([_file_problem(f"{line}: keys must be text", "key_text", line)])
            if key in out:
                raise ContentError(
                    [
                        _file_problem(
                            f"{line}: {key}: duplicate key", "duplicate_key", line, name=key
                        )
                    ]
                )
            out[key] = _walk(value_node, loader, (*path, key), lines)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_walk(n, loader, (*path, i), lines) for i, n in enumerate(node.value)]
    value = loader.construct_object(node)
    if isinstance(value, float) and not math.isfinite(value):  # .inf, .nan: JSON has neither
        raise ValueError("not a finite number")
    return value


def parse(text: str, path: str) -> Document:
    """Parse one YAML document into data plus the line of every field.

    Every path that reads YAML comes here (`content apply`, console uploads): files over
    `MAX_BYTES`, aliases and anchors, tags, nesting deeper than `MAX_DEPTH` and more than
    `MAX_NODES` values are refused with a plain problem before anything is built.
    """
    if len(text) > MAX_BYTES or len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise ContentError([plain_problem("too_big", limit="1 MB")])
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except _Refused as exc:
        message = f"{path}:{exc.line}: refused ({exc.code})"
        raise ContentError([_file_problem(message, exc.code, exc.line, **exc.values)]) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        detail = getattr(exc, "problem", None) or str(exc)
        raise ContentError(
            [_file_problem(f"{path}:{line}: not valid YAML ({detail})", "yaml", line, detail)]
        ) from exc
    finally:
        loader.dispose()
    if node is None:
        raise ContentError([_file_problem(f"{path}:1: the file is empty", "empty", 1)])
    lines: dict[tuple, int] = {}
    try:
        data = _walk(node, _Loader(""), (), lines)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:  # a value that cannot be built
        line = max(lines.values(), default=1)  # the last value built
        text = f"{path}:{line}: a value cannot be read ({type(exc).__name__})"
        raise ContentError([_file_problem(text, "yaml_value", line)]) from exc
    except ContentError as exc:
        raise ContentError(
            [Problem(f"{path}:{p}", p.plain, p.plain_en, code=p.code) for p in exc.problems]
        ) from exc
    if not isinstance(data, dict):
        raise ContentError(
            [_file_problem(f"{path}:1: expected a mapping with `kind` first", "not_mapping", 1)]
        )
    return Document(path=path, data=data, lines=lines)


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


def unique(doc: Document, where: list, values: list, what: str) -> list[str]:
    """Problems for repeated values in a list (`what` names them: `choice`, `district`…)."""
    seen: set = set()
    out = []
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


# --- validate and apply -------------------------------------------------------------


def validate(doc: Document, session: Session) -> list[str]:
    """Every problem with one document (empty when it is valid)."""
    kind_name = doc.data.get("kind")
    if kind_name not in KINDS:
        known = ", ".join(sorted(KINDS))
        return [
            doc.problem(
                ["kind"],
                f"unknown kind {kind_name!r}; expected one of: {known}",
                "unknown_kind",
                value=kind_name,
                allowed=known,
            )
        ]
    kind = KINDS[kind_name]
    problems = []
    for err in sorted(Draft202012Validator(kind.schema).iter_errors(doc.data), key=str):
        where, code, values = _schema_problem(err)
        problems.append(doc.problem(where, _message(err), code, **values))
    if problems:
        return problems
    for check in kind.checks:
        problems.extend(check(doc, session))
    return problems


def _message(err) -> str:
    if err.validator == "additionalProperties":
        return err.message.replace("Additional properties are not allowed", "unknown field")
    if err.validator == "required":
        return err.message.replace("is a required property", "is required")
    if err.validator == "oneOf" and err.schema is TEXT:
        return "expected text, or a mapping {ja: …, en: …}"
    return err.message


_TYPE_CODES = {"integer": "type.integer", "number": "type.integer", "boolean": "type.boolean"}
_TYPE_CODES |= {"string": "type.string", "array": "type.array", "object": "type.object"}


def _schema_problem(err) -> tuple[tuple, str, dict]:
    """(where, code, values) of a JSON-schema error, for the plain sentence."""
    where = tuple(err.absolute_path)
    v, limit, instance = err.validator, err.validator_value, err.instance
    if v == "required":
        absent = [p for p in limit if p not in (instance or {})] or list(limit)
        # one error per missing property: its message names it ("'title' is a required …")
        missing = next((p for p in absent if err.message.startswith(repr(p))), absent[0])
        return (*where, missing), "required", {}
    if v == "additionalProperties":
        extra = sorted(set(instance) - set(err.schema.get("properties", {})))
        return where, "unknown_field", {"name": "、".join(map(str, extra))}
    if v == "enum":
        return where, "enum", {"value": instance, "allowed": list(limit)}
    if v == "type":
        kind = limit if isinstance(limit, str) else limit[0]
        return where, _TYPE_CODES.get(kind, "type.object"), {}
    if v == "minLength" and instance and err.schema is DATETIME:
        return where, "time", {}
    if v == "minLength" or v == "minProperties":
        return where, "required", {}
    if v == "maxLength":
        return where, "too_long", {"n": limit}
    if v == "pattern":
        return where, "url" if limit.startswith("^http") else "id_pattern", {"value": instance}
    if v in ("minItems", "maxItems", "minimum", "maximum"):
        code = {"minItems": "min_items", "maxItems": "max_items"}.get(v, v)
        return where, code, {"n": limit}
    if v == "oneOf":
        return where, "required" if instance in ("", None) else "text", {}
    if v == "const":
        return where, "kind", {"expected": limit, "value": instance}
    return where, "other", {}


def digest(data: dict) -> str:
    """A stable fingerprint of a document's content."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def collect(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, folders expanded (sorted); missing paths are an error."""
    files: list[Path] = []
    problems = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(x for x in p.rglob("*") if x.suffix in {".yml", ".yaml"}))
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or folder")
    if problems:
        raise ContentError(problems)
    if not files:
        raise ContentError(["no .yml or .yaml files found"])
    return files


def load_documents(files: list[Path], session: Session) -> list[Document]:
    """Parse and validate every file; raise ContentError listing every problem."""
    docs, problems = [], []
    for f in files:
        if f.stat().st_size > MAX_BYTES:  # not even read
            big = plain_problem("too_big", limit="1 MB")
            problems.append(
                Problem(f"{f}:1: larger than 1 MB", big.plain, big.plain_en, (), big.code)
            )
            continue
        try:
            doc = parse(f.read_text(encoding="utf-8"), str(f))
        except UnicodeDecodeError:
            problems.append(_file_problem(f"{f}:1: not UTF-8 text", "not_utf8", 1))
            continue
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        found = validate(doc, session)
        problems.extend(found)
        docs.append(doc)
    seen: dict[tuple, str] = {}
    for doc in docs:
        if doc.data.get("kind") in KINDS:
            ident = (doc.data["kind"], KINDS[doc.data["kind"]].key(doc.data))
            if ident in seen:
                problems.append(
                    doc.problem(
                        ["id"],
                        f"also defined in {seen[ident]}",
                        "defined_twice",
                        value=ident[1],
                        where=seen[ident],
                    )
                )
            seen[ident] = doc.path
    if problems:
        raise ContentError(problems)
    return sorted(docs, key=lambda d: KINDS[d.data["kind"]].order)


def apply(session: Session, docs: list[Document], actor: str = "cli") -> dict[str, int]:
    """Upsert validated documents in the caller's transaction; unchanged ones are left alone."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for doc in docs:
        kind = KINDS[doc.data["kind"]]
        key = kind.key(doc.data)
        fingerprint = digest(doc.data)
        item = session.scalar(
            select(ContentItem).where(ContentItem.kind == kind.name, ContentItem.key == key)
        )
        if item is not None and item.digest == fingerprint:
            counts["unchanged"] += 1
            continue
        if kind.store is not None:
            kind.store(session, doc)
        if item is None:
            session.add(
                ContentItem(
                    kind=kind.name,
                    key=key,
                    digest=fingerprint,
                    data=doc.data,
                    source=doc.path[-300:],
                )
            )
            counts["created"] += 1
        else:
            item.digest, item.data, item.source = fingerprint, doc.data, doc.path[-300:]
            counts["updated"] += 1
        session.add(
            AuditLog(
                actor=actor,
                action=f"content.{kind.name}",
                target=key,
                detail={"file": doc.path[-200:]},
            )
        )
        session.flush()
    return counts


# --- kind: town ---------------------------------------------------------------------


def _town_item(longest: int) -> dict:
    """A town list item: `大谷` or `{ja: 大谷, en: Otani}` (the Japanese is what is stored)."""
    text = {"type": "string", "minLength": 1, "maxLength": longest}
    return {
        "oneOf": [
            text,
            {
                "type": "object",
                "properties": {"ja": text, "en": {**text, "minLength": 0}},
                "required": ["ja"],
                "additionalProperties": False,
            },
        ]
    }


TOWN_SCHEMA = {
    "type": "object",
    "required": ["kind", "name", "districts"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "town"},
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "districts": {"type": "array", "items": _town_item(40)},
        "age_bands": {"type": "array", "minItems": 2, "items": _town_item(20)},
        "topics": {"type": "array", "items": _town_item(18)},
        "privacy_url": URL,
        "contact": {  # `企画課 0000-00-0000` or `{ja: …, en: …}`
            "oneOf": [
                {"type": "string", "maxLength": 200},
                {
                    "type": "object",
                    "properties": {
                        "ja": {"type": "string", "minLength": 1, "maxLength": 200},
                        "en": {"type": "string", "maxLength": 200},
                    },
                    "required": ["ja"],
                    "additionalProperties": False,
                },
            ]
        },
    },
}


def _town_checks(doc: Document, _session: Session) -> list[str]:
    d = doc.data

    def ja(field: str) -> list:
        return [v["ja"] if isinstance(v, dict) else v for v in d.get(field, [])]

    problems = unique(doc, ["districts"], ja("districts"), "district")
    problems += unique(doc, ["age_bands"], ja("age_bands"), "age band")
    problems += unique(doc, ["topics"], ja("topics"), "topic")
    return problems


register(
    Kind(name="town", schema=TOWN_SCHEMA, key=lambda d: "town", checks=[_town_checks], order=0)
)
