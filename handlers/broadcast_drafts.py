"""Drafting an announcement: check what it says and to whom, resolve its button, and the
dry run (recipients, message objects, the month's quota). Nothing is stored or sent here.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.orm import Session

from db import broadcasts_reports
from db.broadcasts import Broadcast
from db.events import get_event
from db.surveys import get_survey
from handlers import segments, translations
from handlers.broadcast_errors import BroadcastError
from handlers.town import Town, load_town
from messages.broadcast import (
    ACTION_KINDS,
    LINK_LABEL_MAX,
    ActionCard,
    AnnouncementError,
    announcement,
    check_https,
)
from messages.catalog import LANGUAGES, t
from messages.rsvp import moment
from messages.rsvp import when as event_when
from messages.text import TOWN_TZ, pick
from messages.translations import say

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Draft:
    """A checked announcement: what it says and to whom."""

    text: str
    segment: str = ""
    topic: str | None = None
    urgent: bool = False
    image_url: str | None = None
    link_url: str | None = None
    link_label: str | None = None
    text_en: str | None = None
    action: str | None = None  # event:ID | survey:ID | url:URL
    card: ActionCard | None = None  # the action resolved (titles, dates); not stored

    def messages(self, lang: str) -> list[dict[str, Any]]:
        """The message objects for residents using this language."""
        url_action = self.card is not None and self.card.kind == "url"
        return announcement(
            self.text_en if lang == "en" and self.text_en else self.text,
            lang,
            image_url=self.image_url,
            link_url=self.link_url,
            link_label=None if url_action else self.link_label,
            card=self.card,
        )

    @property
    def size(self) -> int:
        """Message objects per recipient (the most any language needs)."""
        return max(len(self.messages(lang)) for lang in LANGUAGES)

    @property
    def digest(self) -> str:
        """A hash of the content and audience (to notice the same send made twice)."""
        fields = {k: v for k, v in asdict(self).items() if k != "card"}
        raw = json.dumps(fields, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()


def resolve_action(
    session: Session,
    action: str | None,
    *,
    tz: tzinfo = TOWN_TZ,
    now: datetime | None = None,
    link_label: str | None = None,
) -> ActionCard | None:
    """`event:ID`, `survey:ID` or `url:URL` as the button residents get; raises BroadcastError.

    With `now`, an event whose sign-up has closed or a survey that has closed is refused
    (without it, as when sending, what exists is offered and the button says the rest).
    """
    action = (action or "").strip()
    if not action:
        return None
    kind, _, value = action.partition(":")
    kind, value = kind.strip().lower(), value.strip()
    if kind not in ACTION_KINDS or not value:
        raise BroadcastError("action_format", action=action)
    if kind == "url":
        try:
            check_https(value, "action")
        except AnnouncementError as exc:
            raise BroadcastError.of(exc) from None
        label = (link_label or "").strip() or None
        if label is not None and len(label) > LINK_LABEL_MAX:
            raise BroadcastError("link_label_length", max=LINK_LABEL_MAX)
        return ActionCard("url", value, label=label)
    if kind == "event":
        event = get_event(session, value)
        if event is None:
            raise BroadcastError("no_event", id=value)
        if now is not None and not event.open_at(now):
            raise BroadcastError("event_closed", id=value)
        return ActionCard(
            "event",
            event.id,
            title={lang: pick(event.title, lang) for lang in LANGUAGES},
            when={lang: event_when(lang, event.starts_at, event.ends_at, tz) for lang in LANGUAGES},
        )
    survey = get_survey(session, value)
    if survey is None:
        raise BroadcastError("no_survey", id=value)
    if now is not None and survey.closes_at <= now:
        raise BroadcastError("survey_closed", id=value)
    return ActionCard(
        "survey",
        survey.id,
        title={lang: pick(survey.definition["title"], lang) for lang in LANGUAGES},
        when={lang: moment(lang, survey.closes_at, tz) for lang in LANGUAGES},
    )


def prepare(
    session: Session,
    town: Town,
    *,
    text: str,
    segment: str = "",
    topic: str | None = None,
    urgent: bool = False,
    image_url: str | None = None,
    link_url: str | None = None,
    link_label: str | None = None,
    text_en: str | None = None,
    action: str | None = None,
    tz: tzinfo = TOWN_TZ,
    now: datetime | None = None,
) -> Draft:
    """Check everything (segment, topic, action, message limits); raises BroadcastError."""
    segment = " ".join((segment or "").split())
    try:
        segments.conditions(session, town, segment)
    except segments.SegmentError as exc:
        raise BroadcastError("segment", problem=str(exc)) from None
    if topic is not None:
        topic = topic.strip()
        if topic not in town.topics:
            raise BroadcastError("unknown_topic", topic=topic, valid=tuple(town.topics))
    action = (action or "").strip() or None
    card = resolve_action(session, action, tz=tz, now=now, link_label=link_label)
    if card is not None and card.kind == "url" and link_url:
        raise BroadcastError("link_twice")
    draft = Draft(
        text=(text or "").strip(),
        segment=segment,
        topic=topic or None,
        urgent=urgent,
        image_url=image_url or None,
        link_url=link_url or None,
        link_label=(link_label or "").strip() or None,
        text_en=(text_en or "").strip() or None,
        action=action,
        card=card,
    )
    try:
        _ = draft.size
    except AnnouncementError as exc:
        raise BroadcastError.of(exc) from None
    return draft


def draft_of(b: Broadcast, session: Session | None = None, tz: tzinfo = TOWN_TZ) -> Draft:
    """The draft a stored broadcast was made from (its action resolved when a session is
    given; an event or survey deleted since is left out rather than stopping the send)."""
    card = None
    if session is not None and b.action:
        try:
            card = resolve_action(session, b.action, tz=tz, link_label=b.link_label)
        except BroadcastError as exc:
            log.warning("broadcast %s: action left out: %s", b.id, exc.code)
    return Draft(
        b.text,
        b.segment,
        b.topic,
        b.urgent,
        b.image_url,
        b.link_url,
        b.link_label,
        b.text_en,
        b.action,
        card,
    )


def missing_english(session: Session, draft: Draft, town: Town) -> list[str]:
    """What English recipients of this draft would read in Japanese (staff words), or
    nothing when none of its recipients reads English."""
    where = segments.recipients_where(session, town, draft.segment, draft.topic, draft.urgent)
    if not broadcasts_reports.residents_matching(session, where, "en"):
        return []
    out = [] if draft.text_en else [say("announcement_text")]
    card = draft.card
    if card is not None and card.kind == "event":
        event = get_event(session, card.value)
        assert event is not None  # the card was resolved from it
        data = {"kind": "event", "title": event.title, "venue": event.venue}
        out += [say("event_item", item=x) for x in translations.missing_english(data)]
    if card is not None and card.kind == "survey":
        survey = get_survey(session, card.value)
        assert survey is not None  # the card was resolved from it
        if translations.missing_english({"kind": "survey", "title": survey.definition["title"]}):
            out.append(say("survey_title"))
    return out


@dataclass
class DryRun:
    """What a send would cost: recipients, messages and the month's quota."""

    recipients: int
    messages: int  # message objects per recipient
    message_objects: int  # recipients × messages
    cost: int  # counted against the monthly quota: LINE counts each recipient once per request
    quota_type: str | None = None  # none | limited | None when unknown
    quota_limit: int | None = None
    quota_used: int | None = None
    remaining: int | None = None
    exceeds: bool = False
    warning: str | None = None  # for the CLI (the console shows the figures themselves)
    segment: str = ""
    topic: str | None = None
    english_missing: list[str] = field(default_factory=list)  # what lacks a translation

    @property
    def translation_warning(self) -> str | None:
        """「英語の訳がありません: 本文、…」 when English recipients would read Japanese."""
        return translations.sentence(self.english_missing) if self.english_missing else None

    def as_dict(self) -> dict[str, Any]:
        """For JSON (console)."""
        return asdict(self)


def dry_run(
    session: Session,
    gateway: Any,
    text: str,
    segment: str = "",
    *,
    topic: str | None = None,
    urgent: bool = False,
    image_url: str | None = None,
    link_url: str | None = None,
    link_label: str | None = None,
    text_en: str | None = None,
    action: str | None = None,
    tz: tzinfo = TOWN_TZ,
    now: datetime | None = None,
    town: Town | None = None,
) -> DryRun:
    """Count recipients now and compare the cost with LINE's quota (the caller's gateway
    reads it). Sends nothing."""
    town = town or load_town(session)
    draft = prepare(
        session,
        town,
        text=text,
        segment=segment,
        topic=topic,
        urgent=urgent,
        image_url=image_url,
        link_url=link_url,
        link_label=link_label,
        text_en=text_en,
        action=action,
        tz=tz,
        now=now,
    )
    n = segments.count(session, town, draft.segment, draft.topic, draft.urgent)
    size = draft.size
    result = DryRun(n, size, n * size, n, segment=draft.segment, topic=draft.topic)
    result.english_missing = missing_english(session, draft, town)
    try:
        qtype, limit, used = gateway.quota()
    except Exception as exc:  # the dry run still answers; the quota is shown as unknown
        log.warning("quota lookup failed: %s", type(exc).__name__)
        result.warning = t("en", "broadcast_note.quota_unknown")
        return result
    result.quota_type, result.quota_limit, result.quota_used = qtype, limit, used
    if limit is not None:
        result.remaining = max(limit - used, 0)
        if n > result.remaining:
            result.exceeds = True
            result.warning = t(
                "en",
                "broadcast_note.over_quota",
                n=n,
                remaining=result.remaining,
                limit=limit,
                used=used,
            )
    return result
