"""Demo residents and what they did, for `flask --app wsgi demo`: seeded, reproducible, removable.

A few hundred pretend residents of the demo town (profiles spread like the town's population,
LINE friends a little younger), their answers to the demo surveys by LINE, with web and paper
answers beside them, workshop sign-ups and opinions, so that cross-tabs show numbers and the
digest has something to say. Everything comes from one seeded random generator and the clock:
the same seed at the same time gives the same data.

Demo residents are marked by their LINE user id, which starts with DEMO_PREFIX (no real LINE
id does in practice: LINE ids are random hex). They are loaded only in demo mode (no LINE
channel), and the gateway never sends to them with a real channel (bot/line_gateway.py).
`flask --app wsgi demo --remove` deletes them with everything that refers to them, and the
answers the demo wrote to the demo surveys.

Some demo sign-ups carry a door-list name (`event_signups.door_name`), as a resident who
answered はい to 「LINEの表示名を名簿に載せてもよいですか？」 would have; the rest are blank, as
for those who said いいえ. The demo also holds one workshop that has already taken place
(DEMO_PAST_EVENT, dated before the clock and removed with the demo), with check-ins, so the
"attended" audience of an event report has people in it. The console shows a banner while
the demo data is loaded (`loaded_at`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot import demo_answers as residents

DEMO_PREFIX = "Ude30" + "0" * 20  # "de30" ≈ demo; 25 characters, then 8 hex digits
SEED = 2026
RESIDENTS = 320
DEMO_SURVEYS = ("resident-2026", "wellbeing-2026")
MARKER = "demo_data"  # app_settings key: what was loaded, and when
DEMO_PAST_EVENT = "demo-kickoff"  # the demo's workshop that has already been held
PAST_EVENT_DAYS = 12  # it took place this many days before the clock
DOOR_NAME_SHARE = 0.6  # about this share of demo sign-ups agreed to show their LINE name
ATTENDED_SHARE = 0.75  # about this share of the held workshop's confirmed sign-ups came


@dataclass
class Loaded:
    """What one load or removal did (counts by kind)."""

    residents: int = 0
    responses: dict[str, int] = field(default_factory=dict)  # channel → responses
    signups: int = 0
    opinions: int = 0

    def summary(self) -> str:
        """One line for the CLI."""
        by = ", ".join(f"{k} {v}" for k, v in sorted(self.responses.items()))
        return (
            f"demo residents: {self.residents}, survey answers: {by or '0'}, "
            f"sign-ups: {self.signups}, opinions: {self.opinions}"
        )


def is_demo_user(user_id: str | None) -> bool:
    """Whether a LINE user id belongs to a demo resident."""
    return bool(user_id and user_id.startswith(DEMO_PREFIX))


def demo_user_id(n: int) -> str:
    """The LINE user id of demo resident n."""
    return f"{DEMO_PREFIX}{n:08x}"


# --- load and remove ---------------------------------------------------------------------


def _window(survey, now: datetime, days: int = 28) -> tuple[datetime, datetime] | None:
    start = max(survey.opens_at, now - timedelta(days=days))
    end = min(survey.closes_at - timedelta(minutes=1), now)
    return (start, end) if start < end else None


def load(session: Session, now: datetime, tz: str = "Asia/Tokyo", seed: int = SEED) -> Loaded:
    """Replace the demo data with a fresh, seeded copy (in the caller's transaction)."""
    from db import events as ev
    from db import surveys as store
    from db.models import Resident, ResidentTopic
    from db.opinions import Opinion
    from db.staff import AppSetting
    from handlers import seats
    from handlers.town import load_town

    remove(session)
    rng = random.Random(seed)
    town = load_town(session)
    bands = [b for b in residents.AGE_WEIGHTS if b in town.age_bands] or list(town.age_bands)
    districts = [d for d in residents.DISTRICT_WEIGHTS if d in town.districts] or list(
        town.districts
    )
    ages = {b: residents.AGE_WEIGHTS.get(b, 5) for b in bands}
    places = {d: residents.DISTRICT_WEIGHTS.get(d, 10) for d in districts}
    done = Loaded()
    people = []
    for n in range(RESIDENTS):
        followed = now - timedelta(days=rng.uniform(0, 60))
        agreed = rng.random() < 0.85
        band, district = residents.weighted(rng, ages), residents.weighted(rng, places)
        residency = residents.weighted(rng, {"resident": 92, "commuter": 5, "outside": 3})
        blocked = rng.random() < 0.04
        r = Resident(
            line_user_id=demo_user_id(n),
            language="en" if rng.random() < 0.03 else "ja",
            consent="agreed" if agreed else "declined",
            consented_at=followed + timedelta(minutes=1),
            age_band=band if agreed else None,
            district=district if agreed else None,
            residency=residency if agreed else None,
            onboarded_at=followed + timedelta(minutes=3),
            followed_at=followed,
            blocked=blocked,
            blocked_at=residents.between(rng, followed, now) if blocked else None,
            created_at=followed,
            last_seen_at=residents.between(rng, followed, now),
        )
        session.add(r)
        if agreed:
            for topic in town.topics:
                if rng.random() < 0.6:
                    r.topics.append(ResidentTopic(topic=topic))
        people.append((r, band, district, residency, agreed))
    session.flush()
    done.residents = len(people)

    count = done.responses
    resident_survey = store.get_survey(session, "resident-2026")
    window = resident_survey and _window(resident_survey, now)
    if window:
        assert resident_survey is not None  # a window comes from its survey
        for r, band, district, residency, agreed in people:
            eligible = agreed and residency == "resident" and band != "15歳以下"
            if not eligible or rng.random() > 0.55:
                if eligible and rng.random() < 0.15:  # started in LINE, not finished (yet)
                    assert r.followed_at is not None  # every demo resident follows
                    at = residents.between(rng, max(window[0], r.followed_at), window[1])
                    store.record_start(session, r.id, resident_survey.id, at)
                continue
            assert r.followed_at is not None  # every demo resident follows
            at = residents.between(rng, max(window[0], r.followed_at), window[1])
            profile = {"age_band": band, "district": district, "residency": residency}
            answers = residents.resident_answers(rng, band)
            if store.submit(session, resident_survey, r.id, answers, profile, at, tz) is not None:
                count["line"] = count.get("line", 0) + 1
        for channel, total, older in (("web", 64, False), ("paper", 48, True)):
            paper_ages = {
                b: w * (3 if older and b in residents.OLD else 1) for b, w in ages.items()
            }
            paper_ages.pop("15歳以下", None)
            for _ in range(total):
                band, district = (
                    residents.weighted(rng, paper_ages),
                    residents.weighted(rng, places),
                )
                profile = {"age_band": band, "district": district, "residency": "resident"}
                at = residents.between(rng, *window)
                answers = residents.resident_answers(rng, band)
                store.write_response(
                    session, resident_survey, answers, profile, at, tz, channel=channel
                )
                count[channel] = count.get(channel, 0) + 1
    wellbeing = store.get_survey(session, "wellbeing-2026")
    window = wellbeing and _window(wellbeing, now)
    if window:
        assert wellbeing is not None  # a window comes from its survey
        for r, band, district, residency, agreed in people:
            if not agreed or band == "15歳以下" or rng.random() > 0.35:
                continue
            assert r.followed_at is not None  # every demo resident follows
            at = residents.between(rng, max(window[0], r.followed_at), window[1])
            profile = {"age_band": band, "district": district, "residency": residency}
            answers = residents.wellbeing_answers(rng, wellbeing, band)
            if store.submit(session, wellbeing, r.id, answers, profile, at, tz) is not None:
                count["line"] = count.get("line", 0) + 1
    # anonymous answers wait in the holding pool for their group: write them all now
    store.flush_pending(session, force=True, now=now, tz=tz)

    events = list(session.scalars(select(ev.Event).order_by(ev.Event.starts_at, ev.Event.id)))
    active = [p for p in people if p[4] and not p[0].blocked]
    for event in events:
        modes = list(event.modes)
        for r, *_ in rng.sample(active, min(len(active), rng.randint(8, 26))):
            at = now - timedelta(hours=rng.uniform(1, 24 * 14))
            if not event.open_at(at) or not modes:
                continue
            result = seats.join(session, event.id, r.id, rng.choice(modes), at, waitlist=True)
            if result.status in ("confirmed", "waitlisted"):
                done.signups += 1

    held = [p[0] for p in active]
    done.signups += _held_workshop(session, now, tz, held, random.Random(seed + 1))
    _door_names(session, random.Random(seed + 2))

    statuses = {"open": 5, "in_progress": 3, "done": 2}
    from handlers.opinion import categories

    names = categories(session)
    for i, words in enumerate(residents.OPINIONS):
        r = rng.choice(active)[0]
        status = residents.weighted(rng, statuses)
        opinion = Opinion(
            resident_id=r.id,
            body=words,
            created_at=now
            - timedelta(days=(len(residents.OPINIONS) - i) * 2 - rng.uniform(0, 1.5)),
            status=status,
            category=None if status == "open" else rng.choice(names),
        )
        session.add(opinion)
        session.flush()
        opinion.receipt_no = f"OP-{opinion.id:06d}"
        done.opinions += 1

    marker = session.get(AppSetting, MARKER) or AppSetting(key=MARKER, value={})
    marker.value = {"seed": seed, "loaded_at": now.isoformat(), "residents": done.residents}
    marker.updated_at, marker.updated_by = now, "demo"
    session.add(marker)
    session.flush()
    return done


def _held_workshop(
    session: Session, now: datetime, tz: str, people: list, rng: random.Random
) -> int:
    """The demo's workshop that has already been held: sign-ups before it, check-ins at it.
    Returns how many signed up."""
    from zoneinfo import ZoneInfo

    from db import events as ev
    from handlers import content, seats

    town_time = ZoneInfo(tz)
    day = now.astimezone(town_time) - timedelta(days=PAST_EVENT_DAYS)
    starts = day.replace(hour=14, minute=0, second=0, microsecond=0)  # 14:00 in the town

    def local(at: datetime) -> str:
        return at.astimezone(town_time).isoformat(timespec="seconds")

    data = {  # an event file like content/demo/events-*.yml, applied as `content apply` does
        "kind": "event",
        "id": DEMO_PAST_EVENT,
        "title": {"ja": "総合計画キックオフ集会", "en": "Comprehensive plan kick-off meeting"},
        "starts_at": local(starts),
        "ends_at": local(starts + timedelta(hours=2)),
        "signup_closes_at": local(starts - timedelta(hours=3)),
        "venue": {"ja": "みらい野町役場 大会議室", "en": "Town hall, main meeting room"},
        "format": "onsite",
        "capacity": {"onsite": 60},
        "description": {
            "ja": (
                "総合計画の見直しを始めるにあたって、町の現状とこれからの進め方をお話しし、"
                "意見交換をしました（デモ用のイベントです）。"
            ),
            "en": "How the plan's review will go, and an exchange of views (a demo event).",
        },
    }
    doc = content.Document(path="demo", data=data, lines={})
    problems = content.validate(doc, session)
    assert not problems, problems  # the demo's own event file
    content.apply(session, [doc], actor="demo")
    event = ev.get_event(session, DEMO_PAST_EVENT)
    assert event is not None  # just applied
    codes = []
    for r in rng.sample(people, min(len(people), 34)):
        at = starts - timedelta(hours=rng.uniform(4, 24 * 14))
        result = seats.join(session, event.id, r.id, "onsite", at, waitlist=True)
        if result.status == "confirmed" and result.signup is not None:
            codes.append(result.signup.attendance_code)
    for code in codes:
        if rng.random() < ATTENDED_SHARE:
            seats.checkin(session, event.id, code, starts - timedelta(minutes=rng.uniform(0, 25)))
    return len(codes)


def _door_names(session: Session, rng: random.Random) -> None:
    """Give about DOOR_NAME_SHARE of the demo's active sign-ups a consented door-list name."""
    from db import events as ev
    from db.events_signups import set_door_name
    from db.models import Resident

    demo = Resident.line_user_id.startswith(DEMO_PREFIX, autoescape=True)
    rows = session.scalars(
        select(ev.Signup)
        .join(Resident, Resident.id == ev.Signup.resident_id)
        .where(demo, ev.Signup.status.in_(ev.ACTIVE))
        .order_by(ev.Signup.id)
    )
    for row in rows:
        if rng.random() < DOOR_NAME_SHARE:
            set_door_name(
                row, rng.choice(residents.DISPLAY_NAMES), row.confirmed_at or row.created_at
            )
    session.flush()


def is_loaded(session: Session) -> bool:
    """Whether the demo's residents and answers are loaded (the console's banner)."""
    from db.staff import AppSetting

    return session.get(AppSetting, MARKER) is not None


def remove(session: Session) -> Loaded:
    """Delete every demo resident (and what refers to them) and the demo's survey answers."""
    from db.anonymous_pool import PendingAnswer
    from db.broadcasts import BroadcastDelivery
    from db.models import Conversation, Outbox, Resident, WebhookEvent
    from db.staff import AppSetting
    from db.surveys import SurveyAnswer, SurveyResponse

    demo = Resident.line_user_id.startswith(DEMO_PREFIX, autoescape=True)
    ids = list(session.scalars(select(Resident.id).where(demo)))
    gone = Loaded(residents=len(ids))
    marker = session.get(AppSetting, MARKER)
    if marker is None and not ids:
        return gone
    for channel, n in session.execute(
        select(SurveyResponse.channel, func.count())
        .where(SurveyResponse.survey_id.in_(DEMO_SURVEYS))
        .group_by(SurveyResponse.channel)
    ):
        gone.responses[channel] = n
    # the demo surveys' answers are the demo's: anonymous ones cannot be told apart, by design
    session.execute(delete(SurveyAnswer).where(SurveyAnswer.survey_id.in_(DEMO_SURVEYS)))
    session.execute(delete(PendingAnswer).where(PendingAnswer.survey_id.in_(DEMO_SURVEYS)))
    session.execute(delete(SurveyResponse).where(SurveyResponse.survey_id.in_(DEMO_SURVEYS)))
    if ids:
        session.execute(delete(BroadcastDelivery).where(BroadcastDelivery.resident_id.in_(ids)))
        session.execute(delete(Outbox).where(Outbox.line_user_id.startswith(DEMO_PREFIX)))
        session.execute(
            delete(WebhookEvent).where(WebhookEvent.line_user_id.startswith(DEMO_PREFIX))
        )
        session.execute(delete(Conversation).where(Conversation.resident_id.in_(ids)))
        session.execute(delete(Resident).where(demo))  # cascades: signups, opinions, topics…
    from db.events import Event, Signup
    from db.models import ContentItem

    session.execute(delete(Signup).where(Signup.event_id == DEMO_PAST_EVENT))
    session.execute(delete(Event).where(Event.id == DEMO_PAST_EVENT))
    session.execute(
        delete(ContentItem).where(ContentItem.kind == "event", ContentItem.key == DEMO_PAST_EVENT)
    )
    if marker is not None:
        session.delete(marker)
    session.flush()
    session.expunge_all()
    return gone
