"""Published results are a snapshot: the public figures (already under the public rule) as
they were when staff published, stored on the publication's row (`content_items.snapshot`)
with when they were counted (集計時点). The public page, its charts and its static copy show
the snapshot, never live counts, so comparing two visits of an open survey tells nothing
about the answers given in between; publishing again takes a new one (docs/publishing.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from db.models import ContentItem
from handlers.content import parse_time
from handlers.survey_cells import ALSO_HIDDEN, ALSO_MARK, HIDDEN, MARK, Cell

_CELL, _AT = "$cell", "$at"


def _encode(value: Any) -> Any:
    if isinstance(value, Cell):
        if not value.suppressed:
            return value.count
        return {_CELL: value.mark}
    if isinstance(value, datetime):
        return {_AT: value.isoformat()}
    if isinstance(value, Mapping):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {_CELL}:
            mark = value[_CELL]
            if mark == MARK:
                return HIDDEN
            return ALSO_HIDDEN if mark == ALSO_MARK else Cell(None, True, mark)
        if set(value) == {_AT}:
            return parse_time(str(value[_AT]))
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _row(session: Session, survey_id: str) -> ContentItem | None:
    return session.scalar(
        select(ContentItem).where(ContentItem.kind == "publication", ContentItem.key == survey_id)
    )


def _figures(session: Session, survey_id: str, now: datetime) -> dict[str, Any]:
    from handlers.publishing_results import public_results  # it imports the records

    view = {k: v for k, v in public_results(session, survey_id).items() if k != "survey"}
    return {"at": now.isoformat(), "view": _encode(view)}


def take(session: Session, survey_id: str, now: datetime) -> datetime:
    """Count the public figures now and store them as the published ones; when counted."""
    row = _row(session, survey_id)
    if row is None:
        raise KeyError(survey_id)
    row.snapshot = _figures(session, survey_id, now)
    session.flush()
    return now


def take_if_missing(session: Session, survey_id: str, now: datetime) -> None:
    """A publication published before snapshots existed gets one (once: the first wins)."""
    session.execute(
        update(ContentItem)
        .where(
            ContentItem.kind == "publication",
            ContentItem.key == survey_id,
            ContentItem.snapshot.is_(None),
        )
        .values(snapshot=_figures(session, survey_id, now))
        .execution_options(synchronize_session=False)
    )


def clear(session: Session, survey_id: str) -> None:
    """Unpublished: no figures kept for the public."""
    row = _row(session, survey_id)
    if row is not None:
        row.snapshot = None
        session.flush()


def read(session: Session, survey_id: str) -> tuple[dict[str, Any], datetime] | None:
    """(the public results as published, when they were counted), or None if none is stored."""
    row = _row(session, survey_id)
    if row is None or not row.snapshot:
        return None
    stored = row.snapshot
    at = parse_time(str(stored.get("at", "")))
    if at is None:
        return None
    view: dict[str, Any] = _decode(stored["view"])
    return view, at
