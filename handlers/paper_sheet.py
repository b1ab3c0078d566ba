"""Paper answers, one sheet: reading and checking a sheet's cells, and keying one in.

`check_sheet` reads the columns `surveys export` writes (plus `回答方法` and `回答コード`)
and checks every value with handlers/survey_rules, the town's age bands and districts, and
the survey's eligibility. A blank cell is an unanswered question: a resident may leave any
question of a paper sheet blank. `enter_sheet` stores one sheet keyed in at the console; a
file of sheets is handlers/paper_answers.py. The column titles are messages/paper_columns.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import survey_channels as channels
from db import surveys as store
from handlers import invitations
from handlers import survey_rules as rules
from handlers.survey_export import looks_like_formula
from handlers.town import Town, load_town
from messages.paper import say
from messages.paper_columns import (
    CHANNELS,
    COMMUTE_TYPED,
    DAY,
    FIELDS,
    LIST_JOIN,
    PAPER,
    RESIDENCY_LABELS,
    SPLIT,
)

__all__ = ["CHANNELS", "FIELDS", "RESIDENCY_LABELS", "SPLIT", "load_town"]

TITLES = {key: title for title, key in FIELDS.items()}
RESIDENCY_TYPED = {
    **{rules.norm(label): key for key, label in RESIDENCY_LABELS.items()},
    rules.norm(COMMUTE_TYPED): "commuter",
    **{key: key for key in RESIDENCY_LABELS},
}
QUESTION = re.compile(r"Q(\d+)(?:[\s:.]|$)")
SHEET_MAX = 32
MEMO_MAX = 20_000  # distinct choice cells remembered (choice combinations repeat)
# (question id, cells) → (values, reason); ("town", kind, text) → the town file's value
Memo = dict[tuple[object, ...], Any]


@dataclass(frozen=True)
class Ctx:
    """What checking a sheet needs: the survey, the town's lists, today in the town."""

    survey: store.Survey
    titles: dict[str, str]
    town: Town
    now: datetime
    tz: ZoneInfo
    memo: Memo = field(default_factory=dict)  # (question, cells) → parsed, for choices only

    @property
    def today(self) -> date:
        """Today in the town's time zone."""
        return self.now.astimezone(self.tz).date()


def context(session: Session, survey: store.Survey, now: datetime, tz: ZoneInfo) -> Ctx:
    """The checking context for a survey at this moment."""
    town = load_town(session)
    titles = {q["id"]: f"Q{n} {q['text']['ja']}" for n, q in enumerate(survey.questions, 1)}
    return Ctx(survey, titles, town, now, tz)


@dataclass
class Sheet:
    """One checked paper sheet, ready to store."""

    sheet_no: str
    channel: str
    code: str | None
    day: date
    profile: dict[str, str]
    answers: dict[str, Any]


def cell_text(value: object) -> str:
    """A cell as text: numbers without `.0`, an export's formula guard (') removed, trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.startswith("'") and text[1:2] and looks_like_formula(text[1:]):
        text = text[1:]
    return text


def sheet_number(value: object) -> tuple[str | None, str | None]:
    """(the sheet number, None) or (None, the problem)."""
    text = unicodedata.normalize("NFKC", cell_text(value))
    if not text:
        return None, say("sheet_required")
    if len(text) > SHEET_MAX or not text.isprintable():
        return None, say("sheet_bad")
    return text, None


def _day(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    found = DAY.fullmatch(unicodedata.normalize("NFKC", cell_text(value)))
    if not found:
        return None
    try:
        return date(*map(int, found.groups()))
    except ValueError:
        return None


def _answer(
    q: Mapping[str, Any], value: object, memo: Memo | None = None
) -> tuple[list[Any] | None, str | None]:
    """Values for a question from a list (a form) or one cell (a file); (None, None) if blank."""
    if isinstance(value, list | tuple):
        given = [cell_text(v) for v in value if cell_text(v)]
    else:
        text = cell_text(value)
        given = [text] if text else []
    if not given:
        return None, None
    return _parsed(q, tuple(given), memo)


def _parsed(
    q: Mapping[str, Any], given: tuple[str, ...], memo: Memo | None
) -> tuple[list[Any] | None, str | None]:
    key = (q["id"], given)
    if memo is not None and q["type"] != "text" and key in memo:
        parsed: tuple[list[Any] | None, str | None] = memo[key]
        return parsed
    values, reason = rules.parse(q, list(given))
    if reason == "unknown_choice" and len(given) == 1 and q["type"] in rules.CHOICE_TYPES:
        parts = [p for p in SPLIT.split(given[0]) if p.strip()]
        if len(parts) > 1:
            values, reason = rules.parse(q, parts)
    if reason == "required":  # only control characters
        values = reason = None
    if memo is not None and q["type"] != "text" and len(memo) < MEMO_MAX:
        memo[key] = (values, reason)
    return values, reason


def _reason(q: Mapping[str, Any], reason: str, value: object) -> str:
    if reason == "unknown_choice":
        labels = [c["label"]["ja"] for c in q["choices"]]
        known = {rules.norm(v) for c in q["choices"] for v in (c["value"], *c["label"].values())}
        texts = value if isinstance(value, list | tuple) else SPLIT.split(cell_text(value))
        bad = next((t for t in map(cell_text, texts) if t and rules.norm(t) not in known), "")
        return say("unknown_choice", value=bad or cell_text(value), choices=LIST_JOIN.join(labels))
    if reason == "too_many":
        return say("too_many", max=q["max_choices"])
    if reason == "out_of_range":
        return say("out_of_range", min=q["min"], max=q["max"])
    if reason == "too_long":
        text = rules.clean_text(cell_text(value) if not isinstance(value, list) else value[0])
        return say("too_long", max=q["max_length"], length=len(text))
    return say("one_only")


def check_sheet(ctx: Ctx, raw: dict[str, object]) -> tuple[Sheet | None, dict[str, str]]:
    """Check one sheet: raw maps field names (FIELDS values) and question ids to cells.

    Returns (the sheet, {}) or (None, {field or question id: problem}); `_row` is the whole row.
    """
    problems: dict[str, str] = {}
    sheet_no, problem = sheet_number(raw.get("sheet"))
    if problem:
        problems["sheet"] = problem
    channel: str | None = "paper"
    if cell_text(raw.get("channel")):
        channel = CHANNELS.get(rules.norm(cell_text(raw["channel"])).lower())
        if channel is None:
            problems["channel"] = say("channel_bad")
    code = None
    if cell_text(raw.get("code")):
        code = invitations.normalize(cell_text(raw["code"]))
        if code is None:
            problems["code"] = say("code_malformed")
    day: date | None = ctx.today
    if cell_text(raw.get("day")):
        day = _day(raw["day"])
        if day is None:
            problems["day"] = say("date_bad")
        elif day > ctx.today:
            problems["day"] = say("date_future")
    if cell_text(raw.get("resident_id")):
        problems["resident_id"] = say("resident_id")
    profile = _profile(ctx, raw, problems)
    answers: dict[str, list[Any]] = {}
    for q in ctx.survey.questions:
        values, reason = _answer(q, raw.get(q["id"]), ctx.memo)
        if reason:
            problems[q["id"]] = _reason(q, reason, raw.get(q["id"]))
        elif values is not None:
            answers[q["id"]] = values
    for q in ctx.survey.questions:
        if q["id"] in answers and not rules.visible(q, answers):
            ref = next(iter(q["show_if"]))
            problems[q["id"]] = say("hidden", ref=ctx.titles[ref].split(" ", 1)[0])
    if not answers and not problems:
        problems["_row"] = say("empty_sheet")
    if problems:
        return None, problems
    kept = rules.kept_answers(ctx.survey.questions, answers)
    assert sheet_no is not None and channel is not None and day is not None  # else a problem
    return Sheet(sheet_no, channel, code, day, profile, kept), {}


def _find(ctx: Ctx, kind: str, text: str) -> str | None:
    key = ("town", kind, text)
    if key not in ctx.memo:
        if len(ctx.memo) >= MEMO_MAX:
            return ctx.town.find(kind, text)
        ctx.memo[key] = ctx.town.find(kind, text)
    found: str | None = ctx.memo[key]
    return found


def _profile(ctx: Ctx, raw: dict[str, object], problems: dict[str, str]) -> dict[str, str]:
    profile: dict[str, str] = {}
    if text := cell_text(raw.get("age_band")):
        band = _find(ctx, "age_band", text)  # Japanese or the town file's English
        if band is None:
            problems["age_band"] = say("age_band_bad", choices=LIST_JOIN.join(ctx.town.age_bands))
        else:
            profile["age_band"] = band
    if text := cell_text(raw.get("district")):
        district = _find(ctx, "district", text)
        if district is None:
            key = "district_bad" if ctx.town.districts else "district_none"
            problems["district"] = say(key, value=text, choices=LIST_JOIN.join(ctx.town.districts))
        else:
            profile["district"] = district
    if text := cell_text(raw.get("residency")):
        residency = RESIDENCY_TYPED.get(rules.norm(text))
        if residency is None:
            problems["residency"] = say(
                "residency_bad", choices=LIST_JOIN.join(RESIDENCY_LABELS.values())
            )
        else:
            profile["residency"] = residency
    definition = ctx.survey.definition
    why = rules.ineligible_reason(definition, profile)
    eligibility = definition.get("eligibility") or {}
    if why == "age":
        problems["age_band"] = say("ineligible_age", min_age=eligibility["min_age"])
    elif why == "residency":
        allowed = LIST_JOIN.join(RESIDENCY_LABELS.get(r, r) for r in eligibility["residency"])
        problems["residency"] = say("ineligible_residency", allowed=allowed)
    return profile


def moment_of(ctx: Ctx, day: date) -> datetime:
    """When a sheet counts as answered: now for today, else noon of its day (town time)."""
    if day == ctx.today:
        return ctx.now
    return datetime.combine(day, time(12), ctx.tz)


# --- one sheet at the console -------------------------------------------------------------


def enter_sheet(
    session: Session, ctx: Ctx, raw: dict[str, object]
) -> tuple[Sheet | None, dict[str, str]]:
    """Check and store one sheet keyed in at the console (channel paper, no resident)."""
    sheet, problems = check_sheet(ctx, {**raw, "channel": PAPER})
    if sheet is None:
        return None, problems
    if channels.entered_sheets(session, ctx.survey.id, [sheet.sheet_no]):
        return None, {"sheet": say("sheet_entered", sheet=sheet.sheet_no)}
    if sheet.code:
        status = invitations.status(session, ctx.survey.id, sheet.code)
        if status != "ok":
            return None, {"code": say(f"code_{status}")}
        invitations.use(session, ctx.survey.id, sheet.code)
    store.write_response(
        session,
        ctx.survey,
        sheet.answers,
        sheet.profile,
        moment_of(ctx, sheet.day),
        str(ctx.tz),
        channel="paper",
    )
    channels.mark_sheets(session, ctx.survey.id, [sheet.sheet_no])
    return sheet, {}


def next_sheet_number(session: Session, survey_id: str) -> str:
    """One more than the highest numeric sheet number entered (1 for the first)."""
    numbers = session.scalars(
        select(channels.PaperSheet.sheet_no).where(channels.PaperSheet.survey_id == survey_id)
    )
    highest = max((int(n) for n in numbers if n.isdecimal() and len(n) < 10), default=0)
    return str(highest + 1)


def paper_total(session: Session, survey_id: str) -> int:
    """Responses of the survey that came on paper (anonymous ones still pooled included)."""
    from db.anonymous_pool import PendingAnswer

    written = session.scalar(
        select(func.count())
        .select_from(store.SurveyResponse)
        .where(store.SurveyResponse.survey_id == survey_id, store.SurveyResponse.channel == "paper")
    )
    pooled = session.scalar(
        select(func.count())
        .select_from(PendingAnswer)
        .where(PendingAnswer.survey_id == survey_id, PendingAnswer.channel == "paper")
    )
    assert written is not None and pooled is not None  # a count always has its row
    return written + pooled
