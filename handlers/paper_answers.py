"""Paper answers: a file of sheets imported at once (the console and `surveys import-answers`).

Every row goes through `check_sheet` (handlers/paper_sheet.py, which also keys in one sheet
at the console; its names are importable from here too). A file is all or nothing: it is
streamed row by row, each batch checked against what is stored (sheet numbers already
entered, invitation codes) and written with multi-row INSERTs while no problem has been found;
the first problem stops the writing, every later row is still checked, and `Refused` makes the
caller's transaction roll back. Memory holds one batch plus the file's sheet numbers and codes
(to find repeats within the file).
"""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db import survey_channels as channels
from db import surveys as store
from handlers import invitations
from handlers import survey_rules as rules
from handlers.paper_sheet import (
    FIELDS,
    QUESTION,
    RESIDENCY_LABELS,
    TITLES,
    Ctx,
    Sheet,
    cell_text,
    check_sheet,
    context,
    enter_sheet,
    load_town,
    moment_of,
    next_sheet_number,
    paper_total,
    sheet_number,
)
from handlers.privacy import HIDDEN
from messages.paper import say
from messages.paper_columns import JOIN, MORE, RANGE, ROWS_SHEET, at_row, count, summary
from messages.survey_staff import CHANNEL_NAMES, ONE_HOT

__all__ = [
    "RESIDENCY_LABELS",
    "TITLES",
    "Ctx",
    "Sheet",
    "check_sheet",
    "context",
    "enter_sheet",
    "load_town",
    "next_sheet_number",
    "paper_total",
]

DERIVED = "_derived"  # a column the export adds for reading (0/1 per choice)
BATCH = 1000
MAX_PROBLEMS = 200


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


def _csv_rows(path: Path) -> Iterator[list[object]]:
    with path.open(encoding=_encoding(path), newline="") as f:
        yield from csv.reader(f)


def _xlsx_rows(path: Path) -> Iterator[list[object]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # a broken zip or workbook: say so, whatever the library raised
        raise FileProblem(say("file_unreadable", detail=type(exc).__name__)) from exc
    try:
        ws = wb[ROWS_SHEET] if ROWS_SHEET in wb.sheetnames else wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            yield list(row)
    finally:
        wb.close()


def rows_of(path: Path) -> Iterator[list[object]]:
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
    by_channel: Counter[str] = field(default_factory=Counter)
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
        self.problems.append(f"{at_row(row, column)}: {problem}")

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
        parts = [
            f"{CHANNEL_NAMES[c]} {count(self.by_channel[c])}"
            for c in CHANNEL_NAMES
            if self.by_channel[c]
        ]
        return summary(self.rows, parts)


class Refused(Exception):
    """The import found problems; the caller's transaction must roll back."""

    def __init__(self, report: Report) -> None:
        super().__init__("; ".join(report.lines()[:3]))
        self.report = report


def _ranges(sheets: list[str], limit: int = 20) -> str:
    numbers = sorted(int(s) for s in sheets if s.isdecimal() and len(s) < 10)
    others = sorted(s for s in sheets if not (s.isdecimal() and len(s) < 10))
    runs: list[list[int]] = []
    for n in numbers:
        if runs and isinstance(runs[-1], list) and runs[-1][1] == n - 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    parts = [str(a) if a == b else RANGE.format(first=a, last=b) for a, b in runs] + others
    shown = JOIN.join(parts[:limit])
    return shown + (MORE if len(parts) > limit else "")


def _columns(ctx: Ctx, header: list[object], report: Report) -> dict[int, str]:
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
                    row_no,
                    TITLES["sheet"],
                    say("sheet_twice", sheet=number, row=sheets_seen[number]),
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
                report.add(row_no, TITLES["code"], say("code_twice", row=codes_seen[sheet.code]))
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
                report.add(row_no, TITLES["code"], say(f"code_{status}"))
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
