"""Announcements: create, dry run, schedule, and send in multicast batches exactly once.

How exactly-once holds (docs/announcements.md):
- When a broadcast becomes due, its recipients are materialised in one transaction with
  INSERT … SELECT (one row per resident, numbered into batches of ≤500), and one batch row
  per multicast with its retry key `retry_key("broadcast", id, batch_no)`.
- A sender claims batches (`pending` → `sending`, SELECT … FOR UPDATE SKIP LOCKED on
  PostgreSQL; SQLite serialises writers) and commits before any request. Exclusions
  (blocked, stopped topic) are applied when a batch is first claimed, so a retried batch
  repeats exactly the same request.
- A batch left `sending` by a dead sender (its process is gone, or its lease expired) is
  sent again under the same retry key: LINE answers 409 for what it already accepted.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import (
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from db.base import utcnow
from db.broadcasts import STOP_ALL, Broadcast, BroadcastBatch, BroadcastDelivery, NotifyOptOut
from db.events import get_event
from db.models import AuditLog, Resident
from db.outbox import retry_key
from db.surveys import get_survey
from handlers import segments, translations
from handlers.town import Town, load_town
from messages.broadcast import (
    ACTION_KINDS,
    LINK_LABEL_MAX,
    ActionCard,
    AnnouncementError,
    announcement,
    check_https,
)
from messages.catalog import LANGUAGES
from messages.postback import ascii_int
from messages.rsvp import local, moment
from messages.rsvp import when as event_when

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # LINE: multicast takes at most 500 user ids
RATE = 200.0  # LINE: multicast at most 200 requests per second per channel
WORKERS = 8  # concurrent requests, so that round trips do not limit the rate
GROUP = 10  # batches claimed per transaction (fewer claims: measured 1.32 → 1.11 × floor on PG)
LEASE = timedelta(minutes=2)  # a claim older than this is taken over
MAX_ROUNDS = 5  # a batch that failed this many runs (each with the gateway's retries) fails
RETRY_WINDOW = timedelta(hours=23)  # LINE remembers retry keys for 24 hours
DUPLICATE_WINDOW = timedelta(hours=24)
HOST = socket.gethostname()
ACTIVE_OWNERS: set[str] = set()  # senders running in this process


class BroadcastError(ValueError):
    """A broadcast cannot be created or changed; the message says why."""


class State(Protocol):
    """What sending needs from the app state (bot.state.AppState)."""

    sessions: sessionmaker[Session]
    gateway: Any
    settings: Any

    def now(self) -> datetime: ...


# --- drafting --------------------------------------------------------------------------


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

    def messages(self, lang: str) -> list[dict]:
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


TOWN_TZ = ZoneInfo("Asia/Tokyo")


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
        raise BroadcastError(f"--action must be event:ID, survey:ID or url:URL (got {action!r})")
    if kind == "url":
        try:
            check_https(value, "--action url:")
        except AnnouncementError as exc:
            raise BroadcastError(str(exc)) from None
        label = (link_label or "").strip() or None
        if label is not None and len(label) > LINK_LABEL_MAX:
            raise BroadcastError(f"--link-label must be 1 to {LINK_LABEL_MAX} characters")
        return ActionCard("url", value, label=label)
    if kind == "event":
        event = get_event(session, value)
        if event is None:
            raise BroadcastError(f"--action: there is no event {value!r}")
        if now is not None and not event.open_at(now):
            raise BroadcastError(f"--action: sign-up for event {value!r} has closed")
        return ActionCard(
            "event",
            event.id,
            title={lang: local(lang, event.title) for lang in LANGUAGES},
            when={lang: event_when(lang, event.starts_at, event.ends_at, tz) for lang in LANGUAGES},
        )
    survey = get_survey(session, value)
    if survey is None:
        raise BroadcastError(f"--action: there is no survey {value!r}")
    if now is not None and survey.closes_at <= now:
        raise BroadcastError(f"--action: survey {value!r} has closed")
    return ActionCard(
        "survey",
        survey.id,
        title={lang: local(lang, survey.definition["title"]) for lang in LANGUAGES},
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
        raise BroadcastError(f"segment: {exc}") from None
    if topic is not None:
        topic = topic.strip()
        if topic not in town.topics:
            valid = ", ".join(town.topics) or "(no topics in the town file)"
            raise BroadcastError(f"topic {topic!r} is not known; valid topics: {valid}")
    action = (action or "").strip() or None
    card = resolve_action(session, action, tz=tz, now=now, link_label=link_label)
    if card is not None and card.kind == "url" and link_url:
        raise BroadcastError("give the link either as --link or as --action url:, not both")
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
        raise BroadcastError(str(exc)) from None
    return draft


def draft_of(b: Broadcast, session: Session | None = None, tz: tzinfo = TOWN_TZ) -> Draft:
    """The draft a stored broadcast was made from (its action resolved when a session is
    given; an event or survey deleted since is left out rather than stopping the send)."""
    card = None
    if session is not None and b.action:
        try:
            card = resolve_action(session, b.action, tz=tz, link_label=b.link_label)
        except BroadcastError as exc:
            log.warning("broadcast %s: action left out: %s", b.id, exc)
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
    english = session.scalar(
        select(func.count()).select_from(Resident).where(where, Resident.language == "en")
    )
    if not english:
        return []
    out = [] if draft.text_en else [translations.say("announcement_text")]
    card = draft.card
    if card is not None and card.kind == "event":
        event = get_event(session, card.value)
        data = {"kind": "event", "title": event.title, "venue": event.venue}
        out += [translations.say("event_item", item=x) for x in translations.missing_english(data)]
    if card is not None and card.kind == "survey":
        survey = get_survey(session, card.value)
        if translations.missing_english({"kind": "survey", "title": survey.definition["title"]}):
            out.append(translations.say("survey_title"))
    return out


# --- dry run ---------------------------------------------------------------------------


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
    warning: str | None = None
    segment: str = ""
    topic: str | None = None
    english_missing: list[str] = field(default_factory=list)  # what lacks a translation

    @property
    def translation_warning(self) -> str | None:
        """「英語の訳がありません: 本文、…」 when English recipients would read Japanese."""
        return translations.sentence(self.english_missing) if self.english_missing else None

    def as_dict(self) -> dict:
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
    """Count recipients now and compare the cost with LINE's quota. Sends nothing."""
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
        result.warning = "LINE's quota could not be read; the cost could not be checked"
        return result
    result.quota_type, result.quota_limit, result.quota_used = qtype, limit, used
    if limit is not None:
        result.remaining = max(limit - used, 0)
        if n > result.remaining:
            result.exceeds = True
            result.warning = (
                f"this send needs {n} of the monthly quota but only {result.remaining} of "
                f"{limit} remain ({used} used): it would stop part-way (LINE answers 429)"
            )
    return result


# --- creating, cancelling, resuming ---------------------------------------------------------


def audit(session: Session, actor: str, action: str, b: Broadcast, now: datetime, **detail):
    """One audit row about a broadcast."""
    session.add(
        AuditLog(
            at=now, actor=actor[:120], action=action, target=f"broadcast:{b.id}", detail=detail
        )
    )


def find_duplicate(session: Session, draft: Draft, now: datetime) -> Broadcast | None:
    """The same announcement made in the last 24 hours and not cancelled, if any."""
    return session.scalar(
        select(Broadcast)
        .where(
            Broadcast.content_hash == draft.digest,
            Broadcast.created_at >= now - DUPLICATE_WINDOW,
            Broadcast.status != "cancelled",
        )
        .order_by(Broadcast.id.desc())
        .limit(1)
    )


def create_broadcast(
    session: Session,
    *,
    actor: str,
    text: str,
    now: datetime,
    segment: str = "",
    topic: str | None = None,
    urgent: bool = False,
    image_url: str | None = None,
    link_url: str | None = None,
    link_label: str | None = None,
    text_en: str | None = None,
    action: str | None = None,
    tz: tzinfo = TOWN_TZ,
    at: datetime | None = None,
    allow_repeat: bool = False,
    town: Town | None = None,
) -> Broadcast:
    """Store a broadcast to send at `at` (now when None); raises BroadcastError."""
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
    if at is not None and at.tzinfo is None:
        raise BroadcastError("the time must carry an offset, e.g. 2026-11-08T09:00+09:00")
    if not allow_repeat:
        same = find_duplicate(session, draft, now)
        if same is not None:
            raise BroadcastError(
                f"the same announcement is broadcast #{same.id} ({same.status}); "
                f"see `broadcast status {same.id}`, or repeat it on purpose with --again"
            )
    b = Broadcast(
        created_at=now,
        created_by=actor,
        text=draft.text,
        text_en=draft.text_en,
        action=draft.action,
        image_url=draft.image_url,
        link_url=draft.link_url,
        link_label=draft.link_label,
        segment=draft.segment,
        topic=draft.topic,
        urgent=draft.urgent,
        status="scheduled",
        scheduled_at=max(at, now) if at else now,
        messages=draft.size,
        content_hash=draft.digest,
    )
    session.add(b)
    session.flush()
    audit(
        session,
        actor,
        "broadcast.create",
        b,
        now,
        text=draft.text[:200],
        english=draft.text_en is not None,
        button=draft.action,
        segment=draft.segment,
        topic=draft.topic,
        urgent=draft.urgent,
        scheduled_at=b.scheduled_at.isoformat(),
        estimated_recipients=segments.count(
            session, town, draft.segment, draft.topic, draft.urgent
        ),
    )
    return b


def cancel(
    session: Session, broadcast_id: int, actor: str, now: datetime | None = None
) -> Broadcast:
    """Stop a broadcast: nothing more is sent (a batch already in flight completes)."""
    now = now or utcnow()
    b = session.get(Broadcast, broadcast_id, with_for_update=True)
    if b is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    if b.status not in {"scheduled", "sending", "paused"}:
        raise BroadcastError(f"broadcast {broadcast_id} is {b.status}; it cannot be cancelled")
    b.status = "cancelled"
    b.cancelled_by, b.cancelled_at = actor, now
    b.finished_at = now
    dropped = session.execute(
        update(BroadcastBatch)
        .where(BroadcastBatch.broadcast_id == b.id, BroadcastBatch.status == "pending")
        .values(status="cancelled")
    ).rowcount
    audit(session, actor, "broadcast.cancel", b, now, batches_cancelled=dropped)
    return b


def resume(session: Session, broadcast_id: int, actor: str, now: datetime) -> Broadcast:
    """Resume a paused broadcast (after the quota reset, or the refusal was fixed)."""
    b = session.get(Broadcast, broadcast_id, with_for_update=True)
    if b is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    if b.status == "paused":
        # batches LINE refused (4xx, not accepted) are safe to send again
        session.execute(
            update(BroadcastBatch)
            .where(BroadcastBatch.broadcast_id == b.id, BroadcastBatch.status == "failed")
            .values(status="pending", claimed_by=None, attempts=0)
        )
        b.status = "sending" if b.recipients is not None else "scheduled"
        audit(session, actor, "broadcast.resume", b, now, reason=b.pause_reason)
        b.pause_reason = None
    elif b.status not in {"scheduled", "sending"}:
        raise BroadcastError(f"broadcast {broadcast_id} is {b.status}; nothing to resume")
    return b


# --- materialising the audience ----------------------------------------------------------


def _lang_condition(lang: str):
    others = [x for x in LANGUAGES if x != "ja"]
    if lang == "ja":
        return or_(Resident.language.is_(None), Resident.language.not_in(others))
    return Resident.language == lang


def materialise(session: Session, b: Broadcast, town: Town) -> int:
    """Deliveries (INSERT … SELECT, batch numbers in SQL) and batch rows with retry keys."""
    where = segments.recipients_where(session, town, b.segment, b.topic, b.urgent)
    first = 0
    batches: list[dict] = []
    for lang in LANGUAGES:
        rn = func.row_number().over(order_by=Resident.id)
        batch_no = literal(first) + (rn - 1).self_group().op("/")(literal_column(str(BATCH_SIZE)))
        source = select(literal(b.id), Resident.id, batch_no, literal("queued")).where(
            where, _lang_condition(lang)
        )
        session.execute(
            insert(BroadcastDelivery).from_select(
                ["broadcast_id", "resident_id", "batch_no", "status"], source
            )
        )
        rows = session.execute(
            select(BroadcastDelivery.batch_no, func.count())
            .where(BroadcastDelivery.broadcast_id == b.id, BroadcastDelivery.batch_no >= first)
            .group_by(BroadcastDelivery.batch_no)
        ).all()
        for no, size in rows:
            batches.append(
                {
                    "broadcast_id": b.id,
                    "batch_no": no,
                    "lang": lang,
                    "size": size,
                    "retry_key": retry_key("broadcast", b.id, no),
                    "status": "pending",
                    "attempts": 0,
                }
            )
        if rows:
            first = max(no for no, _ in rows) + 1
    if batches:
        session.execute(insert(BroadcastBatch), batches)
    total = sum(x["size"] for x in batches)
    b.recipients = total
    return total


def start_due(state: State, broadcast_id: int, now: datetime) -> bool:
    """A due scheduled broadcast becomes `sending`, its audience materialised (once)."""
    with state.sessions() as s, s.begin():
        claimed = s.execute(
            update(Broadcast)
            .where(
                Broadcast.id == broadcast_id,
                Broadcast.status == "scheduled",
                Broadcast.scheduled_at <= now,
            )
            .values(status="sending", started_at=now)
        ).rowcount
        if not claimed:
            return False
        b = s.get(Broadcast, broadcast_id)
        n = materialise(s, b, load_town(s))
        log.info("broadcast %s: %d recipients materialised", broadcast_id, n)
        return True


# --- sending ----------------------------------------------------------------------------------


class Pacer:
    """At most `rate` requests per second across threads (LINE's multicast limit)."""

    def __init__(self, rate: float = RATE) -> None:
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next = time.monotonic()

    def wait(self) -> None:
        """Block until this caller's slot."""
        with self.lock:
            now = time.monotonic()
            slot = max(now, self.next)
            self.next = slot + self.interval
        if slot > now:
            time.sleep(slot - now)


@dataclass
class Claimed:
    """A batch this sender owns: what to send and how it was before the claim."""

    id: int
    batch_no: int
    lang: str
    key: str
    user_ids: list[str]
    first_attempt_at: datetime | None
    attempts: int


@dataclass
class SendReport:
    """What one sending run did."""

    broadcast_id: int
    status: str = ""
    batches_sent: int = 0
    recipients_sent: int = 0
    duplicates: int = 0
    stopped: str | None = None
    errors: list[str] = field(default_factory=list)


def _owner_dead(owner: str | None) -> bool:
    """True when the sender that claimed a batch is certainly gone (this host only)."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid_text, _, _token = rest.partition(":")
    pid = ascii_int(pid_text)
    if host != HOST or pid is None:
        return False
    if pid == os.getpid():
        return owner not in ACTIVE_OWNERS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _claim(state: State, b_id: int, owner: str, now: datetime, group: int) -> list[Claimed] | None:
    """Take up to `group` batches (None when the broadcast is not sending any more)."""
    with state.sessions() as s, s.begin():
        status = s.scalar(select(Broadcast.status).where(Broadcast.id == b_id))
        if status != "sending":
            return None
        base = select(BroadcastBatch).where(BroadcastBatch.broadcast_id == b_id)
        rows = list(
            s.scalars(
                base.where(BroadcastBatch.status == "pending")
                .order_by(BroadcastBatch.batch_no)
                .limit(group)
                .with_for_update(skip_locked=True)
            )
        )
        if not rows:  # batches of a sender that died or whose lease ran out
            stale = s.scalars(
                base.where(BroadcastBatch.status == "sending")
                .order_by(BroadcastBatch.batch_no)
                .with_for_update(skip_locked=True)
            )
            rows = [
                r
                for r in stale
                if r.claimed_at is None or r.claimed_at < now - LEASE or _owner_dead(r.claimed_by)
            ][:group]
        claimed: list[Claimed] = []
        for r in rows:
            if r.first_attempt_at is not None and r.first_attempt_at < now - RETRY_WINDOW:
                # LINE has forgotten the retry key: sending again could deliver twice
                r.status, r.error, r.claimed_by = "failed", "retry window (24 h) passed", None
                continue
            claimed.append(
                Claimed(r.id, r.batch_no, r.lang, r.retry_key, [], r.first_attempt_at, r.attempts)
            )
        if not claimed:
            return []
        # the rows are locked (FOR UPDATE SKIP LOCKED; SQLite: BEGIN IMMEDIATE): one UPDATE
        s.execute(
            update(BroadcastBatch)
            .where(BroadcastBatch.id.in_([c.id for c in claimed]))
            .values(status="sending", claimed_by=owner, claimed_at=now)
            .execution_options(synchronize_session=False)
        )
        b = s.get(Broadcast, b_id)
        fresh = [c.batch_no for c in claimed if c.first_attempt_at is None]
        if fresh:  # exclusions are decided once, before the first attempt
            in_fresh = and_(
                BroadcastDelivery.broadcast_id == b_id,
                BroadcastDelivery.batch_no.in_(fresh),
                BroadcastDelivery.status == "queued",
            )
            # correlated EXISTS: look up only this batch's residents (by primary key)
            blocked = exists().where(
                Resident.id == BroadcastDelivery.resident_id, Resident.blocked.is_(True)
            )
            s.execute(
                update(BroadcastDelivery)
                .where(in_fresh, blocked)
                .values(status="skipped", reason="blocked")
                .execution_options(synchronize_session=False)
            )
            stopped = [NotifyOptOut.topic == b.topic] if b.topic else []
            if not b.urgent:
                stopped.append(NotifyOptOut.topic == STOP_ALL)
            if stopped:
                opted = exists().where(
                    NotifyOptOut.resident_id == BroadcastDelivery.resident_id, or_(*stopped)
                )
                s.execute(
                    update(BroadcastDelivery)
                    .where(in_fresh, opted)
                    .values(status="skipped", reason="opted_out")
                    .execution_options(synchronize_session=False)
                )
        ids = s.execute(
            select(BroadcastDelivery.batch_no, Resident.line_user_id)
            .join(Resident, Resident.id == BroadcastDelivery.resident_id)
            .where(
                BroadcastDelivery.broadcast_id == b_id,
                BroadcastDelivery.batch_no.in_([c.batch_no for c in claimed]),
                BroadcastDelivery.status == "queued",
            )
            .order_by(BroadcastDelivery.batch_no, BroadcastDelivery.resident_id)
        ).all()
        by_no = {c.batch_no: c for c in claimed}
        for no, uid in ids:
            by_no[no].user_ids.append(uid)
        s.execute(  # one executemany: the recipients and the attempt, per batch
            update(BroadcastBatch),
            [
                {
                    "id": c.id,
                    "recipients": len(c.user_ids),
                    "attempts": c.attempts + 1 if c.user_ids else c.attempts,
                    "first_attempt_at": c.first_attempt_at or (now if c.user_ids else None),
                }
                for c in claimed
            ],
        )
        return claimed


def _finish(
    state: State, b_id: int, results: list[tuple[Claimed, Any]], now: datetime
) -> str | None:
    """Record each batch's outcome; returns why the broadcast paused, if it did."""
    pause = None
    changes: list[dict] = []
    for c, r in results:
        if r == "empty":
            values = {"status": "skipped", "claimed_by": None, "sent_at": now}
        elif r is None:  # not attempted: give it back as it was
            values = {
                "status": "pending",
                "claimed_by": None,
                "attempts": c.attempts,
                "first_attempt_at": c.first_attempt_at,
            }
        elif r.ok:
            values = {
                "status": "sent",
                "claimed_by": None,
                "sent_at": now,
                "request_id": r.request_id,
                "error": None,
            }
        elif r.status == "monthly_limit":
            values = {"status": "pending", "claimed_by": None, "error": "monthly limit"}
            pause = "LINE: the monthly message limit is reached (429); resume when raised"
        elif r.status == "retry_exhausted":
            failed = c.attempts + 1 >= MAX_ROUNDS
            values = {
                "status": "failed" if failed else "pending",
                "claimed_by": None,
                "error": (r.error or "no answer")[:200],
            }
        else:  # LINE refused the request (4xx): nothing was accepted
            values = {"status": "failed", "claimed_by": None, "error": (r.error or "refused")[:200]}
            pause = f"LINE refused the request ({r.error}); fix it, then resume"
        changes.append({"id": c.id, **values})
    by_shape: dict[frozenset, list[dict]] = {}
    for change in changes:
        by_shape.setdefault(frozenset(change), []).append(change)
    with state.sessions() as s, s.begin():
        for rows in by_shape.values():  # one executemany per kind of outcome
            s.execute(update(BroadcastBatch), rows)
        if pause:
            b = s.get(Broadcast, b_id, with_for_update=True)
            if b.status == "sending":
                b.status, b.pause_reason = "paused", pause
                audit(s, "system:dispatch", "broadcast.paused", b, now, reason=pause)
    return pause


def _complete(state: State, b_id: int, now: datetime) -> str:
    """Mark the broadcast done when no batch is left to send; returns its status."""
    with state.sessions() as s, s.begin():
        b = s.get(Broadcast, b_id, with_for_update=True)
        if b.status != "sending":
            return b.status
        left = s.scalar(
            select(func.count())
            .select_from(BroadcastBatch)
            .where(
                BroadcastBatch.broadcast_id == b_id,
                BroadcastBatch.status.in_(("pending", "sending")),
            )
        )
        if left:
            return b.status
        b.status, b.finished_at = "done", now
        st = _counts(s, b_id)
        audit(
            s,
            "system:dispatch",
            "broadcast.done",
            b,
            now,
            segment=b.segment,
            topic=b.topic,
            recipients=b.recipients,
            delivered=st["delivered"],
            skipped=st["skipped"],
            failed=st["failed"],
        )
        return b.status


def send(
    state: State,
    broadcast_id: int,
    *,
    progress: Callable[[int, int], None] | None = None,
    workers: int = WORKERS,
    group: int = GROUP,
    pacer: Pacer | None = None,
) -> SendReport:
    """Send what is left of one broadcast (starting it if due); safe to run anywhere, twice."""
    report = SendReport(broadcast_id)
    start_due(state, broadcast_id, state.now())
    owner = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    pacer = pacer or Pacer()
    stop = threading.Event()
    lock = threading.Lock()
    _ = state.gateway.api  # one client for the process, before the threads share it
    with state.sessions() as s:
        total = s.scalar(
            select(func.count())
            .select_from(BroadcastBatch)
            .where(BroadcastBatch.broadcast_id == broadcast_id)
        )
        done = s.scalar(
            select(func.count())
            .select_from(BroadcastBatch)
            .where(
                BroadcastBatch.broadcast_id == broadcast_id,
                BroadcastBatch.status.not_in(("pending", "sending")),
            )
        )
    counter = {"done": done or 0}
    if progress:
        progress(counter["done"], total or 0)

    def work() -> None:
        while not stop.is_set():
            claimed = _claim(state, broadcast_id, owner, state.now(), group)
            if not claimed:
                return
            results: list[tuple[Claimed, Any]] = []
            for c in claimed:
                if stop.is_set():
                    results.append((c, None))
                    continue
                if not c.user_ids:
                    results.append((c, "empty"))
                    continue
                pacer.wait()
                r = state.gateway.multicast(c.user_ids, draft_messages[c.lang], c.key)
                results.append((c, r))
                if not r.ok:
                    stop.set()  # monthly limit, refusal or LINE down: stop this run
            paused = _finish(state, broadcast_id, results, state.now())
            with lock:
                for c, r in results:
                    if r is not None and r != "empty" and r.ok:
                        report.batches_sent += 1
                        report.recipients_sent += len(c.user_ids)
                        report.duplicates += r.status == "duplicate"
                    elif r is not None and r != "empty":
                        report.errors.append(f"batch {c.batch_no}: {r.status} {r.error or ''}")
                    if r is not None:
                        counter["done"] += 1
                if paused:
                    report.stopped = paused
                if progress:
                    progress(counter["done"], total or 0)

    with state.sessions() as s:
        b = s.get(Broadcast, broadcast_id)
        if b is None:
            raise BroadcastError(f"no broadcast {broadcast_id}")
        draft = draft_of(b, s, state.settings.tz)
    draft_messages = {lang: draft.messages(lang) for lang in LANGUAGES}
    ACTIVE_OWNERS.add(owner)
    try:
        threads = [
            threading.Thread(target=work, name=f"broadcast-{broadcast_id}-{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    finally:
        ACTIVE_OWNERS.discard(owner)
    report.status = _complete(state, broadcast_id, state.now())
    if report.status == "sending" and report.errors and not report.stopped:
        report.stopped = "LINE did not answer; the dispatch job will try again"
    return report


def send_due(state: State, now: datetime | None = None, **options) -> int:
    """Send every broadcast that is due or was interrupted; returns batches sent."""
    now = now or state.now()
    with state.sessions() as s:
        ids = list(
            s.scalars(
                select(Broadcast.id)
                .where(
                    or_(
                        and_(Broadcast.status == "scheduled", Broadcast.scheduled_at <= now),
                        Broadcast.status == "sending",
                    )
                )
                .order_by(Broadcast.scheduled_at, Broadcast.id)
            )
        )
    sent = 0
    for b_id in ids:
        sent += send(state, b_id, **options).batches_sent
    return sent


# --- reading ----------------------------------------------------------------------------


def _counts(session: Session, b_id: int) -> dict:
    batches = session.execute(
        select(
            BroadcastBatch.status,
            func.count(),
            func.coalesce(func.sum(BroadcastBatch.recipients), 0),
            func.coalesce(func.sum(BroadcastBatch.size), 0),
        )
        .where(BroadcastBatch.broadcast_id == b_id)
        .group_by(BroadcastBatch.status)
    ).all()
    by = {status: (n, int(rec), int(size)) for status, n, rec, size in batches}
    skipped = dict(
        session.execute(
            select(BroadcastDelivery.reason, func.count())
            .where(BroadcastDelivery.broadcast_id == b_id, BroadcastDelivery.status == "skipped")
            .group_by(BroadcastDelivery.reason)
        ).all()
    )
    return {
        "batches": {status: n for status, (n, _, _) in by.items()},
        "batches_total": sum(n for n, _, _ in by.values()),
        "delivered": by.get("sent", (0, 0, 0))[1],
        "failed": by.get("failed", (0, 0, 0))[1],
        "skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
    }


def broadcast_status(session: Session, broadcast_id: int) -> dict | None:
    """Progress of one broadcast: status, batches, delivered, skipped, failed."""
    b = session.get(Broadcast, broadcast_id)
    if b is None:
        return None
    counts = _counts(session, b.id)
    total = counts["batches_total"]
    finished = total - counts["batches"].get("pending", 0) - counts["batches"].get("sending", 0)
    return {
        "id": b.id,
        "status": b.status,
        "created_by": b.created_by,
        "created_at": b.created_at,
        "scheduled_at": b.scheduled_at,
        "started_at": b.started_at,
        "finished_at": b.finished_at,
        "segment": b.segment,
        "topic": b.topic,
        "urgent": b.urgent,
        "text": b.text,
        "text_en": b.text_en,
        "action": b.action,
        "messages": b.messages,
        "recipients": b.recipients,
        "pause_reason": b.pause_reason,
        "progress": (finished / total) if total else (1.0 if b.status == "done" else 0.0),
        **counts,
    }


def list_broadcasts(session: Session, limit: int = 50) -> list[dict]:
    """Newest broadcasts with their delivery counts (one grouped query)."""
    sent = (
        select(
            BroadcastBatch.broadcast_id.label("bid"),
            func.sum(
                case((BroadcastBatch.status == "sent", BroadcastBatch.recipients), else_=0)
            ).label("delivered"),
            func.sum(case((BroadcastBatch.status == "failed", BroadcastBatch.size), else_=0)).label(
                "failed"
            ),
        )
        .group_by(BroadcastBatch.broadcast_id)
        .subquery()
    )
    rows = session.execute(
        select(Broadcast, sent.c.delivered, sent.c.failed)
        .outerjoin(sent, sent.c.bid == Broadcast.id)
        .order_by(Broadcast.id.desc())
        .limit(limit)
    ).all()
    return [
        {
            "id": b.id,
            "status": b.status,
            "created_by": b.created_by,
            "scheduled_at": b.scheduled_at,
            "finished_at": b.finished_at,
            "segment": b.segment,
            "topic": b.topic,
            "text": b.text,
            "recipients": b.recipients,
            "delivered": int(delivered or 0),
            "failed": int(failed or 0),
            "pause_reason": b.pause_reason,
        }
        for b, delivered, failed in rows
    ]


def sent_in_period(session: Session, start: datetime, end: datetime) -> dict:
    """Broadcasts sent in [start, end): how many, and recipients delivered (for the digest)."""
    row = session.execute(
        select(
            func.count(func.distinct(BroadcastBatch.broadcast_id)),
            func.coalesce(func.sum(BroadcastBatch.recipients), 0),
        ).where(
            BroadcastBatch.status == "sent",
            BroadcastBatch.sent_at >= start,
            BroadcastBatch.sent_at < end,
        )
    ).one()
    return {"broadcasts": int(row[0]), "delivered": int(row[1])}
