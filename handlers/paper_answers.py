"""Paper answers: one sheet keyed in at the console, or a file of sheets imported at once.

Both go through `check_sheet`, which reads the columns `surveys export` writes (plus
`回答方法` and `回答コード`) and checks every value with handlers/survey_rules, the town's age
bands and districts, and the survey's eligibility. A file is all or nothing: it is streamed
row by row, each batch checked against what is stored (sheet numbers already entered,
invitation codes) and written with multi-row INSERTs while no problem has been found; the
first problem stops the writing, every later row is still checked, and `Refused` makes the
caller's transaction roll back. Memory holds one batch plus the file's sheet numbers and codes
(to find repeats within the file). A blank cell is an unanswered question: a resident may
leave any question of a paper sheet blank.
"""

from __future__ import annotations

import codecs
import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import survey_channels as channels
from db import surveys as store
from handlers import invitations
from handlers import survey_rules as rules
from handlers.privacy import HIDDEN
from handlers.survey_export import ONE_HOT, looks_like_formula
from handlers.town import Town, load_town
from messages.paper import say

FIELDS = {
    "回答番号": "sheet",
    "回答日": "day",
    "回答方法": "channel",
    "回答コード": "code",
    "住民ID": "resident_id",
    "年代": "age_band",
    "地区": "district",
    "かかわり": "residency",
}
TITLES = {key: title for title, key in FIELDS.items()}
CHANNELS = {"line": "line", "web": "web", "紙": "paper", "paper": "paper"}
CHANNEL_NAMES = {"line": "LINE", "web": "Web", "paper": "紙"}
RESIDENCY_LABELS = {"resident": "町内在住", "commuter": "町内に通勤・通学", "outside": "町外在住"}
RESIDENCY_TYPED = {
    **{rules.norm(label): key for key, label in RESIDENCY_LABELS.items()},
    rules.norm("通勤・通学"): "commuter",
    **{key: key for key in RESIDENCY_LABELS},
}
DERIVED = "_derived"  # a column the export adds for reading (0/1 per choice)
SPLIT = re.compile(r"[、，,\n]")
DAY = re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T].*)?")
QUESTION = re.compile(r"Q(\d+)(?:[\s:.]|$)")
SHEET_MAX = 32
BATCH = 1000
MAX_PROBLEMS = 200
MEMO_MAX = 20_000  # distinct choice cells remembered (choice combinations repeat)


@dataclass(frozen=True)
class Ctx:
    """What checking a sheet needs: the survey, the town's lists, today in the town."""

    survey: store.Survey
    titles: dict[str, str]
    town: Town
    now: datetime
    tz: ZoneInfo
    memo: dict = field(default_factory=dict)  # (question, cells) → parsed, for choices only

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
    profile: dict
    answers: dict


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


def _answer(q: dict, value: object, memo: dict | None = None) -> tuple[list | None, str | None]:
    """Values for a question from a list (a form) or one cell (a file); (None, None) if blank."""
    if isinstance(value, list | tuple):
        given = [cell_text(v) for v in value if cell_text(v)]
    else:
        text = cell_text(value)
        given = [text] if text else []
    if not given:
        return None, None
    return _parsed(q, tuple(given), memo)


def _parsed(q: dict, given: tuple[str, ...], memo: dict | None) -> tuple[list | None, str | None]:
    key = (q["id"], given)
    if memo is not None and q["type"] != "text" and key in memo:
        return memo[key]
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


def _reason(q: dict, reason: str, value: object) -> str:
    if reason == "unknown_choice":
        labels = [c["label"]["ja"] for c in q["choices"]]
        known = {rules.norm(v) for c in q["choices"] for v in (c["value"], *c["label"].values())}
        texts = value if isinstance(value, list | tuple) else SPLIT.split(cell_text(value))
        bad = next((t for t in map(cell_text, texts) if t and rules.norm(t) not in known), "")
        return say("unknown_choice", value=bad or cell_text(value), choices="・".join(labels))
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
    channel = "paper"
    if cell_text(raw.get("channel")):
        channel = CHANNELS.get(rules.norm(cell_text(raw["channel"])).lower())
        if channel is None:
            problems["channel"] = say("channel_bad")
    code = None
    if cell_text(raw.get("code")):
        code = invitations.normalize(cell_text(raw["code"]))
        if code is None:
            problems["code"] = say("code_malformed")
    day = ctx.today
    if cell_text(raw.get("day")):
        day = _day(raw["day"])
        if day is None:
            problems["day"] = say("date_bad")
        elif day > ctx.today:
            problems["day"] = say("date_future")
    if cell_text(raw.get("resident_id")):
        problems["resident_id"] = say("resident_id")
    profile = _profile(ctx, raw, problems)
    answers: dict[str, list] = {}
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
    return Sheet(sheet_no, channel, code, day, profile, kept), {}


def _find(ctx: Ctx, kind: str, text: str) -> str | None:
    key = ("town", kind, text)
    if key not in ctx.memo:
        if len(ctx.memo) >= MEMO_MAX:
            return ctx.town.find(kind, text)
        ctx.memo[key] = ctx.town.find(kind, text)
    return ctx.memo[key]


def _profile(ctx: Ctx, raw: dict[str, object], problems: dict[str, str]) -> dict:
    profile: dict[str, str] = {}
    if text := cell_text(raw.get("age_band")):
        band = _find(ctx, "age_band", text)  # Japanese or the town file's English
        if band is None:
            problems["age_band"] = say("age_band_bad", choices="・".join(ctx.town.age_bands))
        else:
            profile["age_band"] = band
    if text := cell_text(raw.get("district")):
        district = _find(ctx, "district", text)
        if district is None:
            key = "district_bad" if ctx.town.districts else "district_none"
            problems["district"] = say(key, value=text, choices="・".join(ctx.town.districts))
        else:
            profile["district"] = district
    if text := cell_text(raw.get("residency")):
        residency = RESIDENCY_TYPED.get(rules.norm(text))
        if residency is None:
            problems["residency"] = say(
                "residency_bad", choices="・".join(RESIDENCY_LABELS.values())
            )
        else:
            profile["residency"] = residency
    definition = ctx.survey.definition
    why = rules.ineligible_reason(definition, profile)
    eligibility = definition.get("eligibility") or {}
    if why == "age":
        problems["age_band"] = say("ineligible_age", min_age=eligibility["min_age"])
    elif why == "residency":
        allowed = "・".join(RESIDENCY_LABELS.get(r, r) for r in eligibility["residency"])
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
    sheet, problems = check_sheet(ctx, {**raw, "channel": "紙"})
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
    return written + pooled


# --- reading files --------------------------------------------------------------------------


class FileProblem(ValueError):
    """The file cannot be read as a sheet of answers."""


def _encoding(path: Path) -> str:
    for name in ("utf-8-sig", "cp932"):
        decoder = codecs.getincrementaldecoder(name)()
        try:
            with path.open("rb") as f:
                while chunk := f.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return name
        except UnicodeDecodeError:
            continue
    raise FileProblem(say("encoding"))


def _csv_rows(path: Path) -> Iterator[list]:
    with path.open(encoding=_encoding(path), newline="") as f:
        yield from csv.reader(f)


def _xlsx_rows(path: Path) -> Iterator[list]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a broken zip or workbook: say so, whatever the library raised
        raise FileProblem(say("file_unreadable", detail=type(exc).__name__)) from exc
    try:
        ws = wb["回答"] if "回答" in wb.sheetnames else wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield list(row)
    finally:
        wb.close()


def rows_of(path: Path) -> Iterator[list]:
    """The rows of an .xlsx (sheet 回答, or the first) or a CSV file, streamed."""
    with path.open("rb") as f:
        head = f.read(4)
    if not head:
        raise FileProblem(say("file_empty"))
    if head.startswith(b"PK"):
        return _xlsx_rows(path)
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        raise FileProblem(say("file_kind"))
    return _csv_rows(path)


# --- importing a file -----------------------------------------------------------------------


@dataclass
class Report:
    """What an import added (or would add), or every problem found."""

    dry_run: bool = False
    rows: int = 0
    by_channel: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    more: int = 0
    already: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """A problem was found: nothing may be stored."""
        return bool(self.problems or self.more or self.already)

    def add(self, row: int, column: str | None, problem: str) -> None:
        """Note a problem (beyond MAX_PROBLEMS only counted)."""
        if len(self.problems) >= MAX_PROBLEMS:
            self.more += 1
            return
        where = f"{row}行目 {column}" if column else f"{row}行目"
        self.problems.append(f"{where}: {problem}")

    def lines(self) -> list[str]:
        """Every problem as a line, the sheets already entered first."""
        out = []
        if self.already:
            out.append(
                say("already_entered", count=len(self.already), sheets=_ranges(self.already))
            )
        out += self.problems
        if self.more:
            out.append(say("more", count=self.more))
        return out

    def summary(self) -> str:
        """`N件（紙 n件、LINE n件）`."""
        parts = "、".join(
            f"{CHANNEL_NAMES[c]} {self.by_channel[c]:,}件"
            for c in CHANNEL_NAMES
            if self.by_channel[c]
        )
        return f"{self.rows:,}件" + (f"（{parts}）" if parts else "")


class Refused(Exception):
    """The import found problems; the caller's transaction must roll back."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(report.lines()[:3]))
        self.report = report


def _ranges(sheets: list[str], limit: int = 20) -> str:
    numbers = sorted(int(s) for s in sheets if s.isdecimal() and len(s) < 10)
    others = sorted(s for s in sheets if not (s.isdecimal() and len(s) < 10))
    runs: list[str] = []
    for n in numbers:
        if runs and isinstance(runs[-1], list) and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [str(a) if a == b else f"{a}〜{b}" for a, b in runs] + others
    shown = "、".join(parts[:limit])
    return shown + ("、…" if len(parts) > limit else "")


def _columns(ctx: Ctx, header: list, report: Report) -> dict[int, str]:
    """Column index → field or question id; every unknown, repeated or missing one reported."""
    questions = ctx.survey.questions
    cols: dict[int, str] = {}
    fields = {rules.norm(k): v for k, v in FIELDS.items()}
    for i, cell in enumerate(header):
        name = cell_text(cell)
        typed = rules.norm(name)
        if not typed:
            continue
        if ONE_HOT.match(name):  # the export's 0/1 columns per choice: read, not stored
            cols[i] = DERIVED
            continue
        key = fields.get(typed)
        found = QUESTION.match(typed)
        if key is None and found:
            n = int(found.group(1))
            if not 1 <= n <= len(questions):
                report.add(1, None, say("header_question", n=n))
                continue
            key = questions[n - 1]["id"]
        if key is None:
            report.add(1, None, say("header_unknown", name=name))
        elif key in cols.values():
            report.add(1, None, say("header_twice", name=name))
        else:
            cols[i] = key
    for key in ["sheet", *(q["id"] for q in questions)]:
        if key not in cols.values():
            report.add(1, None, say("header_missing", name=TITLES.get(key) or ctx.titles[key]))
    return cols


def _title(ctx: Ctx, key: str) -> str | None:
    return None if key == "_row" else TITLES.get(key) or ctx.titles[key]


def import_file(
    session: Session,
    survey: store.Survey,
    path: Path,
    now: datetime,
    tz: ZoneInfo,
    *,
    dry_run: bool = False,
) -> Report:
    """Check every row of the file and store them all (or, with dry_run, none).

    Raises FileProblem for an unreadable file and Refused when any row has a problem; the
    caller runs this inside a transaction that either exception rolls back.
    """
    ctx = context(session, survey, now, tz)
    report = Report(dry_run=dry_run)
    rows = rows_of(path)
    header = next(rows, None)
    if header is None:
        raise FileProblem(say("file_empty"))
    cols = _columns(ctx, header, report)
    if report.failed:
        raise Refused(report)
    sheets_seen: dict[str, int] = {}
    codes_seen: dict[str, int] = {}
    batch: list[tuple[int, Sheet]] = []
    for row_no, row in enumerate(rows, 2):
        if not any(cell_text(c) for c in row):
            continue
        raw: dict[str, object] = {}
        for i, cell in enumerate(row):
            if i in cols:  # an attribute the export coarsened (（非表示）) is left blank
                raw[cols[i]] = None if cell_text(cell) == HIDDEN else cell
            elif cell_text(cell):
                report.add(row_no, None, say("unnamed_column"))
        number, _ = sheet_number(raw.get("sheet"))
        if number is not None:
            if number in sheets_seen:
                report.add(
                    row_no, "回答番号", say("sheet_twice", sheet=number, row=sheets_seen[number])
                )
                continue
            sheets_seen[number] = row_no
        sheet, problems = check_sheet(ctx, raw)
        for key, problem in problems.items():
            report.add(row_no, _title(ctx, key), problem)
        if sheet is None:
            continue
        if sheet.code:
            if sheet.code in codes_seen:
                report.add(row_no, "回答コード", say("code_twice", row=codes_seen[sheet.code]))
                continue
            codes_seen[sheet.code] = row_no
        batch.append((row_no, sheet))
        if len(batch) >= BATCH:
            _flush(session, ctx, batch, report)
    _flush(session, ctx, batch, report)
    if not report.rows and not report.failed:
        report.add(2, None, say("no_rows"))
    if report.failed:
        raise Refused(report)
    return report


def _flush(session: Session, ctx: Ctx, batch: list[tuple[int, Sheet]], report: Report) -> None:
    """Check a batch against what is stored; write it while the file has no problem."""
    if not batch:
        return
    survey_id = ctx.survey.id
    entered = channels.entered_sheets(session, survey_id, [s.sheet_no for _, s in batch])
    good = []
    for row_no, sheet in batch:
        if sheet.sheet_no in entered:
            report.already.append(sheet.sheet_no)
            continue
        if sheet.code:
            status = invitations.status(session, survey_id, sheet.code)
            if status != "ok":
                report.add(row_no, "回答コード", say(f"code_{status}"))
                continue
        good.append(sheet)
        report.rows += 1
        report.by_channel[sheet.channel] += 1
    batch.clear()
    if report.failed or report.dry_run:
        return
    store.write_responses(
        session,
        ctx.survey,
        [
            {
                "answers": s.answers,
                "profile": s.profile,
                "day": s.day,
                "at": moment_of(ctx, s.day),
                "channel": s.channel,
            }
            for s in good
        ],
        today=ctx.today,
    )
    channels.mark_sheets(session, survey_id, [s.sheet_no for s in good])
    for s in good:
        if s.code:
            invitations.use(session, survey_id, s.code)
