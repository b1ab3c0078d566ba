"""The weekly digest's numbers: friends, opinions, surveys, events, announcements, quota.

`build()` takes a session and a period and returns a Digest of sections; each section is
made by a function registered with `@section(key, order)`. Sections for surveys, events and
announcements call those areas' own query functions; when an area is not installed the
section says so. Counting happens in SQL; this module only arranges the results.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Resident, WebhookEvent
from db.staff import Staff
from db.surveys import respondent_groups
from handlers import population, privacy
from handlers.town import Town

log = logging.getLogger(__name__)
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAYS_JA = "月火水木金土日"
DEFAULT_SCHEDULE = {"day_of_week": "mon", "hour": 9, "minute": 0, "emails": []}


# --- when ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """When the digest goes out (town time) and to which addresses."""

    day_of_week: str = "mon"
    hour: int = 9
    minute: int = 0
    emails: tuple[str, ...] = ()

    def cron(self) -> dict:
        """APScheduler cron trigger arguments."""
        return {"day_of_week": self.day_of_week, "hour": self.hour, "minute": self.minute}

    def label(self) -> str:
        """e.g. 毎週月曜 09:00."""
        return (
            f"毎週{WEEKDAYS_JA[DAYS.index(self.day_of_week)]}曜 {self.hour:02d}:{self.minute:02d}"
        )

    def latest(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The most recent scheduled moment at or before now."""
        local = now.astimezone(tz)
        back = (local.weekday() - DAYS.index(self.day_of_week)) % 7
        day = local.date() - timedelta(days=back)
        at = datetime.combine(day, time(self.hour, self.minute), tzinfo=tz)
        if at > local:
            at = datetime.combine(day - timedelta(days=7), time(self.hour, self.minute), tzinfo=tz)
        return at


def schedule(session: Session, default_emails: tuple[str, ...] = ()) -> Schedule:
    """The schedule staff set (app_settings "digest"), DIGEST_EMAILS when no addresses set."""
    from handlers.staff import digest_settings

    value = {**DEFAULT_SCHEDULE, **digest_settings(session)}
    day = str(value.get("day_of_week", "mon")).lower()
    emails = tuple(value.get("emails") or ()) or tuple(default_emails)
    return Schedule(
        day_of_week=day if day in DAYS else "mon",
        hour=int(value.get("hour", 9)),
        minute=int(value.get("minute", 0)),
        emails=emails,
    )


def recipients(session: Session, sched: Schedule) -> list[str]:
    """Addresses from the schedule plus active staff who asked for the digest by e-mail."""
    staff = session.scalars(
        select(Staff.email).where(Staff.active.is_(True), Staff.digest_email.is_(True))
    )
    out: list[str] = []
    for email in [*sched.emails, *staff]:
        if email and email.lower() not in {e.lower() for e in out}:
            out.append(email)
    return out


@dataclass(frozen=True)
class Period:
    """Seven whole days in the town's time zone: [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, day: date, tz: ZoneInfo) -> Period:
        """The seven days before `day` (the day of the digest)."""
        end = datetime.combine(day, time(0), tzinfo=tz)
        start = datetime.combine(day - timedelta(days=7), time(0), tzinfo=tz)
        return cls(start, end)

    @classmethod
    def before(cls, moment: datetime, tz: ZoneInfo) -> Period:
        """The seven whole days before the day of `moment`."""
        return cls.ending(moment.astimezone(tz).date(), tz)

    @property
    def key(self) -> str:
        """The first day, e.g. 2026-11-24 (names the run in job_runs and retry keys)."""
        return self.start.date().isoformat()

    @property
    def last_day(self) -> date:
        """The last day in the period."""
        return self.end.date() - timedelta(days=1)

    @property
    def label(self) -> str:
        """e.g. 11/24〜11/30."""
        s, e = self.start.date(), self.last_day
        return f"{s.month}/{s.day}〜{e.month}/{e.day}"


# --- what ------------------------------------------------------------------------------


@dataclass
class Table:
    """A small table: headers and rows of text."""

    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """A PNG chart, sent inline in the e-mail under its Content-ID."""

    cid: str
    title: str
    png: bytes


@dataclass
class Section:
    """One part of the digest; `missing` explains why it is empty, `short` goes to LINE."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    missing: str | None = None
    short: str = ""


@dataclass
class Inputs:
    """What every section function receives."""

    session: Session
    period: Period
    now: datetime
    town: Town
    tz: ZoneInfo
    quota: tuple[str, int | None, int] | None = None  # gateway.quota(), None when it failed
    numbers: dict = field(default_factory=dict)  # sections record their figures here


@dataclass
class Digest:
    """The digest for one period: sections in order, and every figure by name."""

    town: str
    period: Period
    generated_at: datetime
    sections: list[Section]
    numbers: dict

    @property
    def charts(self) -> list[Chart]:
        """Every chart, in order."""
        return [c for s in self.sections for c in s.charts]


SectionFn = Callable[[Inputs], Section | list[Section] | None]
SECTIONS: dict[str, tuple[int, SectionFn]] = {}


def section(key: str, order: int) -> Callable[[SectionFn], SectionFn]:
    """Register a section of the digest; a key may be registered once."""

    def deco(fn: SectionFn) -> SectionFn:
        if key in SECTIONS:
            raise ValueError(f"digest section {key!r} is registered twice")
        SECTIONS[key] = (order, fn)
        return fn

    return deco


def build(
    session: Session,
    period: Period,
    now: datetime,
    town: Town,
    tz: ZoneInfo,
    quota: tuple[str, int | None, int] | None = None,
) -> Digest:
    """Every registered section for the period; a failing section says so, the rest go on."""
    inp = Inputs(session, period, now, town, tz, quota)
    sections = []
    for key, (_order, fn) in sorted(SECTIONS.items(), key=lambda kv: kv[1][0]):
        try:
            with session.begin_nested():
                made = fn(inp)
        except Exception:
            log.exception("digest section %s failed", key)
            made = Section(key, key, missing="この項目は集計中にエラーが起きたため省略しました。")
        if isinstance(made, Section):
            sections.append(made)
        elif made:
            sections.extend(made)
    return Digest(town.name, period, now, sections, inp.numbers)


def pct(part: float, whole: float) -> str:
    """A share as 12.3% (— when there is nothing to divide by)."""
    return f"{part / whole * 100:.1f}%" if whole else "—"


def n(value: int | str) -> str:
    """A count with thousands separators (a hidden count, "<5", as it is)."""
    return value if isinstance(value, str) else f"{value:,}"


def in_period(column, period: Period):
    """column within [start, end)."""
    return (column >= period.start) & (column < period.end)


# --- friends ----------------------------------------------------------------------------


@section("friends", 10)
def friends(inp: Inputs) -> Section:
    """Friends gained, blocks, friends now, friends active this week."""
    s, p = inp.session, inp.period
    gained = s.scalar(select(func.count()).where(in_period(Resident.followed_at, p)))
    blocks = s.scalar(
        select(func.count()).where(Resident.blocked.is_(True), in_period(Resident.blocked_at, p))
    )
    total = s.scalar(select(func.count()).where(Resident.blocked.is_(False)))
    active = s.scalar(
        select(func.count(func.distinct(WebhookEvent.line_user_id))).where(
            WebhookEvent.line_user_id.is_not(None),
            WebhookEvent.event_type.in_(("message", "postback", "follow")),
            in_period(WebhookEvent.occurred_at, p),
        )
    )
    profiles = s.scalar(
        select(func.count()).where(
            Resident.blocked.is_(False),
            Resident.consent == "agreed",
            Resident.onboarded_at.is_not(None),
        )
    )
    inp.numbers.update(
        {
            "friends.gained": gained,
            "friends.blocks": blocks,
            "friends.total": total,
            "friends.active": active,
            "friends.profiles": profiles,
        }
    )
    return Section(
        "friends",
        "友だち",
        lines=[
            f"友だち数: {n(total)}人（今週 +{n(gained)}人、ブロック {n(blocks)}人）",
            f"今週やりとりのあった方: {n(active)}人",
            f"プロフィール登録済み: {n(profiles)}人",
        ],
        short=f"友だち {n(total)}人（+{n(gained)} / ブロック {n(blocks)}）",
    )


# --- representativeness ---------------------------------------------------------------------


def coverage_section(
    inp: Inputs, cov: population.Coverage, key: str, title: str, anonymous: bool = False
) -> Section:
    """Rates per age band and district against the population, with charts (an anonymous
    survey's small counts hidden as on the console: handlers/privacy.py)."""
    from handlers import charts  # matplotlib: loaded when a digest is built, not at start

    pop = population.load(inp.session)
    shown = {(r.axis, r.group): r for r in privacy.coverage_view(cov, anonymous)["rows"]}
    rows = [
        [
            "年代" if r.axis == "age" else "地区",
            r.group,
            n(r.population),
            n(shown[(r.axis, r.group)].count),
            pct(r.count, r.population) if shown[(r.axis, r.group)].rate is not None else "—",
        ]
        for r in cov.rows
    ]
    low = cov.under_covered
    inp.numbers[f"{key}.rate"] = round(cov.rate, 4)
    inp.numbers[f"{key}.under_covered"] = [r.group for r in low]
    overall = pct(cov.total_count, cov.total_population)
    lines = [f"全体: {n(cov.total_count)}人 / 人口 {n(cov.total_population)}人（{overall}）"]
    if low:
        names = "、".join(
            f"{r.group}（{pct(r.count, r.population)}）"
            if shown[(r.axis, r.group)].rate is not None
            else r.group
            for r in low
        )
        lines.append(f"参加が少ないグループ: {names}")
        lines.append("→ これらのグループに向けたお知らせやリマインドをご検討ください。")
    else:
        lines.append("参加が特に少ないグループはありません。")
    if cov.unknown:
        lines.append(f"年代・地区が未登録の方: {n(cov.unknown)}人（上の率には含みません）")
    highlight = [r.group for r in low]
    ages = [r for r in cov.rows if r.axis == "age"]
    districts = [r for r in cov.rows if r.axis == "district"]
    note = f"人口: {pop.source or '住民基本台帳'}（{pop.as_of}）" if pop else ""
    made = []
    for axis, group_rows in (("age", ages), ("district", districts)):
        if group_rows:
            label = "年代別" if axis == "age" else "地区別"
            made.append(
                Chart(
                    f"{key}-{axis}@machikoe",
                    f"{title}（{label}）",
                    charts.hbar(
                        f"{title}（{label}）",
                        [
                            r.group
                            + ("" if shown[(r.axis, r.group)].rate is not None else "（非表示）")
                            for r in group_rows
                        ],
                        [shown[(r.axis, r.group)].rate or 0 for r in group_rows],
                        highlight=highlight,
                        note=note,
                    ),
                )
            )
    return Section(
        key,
        title,
        lines=lines,
        tables=[Table(title, ["区分", "グループ", "人口", "人数", "率"], rows)],
        charts=made,
        short=("参加が少ない: " + "、".join(highlight)) if highlight else "",
    )


@section("coverage", 20)
def friend_coverage(inp: Inputs) -> Section:
    """Friends with a profile per age band and district, against the resident register."""
    pop = population.load(inp.session)
    if pop is None:
        return Section(
            "coverage",
            "友だちの構成（代表性）",
            missing="人口データ（kind: population）が未登録のため、代表性は計算できません。",
        )
    cov = population.coverage(
        pop, population.friend_counts(inp.session), inp.town, "friends", skip_bands=()
    )
    return coverage_section(inp, cov, "coverage", "人口に対する友だちの割合")


# --- opinions ---------------------------------------------------------------------------


@section("opinions", 60)
def opinions(inp: Inputs) -> Section | None:
    """Opinions and public comments received this week and in total."""
    from db.opinions import Opinion

    s, p = inp.session, inp.period
    rows = s.execute(
        select(
            Opinion.consultation_id.is_(None),
            func.count(),
            func.count().filter(in_period(Opinion.created_at, p)),
        ).group_by(Opinion.consultation_id.is_(None))
    ).all()
    counts = {bool(is_opinion): (total, week) for is_opinion, total, week in rows}
    op_total, op_week = counts.get(True, (0, 0))
    pc_total, pc_week = counts.get(False, (0, 0))
    inp.numbers.update(
        {
            "opinions.week": op_week,
            "opinions.total": op_total,
            "comments.week": pc_week,
            "comments.total": pc_total,
        }
    )
    lines = [f"ご意見: 今週 {n(op_week)}件（累計 {n(op_total)}件）"]
    if pc_total:
        lines.append(f"パブリックコメント: 今週 {n(pc_week)}件（累計 {n(pc_total)}件）")
    from db.opinions import open_count

    waiting = open_count(s)
    inp.numbers["opinions.open"] = waiting
    lines.append(f"未対応のご意見 {n(waiting)}件")
    short = f"ご意見 今週{n(op_week)}件・未対応{n(waiting)}件"
    return Section("opinions", "ご意見", lines=lines, short=short)


# --- message quota ------------------------------------------------------------------------


@section("quota", 90)
def quota(inp: Inputs) -> Section:
    """Messages used this month against the plan's limit (from LINE)."""
    if inp.quota is None:
        return Section(
            "quota", "メッセージ通数", missing="LINEから今月の通数を取得できませんでした。"
        )
    _kind, limit, used = inp.quota
    inp.numbers.update({"quota.used": used, "quota.limit": limit})
    if limit is None:
        line = f"今月の送信数: {n(used)}通（上限なし）"
    else:
        line = f"今月の送信数: {n(used)}通 / 上限 {n(limit)}通（{pct(used, limit)}）"
    return Section("quota", "メッセージ通数", lines=[line], short=f"送信 {n(used)}通")


# --- surveys (db.surveys, handlers.survey_results) ------------------------------------------

MIN_GROUP_ANSWERS = 5  # a cross-tab group needs this many respondents to be compared
DIFFS = 3
WORDS = 10


def _headline(q: dict) -> str | None:
    """The answer most chose (or the mean of a scale)."""
    if q["type"] == "scale" and q.get("mean") is not None:
        return f"{q['text']}: 平均 {q['mean']}（中央値 {q.get('median')}）"
    choices = [c for c in q.get("choices", []) if c.get("share") is not None]
    if q["type"] in {"single", "multi"} and choices:
        top = max(choices, key=lambda c: c["count"])
        return f"{q['text']}: 「{top['label']}」{top['share']}%"
    return None


def _differences(res: dict, dims: tuple[str, ...]) -> list[tuple[float, str]]:
    """(gap, sentence) for groups whose share of an answer differs most from everyone's."""
    found = []
    questions = {q["id"]: q for q in res["questions"] if q["type"] in {"single", "multi"}}
    for dim in dims:
        for qid, groups in res["crosstabs"].get(dim, {}).items():
            q = questions.get(qid)
            if q is None:
                continue
            overall = {c["value"]: (c["label"], c["share"]) for c in q["choices"]}
            for group, row in groups.items():
                if not group or not isinstance(row["total"], int):
                    continue
                if row["total"] < MIN_GROUP_ANSWERS:
                    continue
                for value, cell in row["cells"].items():
                    label, everyone = overall.get(value, (value, None))
                    if cell["share"] is None or everyone is None:
                        continue
                    gap = cell["share"] - everyone
                    found.append(
                        (
                            abs(gap),
                            f"{group}: 「{label}」{cell['share']}%（全体 {everyone}%、"
                            f"{'+' if gap >= 0 else ''}{gap:.1f}ポイント）— {q['text']}",
                        )
                    )
    return sorted(found, key=lambda x: -x[0])[:DIFFS]


@section("surveys", 30)
def surveys(inp: Inputs) -> Section | list[Section]:
    """Each survey open during the week: responses, completion, results, differences, words."""
    from db.surveys import Survey
    from handlers import charts
    from handlers import survey_results as results

    s, p = inp.session, inp.period
    open_now = list(
        s.scalars(
            select(Survey)
            .where(Survey.opens_at < p.end, Survey.closes_at > p.start)
            .order_by(Survey.closes_at, Survey.id)
        )
    )
    if not open_now:
        return Section("surveys", "アンケート", lines=["この週に受付中のアンケートはありません。"])
    sections = []
    shorts = []
    pop = population.load(s)
    for survey in open_now:
        counts = results.responses_between(s, survey.id, p.start, p.end)
        res = results.survey_results(s, survey.id, top_words=WORDS)
        rate = counts["completion_rate"]
        inp.numbers[f"survey.{survey.id}"] = counts
        # the privacy rule (handlers/privacy.py): small channel counts hidden when anonymous
        week = privacy.hide_small(
            {ch: c["week"] for ch, c in counts["by_channel"].items()}, survey.anonymous
        )
        total = privacy.hide_small(
            {ch: c["total"] for ch, c in counts["by_channel"].items()}, survey.anonymous
        )
        lines = [
            f"今週の回答: {n(counts['finished'])}件（回答開始 {n(counts['started'])}件）",
            f"累計の回答: {n(counts['total'])}件"
            + (f"　完了率: {rate}%（開始した人のうち最後まで回答）" if rate is not None else ""),
            "回答方法別: "
            + "、".join(
                f"{results.CHANNEL_NAMES[ch]} 今週{n(week[ch])}件（累計{n(total[ch])}件）"
                for ch in counts["by_channel"]
            ),
        ]
        if any(isinstance(v, str) for v in (*week.values(), *total.values())):
            lines.append(privacy.NOTE)
        heads = [h for q in res["questions"] if (h := _headline(q))]
        if heads:
            lines.append("主な結果:")
            lines.extend(f"・{h}" for h in heads[:4])
        diffs = _differences(res, ("age_band", "district"))
        inp.numbers[f"survey.{survey.id}.differences"] = [d for _g, d in diffs]
        if diffs:
            lines.append("年代・地区による違いが大きいもの:")
            lines.extend(f"・{d}" for _g, d in diffs)
        for q in res["questions"]:
            if q["type"] == "text" and q.get("words"):
                top = "、".join(f"{w}({c})" for w, c in q["words"][:WORDS])
                lines.append(f"よく使われた言葉（{q['text']}）: {top}")
        made = []
        first = next(
            (q for q in res["questions"] if q["type"] == "single" and q.get("answered")), None
        )
        if first:
            made.append(
                Chart(
                    f"survey-{survey.id}@machikoe",
                    first["text"],
                    charts.hbar(
                        f"{survey.title}: {first['text']}"[:60],
                        [c["label"] for c in first["choices"]],
                        [(c["share"] or 0) / 100 for c in first["choices"]],
                        note=f"回答 {n(first['answered'])}件",
                    ),
                )
            )
        title = f"アンケート「{survey.title}」"
        sections.append(Section(f"survey-{survey.id}", title, lines=lines, charts=made))
        if pop is not None:
            min_age = (survey.definition.get("eligibility") or {}).get("min_age")
            cov = population.coverage(
                pop,
                respondent_groups(s, survey.id),
                inp.town,
                survey.id,
                skip_bands=population.bands_below(inp.town.age_bands, min_age),
            )
            key, title = f"coverage-{survey.id}", f"「{survey.title}」の回答率"
            sections.append(coverage_section(inp, cov, key, title, survey.anonymous))
        shorts.append(f"{survey.title} 今週{n(counts['finished'])}件（累計{n(counts['total'])}）")
    head = Section("surveys", "アンケート", short="、".join(shorts))
    head.lines = [f"受付中のアンケート: {len(open_now)}件"]
    return [head, *sections]


# --- events (db.events) ---------------------------------------------------------------------

MODE_JA = {"onsite": "会場", "online": "オンライン"}
SOON = timedelta(days=14)
MAX_EVENTS = 12


def _text(value) -> str:
    """A stored {ja, en} text (or plain string) in Japanese."""
    return value.get("ja", "") if isinstance(value, dict) else str(value or "")


@section("events", 40)
def events(inp: Inputs) -> Section:
    """Upcoming workshops: sign-ups per mode against capacity, waitlists, cancellations."""
    from db import events as ev

    s, p = inp.session, inp.period
    upcoming = ev.upcoming_events(s, inp.now, limit=MAX_EVENTS)
    new = ev.signups_between(s, p.start, p.end)
    cancelled = ev.cancellations(s, p.start, p.end)
    inp.numbers["events.signups_week"] = sum(new.values())
    inp.numbers["events.cancellations_week"] = sum(cancelled.values())
    if not upcoming:
        return Section(
            "events",
            "ワークショップ・説明会",
            lines=[
                "今後の予定はありません。",
                f"今週の申込 {n(sum(new.values()))}件、キャンセル {n(sum(cancelled.values()))}件",
            ],
        )
    counts = ev.signup_counts(s, [e.id for e in upcoming])
    rows = []
    soon = [e for e in upcoming if e.starts_at < inp.now + SOON]
    by_event = {e.id: e for e in upcoming}
    for c in counts:
        e = by_event[c.event_id]
        when = e.starts_at.astimezone(inp.tz)
        rows.append(
            [
                f"{when.month}月{when.day}日({WEEKDAYS_JA[when.weekday()]}) {when:%H:%M}",
                _text(e.title),
                MODE_JA.get(c.mode, c.mode),
                f"{n(c.confirmed)} / {n(c.capacity)}",
                n(c.waitlisted),
            ]
        )
        inp.numbers[f"event.{c.event_id}.{c.mode}"] = {
            "confirmed": c.confirmed,
            "capacity": c.capacity,
            "waitlisted": c.waitlisted,
        }
    lines = [
        f"今週の申込: {n(sum(new.values()))}件　キャンセル: {n(sum(cancelled.values()))}件",
        f"14日以内の開催: {len(soon)}件",
    ]
    lines.extend(
        f"・{_text(e.title)}（{e.starts_at.astimezone(inp.tz):%m/%d %H:%M}）"
        + (f" 今週の申込 {new[e.id]}件" if e.id in new else "")
        + (f" キャンセル {cancelled[e.id]}件" if e.id in cancelled else "")
        for e in soon
    )
    waiting = sum(c.waitlisted for c in counts)
    if waiting:
        lines.append(f"キャンセル待ち: 合計 {n(waiting)}人")
    return Section(
        "events",
        "ワークショップ・説明会",
        lines=lines,
        tables=[
            Table("申込状況", ["日時", "名称", "参加方法", "申込 / 定員", "キャンセル待ち"], rows)
        ],
        short=f"申込 今週{n(sum(new.values()))}件（14日以内の開催 {len(soon)}件）",
    )


# --- announcements (handlers.broadcast) -------------------------------------------------------


@section("announcements", 50)
def announcements(inp: Inputs) -> Section:
    """Announcements sent this week and recipients they reached."""
    from handlers.broadcast import sent_in_period

    got = sent_in_period(inp.session, inp.period.start, inp.period.end)
    inp.numbers["announcements.sent"] = got["broadcasts"]
    inp.numbers["announcements.delivered"] = got["delivered"]
    return Section(
        "announcements",
        "お知らせ配信",
        lines=[
            f"配信したお知らせ: {n(got['broadcasts'])}件（届けた人数 のべ {n(got['delivered'])}人）"
        ],
        short=f"お知らせ {n(got['broadcasts'])}件",
    )
