"""Content files from the console: an uploaded YAML file, or a document built from a form.

Both go through handlers/content.py exactly as `content apply` does: parse with lines,
validate (schema and the kind's checks), then apply in one transaction, audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select

from bot.console.base import write
from db.models import ContentItem
from handlers import content
from handlers.content_yaml import MAX_BYTES, MAX_BYTES_LABEL

MAX_UPLOAD = MAX_BYTES  # the loader's own limit, checked before decoding
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


@dataclass
class Applied:
    """What an upload did: counts when applied, or the problems (file:line: field: message)."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    key: str | None = None

    @property
    def ok(self) -> bool:
        """Applied without problems."""
        return not self.problems


def display_name(filename: str | None) -> str:
    """The uploaded file's own name (no folders, no control characters) for messages."""
    name = (filename or "upload.yml").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE.sub("", name)[:100] or "upload.yml"


def apply_upload(raw: bytes, filename: str | None, kind: str, actor: str) -> Applied:
    """Validate and apply one uploaded YAML document of this kind (all or nothing)."""
    name = display_name(filename)
    if len(raw) > MAX_UPLOAD:
        return Applied(problems=[content.plain_problem("too_big", limit=MAX_BYTES_LABEL)])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Applied(problems=[content.plain_problem("not_utf8")])
    try:
        doc = content.parse(text, name)
    except content.ContentError as exc:
        return Applied(problems=exc.problems)
    return apply_document(doc, kind, actor)


def apply_document(doc: content.Document, kind: str, actor: str) -> Applied:
    """Validate and apply a parsed document, which must be of this kind."""
    if doc.data.get("kind") != kind:
        found = doc.data.get("kind")
        message = f"this page takes kind: {kind} files"
        return Applied(
            problems=[doc.problem(["kind"], message, "kind", expected=kind, value=found)]
        )
    with write() as s:
        problems = content.validate(doc, s)
        if problems:
            return Applied(problems=problems)
        key = content.KINDS[kind].key(doc.data)
        counts = content.apply(s, [doc], actor)
    return Applied(counts=counts, key=key)


def stored_document(session, kind: str, key: str) -> dict | None:
    """The document last applied for (kind, key), as data."""
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == kind, ContentItem.key == key)
    )
    return dict(item.data) if item else None
