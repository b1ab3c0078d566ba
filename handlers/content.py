"""Content files (YAML, `kind` first): validate with file, line and field; apply all or nothing.

The kinds are listed in `handlers/content_kinds.py`; each has a JSON schema, optional extra
checks, and a function that stores the validated document. `load_documents` validates every
file before `apply` writes any. The pieces live in `content_documents.py` (Document, Problem,
Kind, shared schema pieces) and `content_yaml.py` (the safe reader); their names are
importable from here.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # no stubs installed
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import AuditLog, ContentItem
from handlers.content_documents import DATETIME as DATETIME
from handlers.content_documents import ID as ID
from handlers.content_documents import TEXT as TEXT
from handlers.content_documents import URL as URL
from handlers.content_documents import ContentError as ContentError
from handlers.content_documents import Document as Document
from handlers.content_documents import Kind as Kind
from handlers.content_documents import Problem as Problem
from handlers.content_documents import check_times as check_times
from handlers.content_documents import digest as digest
from handlers.content_documents import parse_time as parse_time
from handlers.content_documents import plain_problem as plain_problem
from handlers.content_documents import unique as unique
from handlers.content_yaml import MAX_BYTES, MAX_BYTES_LABEL, file_problem
from handlers.content_yaml import parse as parse
from messages.text import LIST_SEP


def kinds() -> dict[str, Kind]:
    """Every content kind by name (`handlers/content_kinds.py`, read when first needed)."""
    from handlers.content_kinds import KINDS

    return KINDS


def __getattr__(name: str) -> dict[str, Kind]:
    """`content.KINDS` stays importable (the list itself imports the kinds' modules)."""
    if name == "KINDS":
        return kinds()
    raise AttributeError(name)


def validate(doc: Document, session: Session) -> list[str]:
    """Every problem with one document (empty when it is valid)."""
    by_name = kinds()
    kind_name = doc.data.get("kind")
    if kind_name not in by_name:
        known = ", ".join(sorted(by_name))
        return [
            doc.problem(
                ["kind"],
                f"unknown kind {kind_name!r}; expected one of: {known}",
                "unknown_kind",
                value=kind_name,
                allowed=known,
            )
        ]
    kind = by_name[kind_name]
    problems: list[str] = []
    for err in sorted(Draft202012Validator(kind.schema).iter_errors(doc.data), key=str):
        where, code, values = _schema_problem(err)
        problems.append(doc.problem(where, _message(err), code, **values))
    if problems:
        return problems
    for check in kind.checks:
        problems.extend(check(doc, session))
    return problems


def _message(err: Any) -> str:
    message: str = err.message
    if err.validator == "additionalProperties":
        return message.replace("Additional properties are not allowed", "unknown field")
    if err.validator == "required":
        return message.replace("is a required property", "is required")
    if err.validator == "oneOf" and err.schema is TEXT:
        return "expected text, or a mapping {ja: …, en: …}"
    return message


_TYPE_CODES = {"integer": "type.integer", "number": "type.integer", "boolean": "type.boolean"}
_TYPE_CODES |= {"string": "type.string", "array": "type.array", "object": "type.object"}


def _schema_problem(err: Any) -> tuple[tuple[Any, ...], str, dict[str, Any]]:
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
        return where, "unknown_field", {"name": LIST_SEP["ja"].join(map(str, extra))}
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


def collect(paths: Iterable[str | Path]) -> list[Path]:
    """The YAML files named, folders expanded (sorted); missing paths are an error."""
    files: list[Path] = []
    problems: list[str] = []
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
    docs: list[Document] = []
    problems: list[str] = []
    for f in files:
        if f.stat().st_size > MAX_BYTES:  # not even read
            big = plain_problem("too_big", limit=MAX_BYTES_LABEL)
            text = f"{f}:1: larger than {MAX_BYTES_LABEL}"
            problems.append(Problem(text, big.plain, big.plain_en, (), big.code))
            continue
        try:
            doc = parse(f.read_text(encoding="utf-8"), str(f))
        except UnicodeDecodeError:
            problems.append(file_problem(f"{f}:1: not UTF-8 text", "not_utf8", 1))
            continue
        except ContentError as exc:
            problems.extend(exc.problems)
            continue
        found = validate(doc, session)
        problems.extend(found)
        docs.append(doc)
    by_name = kinds()
    seen: dict[tuple[str, str], str] = {}
    for doc in docs:
        if doc.data.get("kind") in by_name:
            ident = (doc.data["kind"], by_name[doc.data["kind"]].key(doc.data))
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
    return sorted(docs, key=lambda d: by_name[d.data["kind"]].order)


def apply(session: Session, docs: list[Document], actor: str = "cli") -> dict[str, int]:
    """Upsert validated documents in the caller's transaction; unchanged ones are left alone."""
    by_name = kinds()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for doc in docs:
        kind = by_name[doc.data["kind"]]
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
