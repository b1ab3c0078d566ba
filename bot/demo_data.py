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
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

DEMO_PREFIX = "Ude30" + "0" * 20  # "de30" ≈ demo; 25 characters, then 8 hex digits
SEED = 2026
RESIDENTS = 320
DEMO_SURVEYS = ("resident-2026", "wellbeing-2026")
MARKER = "demo_data"  # app_settings key: what was loaded, and when

AGE_WEIGHTS = {  # LINE friends: fewer children and very old people than the register
    "15歳以下": 2,
    "16〜19歳": 5,
    "20代": 11,
    "30代": 15,
    "40代": 17,
    "50代": 16,
    "60代": 16,
    "70代": 12,
    "80歳以上": 6,
}
DISTRICT_WEIGHTS = {"大谷": 36, "磐梯": 31, "更科": 20, "七ツ森": 13}
YOUNG = {"16〜19歳", "20代", "30代"}
OLD = {"60代", "70代", "80歳以上"}

WISHES = [
    "バスの本数を増やしてほしい。通院の帰りに1時間以上待つことがあります。",
    "冬の除雪を早い時間にお願いしたいです。",
    "子どもが雨の日にも遊べる屋内の場所がほしいです。",
    "若い人が働ける場所が町内にもっとあるとうれしい。",
    "買い物できるお店が近くにほしい。車がないと生活できません。",
    "町の手続きをスマホでできるようにしてほしい。",
    "移住してきた人と地元の人が話せる場があるといいと思います。",
    "空き家を活用して、若い世帯が住めるようにしてほしい。",
    "高齢者の見守りをもっと充実してほしい。",
    "温泉や自然をいかした観光にもっと力を入れてほしい。",
    "防災無線が聞こえにくい地区があります。",
    "診療所の夜間の対応があると安心です。",
    "地区の集会所が古くなっているので直してほしい。",
    "子育て世帯への支援をもっと知らせてほしい。LINEで届くと助かります。",
    "ワークショップに参加してみて、町の計画が身近になりました。",
]
OPINIONS = [
    "駅前の街灯が少なく、夜は暗くて危ないです。増やしていただけないでしょうか。",
    "子育て広場を土曜日も開けてほしいです。平日は仕事で行けません。",
    "デマンドバスの予約を LINE からできるようにしてほしい。",
    "冬の通学路の除雪が遅く、子どもが車道を歩いています。",
    "町の計画のアンケートに答えました。結果がどう使われるのか知りたいです。",
    "図書館の開館時間を夕方まで延ばしてほしい。",
    "空き家バンクの情報をもっと見やすくしてほしいです。",
    "ふるさと納税の使い道を、町民にもわかるように公表してほしい。",
    "地区の防災訓練に若い人が参加しやすい日程にしてほしい。",
    "公園のトイレが古く、子どもが使いたがりません。",
    "移住相談の窓口が土日も開いているとありがたいです。",
    "高齢の母が役場に行くのが大変です。出張窓口があると助かります。",
    "ワークショップをオンラインでも参加できたのがよかったです。次回も続けてください。",
    "町内で働ける場所を増やす取り組みを計画に入れてほしい。",
    "ゴミの分別の案内を英語でもお願いします。",
    "通院のためのタクシー券の対象を広げてほしい。",
    "観光客向けの案内板が古くなっています。",
    "小学校の跡地の使い道について、住民の意見を聞く場がほしいです。",
    "役場のホームページで手続きの書類が探しにくいです。",
    "雪下ろしの手伝いを頼める仕組みがあると安心です。",
    "地域のお祭りを続けられるよう、担い手づくりを応援してほしい。",
    "LINE でのお知らせは便利です。防災の情報も届けてほしい。",
]


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


def _weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 0)
    return start + timedelta(seconds=int(rng.random() * span))


# --- answers ---------------------------------------------------------------------------


def _resident_answers(rng: random.Random, band: str) -> dict[str, list]:
    """Answers to 町民アンケート 2026, a little different by generation."""
    young = band in YOUNG
    livability = _weighted(
        rng,
        {
            "住みやすい": 22 if young else 30,
            "どちらかといえば住みやすい": 36,
            "どちらかといえば住みにくい": 26 if young else 20,
            "住みにくい": 12 if young else 8,
        },
    )
    out: dict[str, list] = {"livability": [livability]}
    if livability in ("どちらかといえば住みにくい", "住みにくい"):
        reasons = {"shops": 5, "jobs": 6 if young else 2, "traffic": 6, "care": 2 if young else 5}
        reasons.update({"snow": 4, "leisure": 5 if young else 1, "other": 1})
        out["hard_reasons"] = _some(rng, reasons, rng.randint(1, 3))
    stay = _weighted(
        rng,
        {
            "ずっと住み続けたい": 25 if young else 55,
            "当分は住み続けたい": 35 if young else 30,
            "町外に移りたい": 22 if young else 5,
            "わからない": 18 if young else 10,
        },
    )
    out["stay"] = [stay]
    if stay == "町外に移りたい":
        leave = {"study_work": 6 if band in ("16〜19歳", "20代") else 1, "jobs": 5, "access": 4}
        leave.update({"family": 3, "housing": 2, "other": 1})
        out["leave_reasons"] = _some(rng, leave, rng.randint(1, 3))
    out["happiness"] = [max(0, min(10, round(rng.gauss(6.4 if young else 6.9, 1.8))))]
    priorities = {
        "子育て支援": 8 if young else 3,
        "医療・福祉": 3 if young else 8,
        "公共交通": 5 if young else 7,
        "雇用・産業": 7 if young else 3,
        "観光・交流": 3,
        "防災": 2 if young else 4,
        "行政のデジタル化": 4 if young else 1,
        "移住・定住": 3,
    }
    out["priorities"] = _some(rng, priorities, 3)
    out["attachment"] = [
        _weighted(
            rng,
            {
                "感じる": 25 if young else 45,
                "どちらかといえば感じる": 40,
                "どちらかといえば感じない": 22 if young else 10,
                "感じない": 13 if young else 5,
            },
        )
    ]
    if rng.random() < 0.3:
        out["wishes"] = [rng.choice(WISHES)]
    return out


def _some(rng: random.Random, weights: Mapping[str, float], k: int) -> list[str]:
    """k different values, drawn by weight, in the question's order."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        pick = _weighted(rng, pool)
        chosen.append(pick)
        pool.pop(pick)
    return [v for v in weights if v in chosen]


def _wellbeing_answers(rng: random.Random, survey, band: str) -> dict[str, list]:
    """Answers to 町民の幸せにかかるアンケート: every question, choices drawn evenly-ish."""
    out: dict[str, list] = {}
    for q in survey.questions:
        if q.get("show_if"):
            continue
        if q["type"] == "scale":
            centre = (q["min"] + q["max"]) * 0.66
            value = round(rng.gauss(centre, (q["max"] - q["min"]) / 6))
            out[q["id"]] = [max(q["min"], min(q["max"], value))]
        elif q["type"] == "single":
            values = [c["value"] for c in q["choices"]]
            weights = {v: len(values) - i + 1 for i, v in enumerate(values)}
            out[q["id"]] = [_weighted(rng, weights)]
        elif q["type"] == "multi":
            each = {c["value"]: 1 for c in q["choices"]}
            out[q["id"]] = _some(rng, each, min(q.get("max_choices") or 3, 3))
    return out


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
    bands = [b for b in AGE_WEIGHTS if b in town.age_bands] or list(town.age_bands)
    districts = [d for d in DISTRICT_WEIGHTS if d in town.districts] or list(town.districts)
    ages = {b: AGE_WEIGHTS.get(b, 5) for b in bands}
    places = {d: DISTRICT_WEIGHTS.get(d, 10) for d in districts}
    done = Loaded()
    people = []
    for n in range(RESIDENTS):
        followed = now - timedelta(days=rng.uniform(0, 60))
        agreed = rng.random() < 0.85
        band, district = _weighted(rng, ages), _weighted(rng, places)
        residency = _weighted(rng, {"resident": 92, "commuter": 5, "outside": 3})
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
            blocked_at=_between(rng, followed, now) if blocked else None,
            created_at=followed,
            last_seen_at=_between(rng, followed, now),
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
                    at = _between(rng, max(window[0], r.followed_at), window[1])
                    store.record_start(session, r.id, resident_survey.id, at)
                continue
            assert r.followed_at is not None  # every demo resident follows
            at = _between(rng, max(window[0], r.followed_at), window[1])
            profile = {"age_band": band, "district": district, "residency": residency}
            answers = _resident_answers(rng, band)
            if store.submit(session, resident_survey, r.id, answers, profile, at, tz) is not None:
                count["line"] = count.get("line", 0) + 1
        for channel, total, older in (("web", 64, False), ("paper", 48, True)):
            paper_ages = {b: w * (3 if older and b in OLD else 1) for b, w in ages.items()}
            paper_ages.pop("15歳以下", None)
            for _ in range(total):
                band, district = _weighted(rng, paper_ages), _weighted(rng, places)
                profile = {"age_band": band, "district": district, "residency": "resident"}
                at = _between(rng, *window)
                answers = _resident_answers(rng, band)
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
            at = _between(rng, max(window[0], r.followed_at), window[1])
            profile = {"age_band": band, "district": district, "residency": residency}
            answers = _wellbeing_answers(rng, wellbeing, band)
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

    statuses = {"open": 5, "in_progress": 3, "done": 2}
    from handlers.opinion import categories

    names = categories(session)
    for i, words in enumerate(OPINIONS):
        r = rng.choice(active)[0]
        status = _weighted(rng, statuses)
        opinion = Opinion(
            resident_id=r.id,
            body=words,
            created_at=now - timedelta(days=(len(OPINIONS) - i) * 2 - rng.uniform(0, 1.5)),
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
    if marker is not None:
        session.delete(marker)
    session.flush()
    session.expunge_all()
    return gone
