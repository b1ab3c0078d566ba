"""The publishing records: a survey's `kind: publication` and an event's `kind: report`
content documents, read, published, unpublished and listed (docs/publishing.md)."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from db.models import ContentItem
from handlers import publishing_snapshot as snapshot
from handlers.content import Document, parse_time
from handlers.staff_audit import audit
from messages.catalog import t
from messages.text import TOWN_TZ, when


class PublishError(ValueError):
    """Publishing or announcing is refused; the message says why (in Japanese for staff)."""

    code = ""

    @classmethod
    def of(cls, code: str, **values: Any) -> PublishError:
        """The error for a code of messages/catalog/console_staff.py (`publish_error.<code>`)."""
        exc = cls(t("ja", f"publish_error.{code}", **values))
        exc.code = code
        return exc


def record(session: Session, kind: str, key: str) -> dict[str, Any] | None:
    """The publication (kind "publication", survey id) or report ("report", event id)."""
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == kind, ContentItem.key == key)
    )
    return dict(item.data) if item else None


def save(session: Session, data: dict[str, Any], actor: str) -> dict[str, Any]:
    """Validate and store a publication or report document; raises PublishError."""
    from handlers import content

    doc = Document(path=f"console:{data['kind']}", data=data, lines={})
    problems = content.validate(doc, session)
    if problems:
        raise PublishError("; ".join(getattr(p, "plain", str(p)) for p in problems))
    content.apply(session, [doc], actor)
    return data


def _stamp(
    data: dict[str, Any], before: dict[str, Any] | None, published: bool, now: datetime
) -> dict[str, Any]:
    data["published"] = published
    if published:
        kept = before.get("published_at") if before and before.get("published") else None
        data["published_at"] = kept or now.isoformat()
    elif before and before.get("published_at"):
        data["published_at"] = before["published_at"]
    if before and "announced" in before:
        data["announced"] = before["announced"]
    return data


def publish_survey(
    session: Session,
    survey_id: str,
    actor: str,
    now: datetime,
    *,
    published: bool = True,
    crosstabs: list[str] | None = None,
    excerpts: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Publish (or unpublish) a survey's results; crosstabs/excerpts None keep the stored ones.

    Publishing (again) takes a new snapshot of the public figures, which the public page shows
    until the next one (audited as publish.snapshot); unpublishing drops it."""
    if store.get_survey(session, survey_id) is None:
        raise PublishError.of("no_survey", id=survey_id)
    before = record(session, "publication", survey_id)
    data: dict[str, Any] = {"kind": "publication", "survey": survey_id}
    old = before or {}
    data["crosstabs"] = list(crosstabs if crosstabs is not None else old.get("crosstabs", []))
    data["excerpts"] = [
        {"question": e["question"], "text": e["text"].strip()}
        for e in (excerpts if excerpts is not None else old.get("excerpts", []))
        if e.get("text", "").strip()
    ]
    saved = save(session, _stamp(data, before, published, now), actor)
    if published:
        snapshot.take(session, survey_id, now)
        counted = {"counted_at": now.isoformat()}
        audit(session, actor, "publish.snapshot", survey_id, counted, at=now)
    else:
        snapshot.clear(session, survey_id)
    return saved


def save_report(
    session: Session,
    event_id: str,
    actor: str,
    now: datetime,
    *,
    text: str,
    text_en: str = "",
    images: list[str] | None = None,
    published: bool = False,
    tz: tzinfo = TOWN_TZ,
) -> dict[str, Any]:
    """Write (and optionally publish) an event's report; publishing waits for its start."""
    event = event_store.get_event(session, event_id)
    if event is None:
        raise PublishError.of("no_event", id=event_id)
    if published and now < event.starts_at:
        starts = when(event.starts_at, "ja", tz, year=True)
        raise PublishError.of("report_too_early", starts=starts)
    before = record(session, "report", event_id)
    body: Any = {"ja": text.strip(), "en": text_en.strip()} if text_en.strip() else text.strip()
    if not text.strip():
        raise PublishError.of("report_empty")
    data: dict[str, Any] = {"kind": "report", "event": event_id, "text": body}
    data["images"] = [u.strip() for u in images or [] if u.strip()]
    return save(session, _stamp(data, before, published, now), actor)


def unpublish_report(session: Session, event_id: str, actor: str, now: datetime) -> dict[str, Any]:
    """Take a report off the public pages (the text is kept for staff)."""
    before = record(session, "report", event_id)
    if before is None:
        raise PublishError.of("no_report", id=event_id)
    data = {k: v for k, v in before.items() if k not in {"published", "published_at"}}
    return save(session, _stamp(data, before, False, now), actor)


def published(session: Session) -> list[dict[str, Any]]:
    """Published results and reports, newest first: {kind, id, title, published_at, path}."""
    rows = session.scalars(
        select(ContentItem).where(ContentItem.kind.in_(("publication", "report")))
    ).all()
    out = []
    for row in rows:
        d = row.data
        if not d.get("published"):
            continue
        if row.kind == "publication":
            survey = store.get_survey(session, d["survey"])
            if survey is None:
                continue
            title, path, kind = survey.definition["title"], f"/results/{survey.id}", "results"
        else:
            event = event_store.get_event(session, d["event"])
            if event is None:
                continue
            title, path, kind = event.title, f"/reports/{event.id}", "report"
        at = parse_time(str(d.get("published_at", ""))) or row.updated_at
        out.append({"kind": kind, "id": row.key, "title": title, "published_at": at, "path": path})
    return sorted(out, key=lambda x: (x["published_at"], x["id"]), reverse=True)
