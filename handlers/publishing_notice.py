"""Telling those who took part: the announcement of a published result or report, its dry
run and token, and sending it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from db.base import utcnow
from db.broadcasts import Broadcast
from db.models import AuditLog, ContentItem
from handlers import broadcast, segments
from handlers.content import digest
from handlers.publishing_records import PublishError, record
from handlers.survey_cells import SUPPRESS_BELOW
from handlers.town import load_town
from messages.catalog import t
from messages.publish import SUMMARY_MAX as SUMMARY_MAX
from messages.publish import summary as summary
from messages.text import pick


@dataclass(frozen=True)
class Notice:
    """What the announcement about a publication says and to whom."""

    kind: str  # results | report
    target: str
    segment: str
    text: str
    text_en: str
    link_url: str | None
    link_label: str | None

    def args(self) -> dict[str, Any]:
        """Keyword arguments for broadcast.dry_run / create_broadcast."""
        return {
            "text": self.text,
            "text_en": self.text_en,
            "segment": self.segment,
            "link_url": self.link_url,
            "link_label": self.link_label,
        }


def _record_kind(kind: str) -> str:
    if kind not in ("results", "report"):
        raise PublishError(f"unknown kind {kind!r}")
    return "publication" if kind == "results" else "report"


def _report_text(data: dict[str, Any], lang: str) -> str:
    text = data.get("text", "")
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("ja") or "")
    return str(text)


def notice(session: Session, kind: str, target: str, base_url: str) -> Notice:
    """The announcement for a published survey (`answered=ID`) or report (`attended=ID`)."""
    data = record(session, _record_kind(kind), target)
    if not data or not data.get("published"):
        raise PublishError.of("not_published")
    base = base_url.rstrip("/")
    if kind == "results":
        survey = store.get_survey(session, target)
        assert survey is not None  # a published survey's results name a survey
        title, url = survey.definition["title"], f"{base}/results/{target}"
        n = store.response_count(session, target)
        key = "pub.notice_results" if n >= SUPPRESS_BELOW else "pub.notice_results_few"
        words = {
            lang: t(lang, key, title=pick(title, lang), url=url, n=f"{n:,}")
            for lang in ("ja", "en")
        }
        segment = f"answered={target}"
    else:
        event = event_store.get_event(session, target)
        assert event is not None  # a published report names an event
        url = f"{base}/reports/{target}"
        words = {
            lang: t(
                lang,
                "pub.notice_report",
                title=pick(event.title, lang),
                url=url,
                summary=summary(_report_text(data, lang)),
            )
            for lang in ("ja", "en")
        }
        segment = f"attended={target}"
    https = url.startswith("https://")
    return Notice(
        kind,
        target,
        segment,
        words["ja"],
        words["en"],
        url if https else None,
        # a catalog reference: each resident's button is in their language (messages/broadcast)
        f"@pub.see_{kind}" if https else None,
    )


def announced(session: Session, kind: str, target: str) -> Broadcast | None:
    """The announcement already made about this publication (a cancelled one does not count)."""
    data = record(session, _record_kind(kind), target) or {}
    b_id = (data.get("announced") or {}).get("broadcast")
    b = session.get(Broadcast, b_id) if b_id else None
    if b is None or b.status == "cancelled" or b.recipients == 0:  # reached no one: not used up
        return None
    return b


def _nobody(session: Session, kind: str, n: Notice) -> None:
    """Refuse an announcement that would reach no one (it would use up the one allowed)."""
    if segments.count(session, load_town(session), n.segment) == 0:
        raise PublishError.of(f"nobody.{kind}")


def announce_dry_run(
    session: Session, gateway: Any, kind: str, target: str, base_url: str, now: datetime
) -> tuple[Notice, broadcast.DryRun]:
    """Who would receive the announcement and what it costs (sends nothing)."""
    n = notice(session, kind, target, base_url)
    try:
        result = broadcast.dry_run(session, gateway, now=now, **n.args())
    except broadcast.BroadcastError as exc:
        raise PublishError(str(exc)) from None
    if result.recipients == 0:
        raise PublishError.of(f"nobody.{kind}")
    return n, result


def check_token(session: Session, kind: str, target: str, base_url: str) -> str:
    """A fingerprint of the announcement as the dry run showed it (text and audience)."""
    n = notice(session, kind, target, base_url)
    return digest(n.args())[:32]


def announce(
    session: Session,
    kind: str,
    target: str,
    base_url: str,
    actor: str,
    now: datetime,
    checked: str,
) -> Broadcast:
    """Create the announcement once, after its dry run (`checked` is the dry run's token).

    The publication's row is locked first, so two staff pressing send at once make one."""
    session.scalar(
        select(ContentItem)
        .where(ContentItem.kind == _record_kind(kind), ContentItem.key == target)
        .with_for_update()
    )
    same = announced(session, kind, target)
    if same is not None:
        raise PublishError.of("announced", id=same.id)
    if checked != check_token(session, kind, target, base_url):
        raise PublishError.of("not_checked")
    n = notice(session, kind, target, base_url)
    _nobody(session, kind, n)
    try:
        b = broadcast.create_broadcast(session, actor=actor, now=now, **n.args())
    except broadcast.BroadcastError as exc:
        raise PublishError(str(exc)) from None
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == _record_kind(kind), ContentItem.key == target)
    )
    assert item is not None  # notice() above found its record
    data = dict(item.data)
    data["announced"] = {"broadcast": b.id, "at": now.isoformat()}
    item.data, item.digest, item.updated_at = data, digest(data), utcnow()
    session.add(
        AuditLog(
            at=now,
            actor=actor[:120],
            action=f"publish.announce.{kind}",
            target=target,
            detail={"broadcast": b.id, "segment": n.segment},
        )
    )
    session.flush()
    return b
