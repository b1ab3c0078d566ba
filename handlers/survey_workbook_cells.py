"""The survey workbook's cells: limits, reading a cell as text, a number, a time; writing one.

Shared by reading the workbook (handlers/survey_workbook.py) and writing its template
(handlers/survey_workbook_template.py). Hostile files are refused before openpyxl opens them
(`safe_archive`: size, unpacked size, XML declarations); text that looks like a formula is
written as text (`put`).
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Sequence
from datetime import date, datetime, time, tzinfo
from typing import Any

from handlers.content import Problem, parse_time
from handlers.survey_export import looks_like_formula
from messages import content_problems as words
from messages.catalog import t
from messages.survey_workbook_sheets import NO, YES
from messages.text import TOWN_TZ

MAX_BYTES = 2_000_000
MAX_UNPACKED = 20_000_000
MAX_MEMBERS = 200
MAX_ROWS = 300
MAX_COLS = 40
JST = TOWN_TZ
_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def blank(value: object) -> bool:
    """Nothing, or only spaces."""
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: object) -> str:
    """A cell as text (numbers without a trailing .0), line ends as \\n, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):  # a cell holding only a date or only a time
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def as_lines(value: object) -> list[str]:
    """One entry per line; inner blank lines kept (they mean "none"), trailing ones dropped."""
    out = [line.strip() for line in as_text(value).split("\n")]
    while out and not out[-1]:
        out.pop()
    return out


def as_int(value: object) -> int | str:
    """A whole number, or the value as typed (the schema then says it must be a number)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = unicodedata.normalize("NFKC", as_text(value))
    if re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    return text


def as_bool(value: object) -> bool | str:
    """はい / いいえ (or an Excel TRUE / FALSE) as a boolean; anything else as typed."""
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", as_text(value))
    return {YES: True, NO: False}.get(text, text)


def as_time(value: object, tz: tzinfo) -> str | None:
    """An Excel date or `2026-06-01 00:00` (the town's time unless an offset is given)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
        return moment.isoformat(timespec="seconds")
    if isinstance(value, date):
        return datetime.combine(value, time(0), tz).isoformat(timespec="seconds")
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2_958_466:
        from openpyxl.utils.datetime import from_excel

        return as_time(from_excel(value), tz)
    text = unicodedata.normalize("NFKC", as_text(value)).replace("/", "-").replace(".", "-")
    found = _DATE.match(text)
    if not found:
        return None
    y, mo, d, h, mi, s, offset = found.groups()
    try:
        moment = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), 0, tz)
    except ValueError:
        return None
    if offset:
        naive = moment.replace(tzinfo=None).isoformat()
        parsed = parse_time(naive + ("+00:00" if offset == "Z" else offset))
        return parsed.isoformat(timespec="seconds") if parsed else None
    return moment.isoformat(timespec="seconds")


def texted(ja: str, en: str) -> str | dict[str, str]:
    """{ja, en} when there is an English text, else the Japanese alone."""
    return {"ja": ja, "en": en} if en else ja


# --- the workbook's problems ------------------------------------------------------------


def problem_at(name: str, sheet: str, row: int | None, code: str, **values: object) -> Problem:
    """A problem of the workbook itself, placed by sheet (and row)."""
    out = {}
    for lang in ("ja", "en"):
        place = (
            t(lang, "content.place.sheet_row", sheet=sheet, row=row)
            if row
            else t(lang, "content.place.sheet", sheet=sheet)
        )
        out[lang] = f"{place}: {words.sentence(lang, code, values)}"
    where = f"{sheet}!{row}" if row else sheet
    return Problem(f"{name}: {where}: {code}", out["ja"], out["en"], (), code)


def safe_archive(raw: bytes) -> str | None:
    """None when the archive may be opened; else the problem's code."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
            return "workbook.unpacked"
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            return "workbook.not_xlsx"
        total = 0
        for m in members:
            if not m.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(m) as f:
                tail = b""
                while chunk := f.read(65536):
                    total += len(chunk)
                    if total > MAX_UNPACKED:
                        return "workbook.unpacked"
                    seen = (tail + chunk).upper()  # a declaration split across two chunks too
                    if b"<!DOCTYPE" in seen or b"<!ENTITY" in seen:
                        return "workbook.not_xlsx"
                    tail = chunk[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return "workbook.not_xlsx"
    except Exception:  # zlib and friends: a broken archive, whatever the library raised
        return "workbook.not_xlsx"
    return None


def sheet_rows(ws: Any) -> tuple[list[tuple[int, tuple[Any, ...]]], bool]:
    """(row number, values) of the non-blank rows, and whether there were too many."""
    out: list[tuple[int, tuple[Any, ...]]] = []
    for n, values in enumerate(
        ws.iter_rows(min_row=1, max_row=MAX_ROWS + 50, max_col=MAX_COLS, values_only=True), 1
    ):
        if all(blank(v) for v in values):
            continue
        if n > MAX_ROWS:
            return out, True
        out.append((n, tuple(values)))
    return out, False


def columns(
    name: str,
    sheet: str,
    header: Sequence[object],
    known: Sequence[str],
    extra: Collection[str],
) -> tuple[dict[str, int], list[Problem]]:
    """{header: column index} of a header row, and its problems."""
    found: dict[str, int] = {}
    problems: list[Problem] = []
    from openpyxl.utils import get_column_letter

    for i, value in enumerate(header):
        text = as_text(value)
        if text and text not in found:
            found[text] = i
    wrong_at = set()
    for i, expected in enumerate(known):
        if expected in found:
            continue
        at = as_text(header[i]) if i < len(header) else ""
        if at and at not in known and at not in extra:
            wrong_at.add(i)
            problems.append(
                problem_at(
                    name,
                    sheet,
                    1,
                    "workbook.header_wrong",
                    column=get_column_letter(i + 1),
                    found=at,
                    expected=expected,
                )
            )
        else:
            problems.append(
                problem_at(
                    name,
                    sheet,
                    1,
                    "workbook.header_missing",
                    column=get_column_letter(i + 1),
                    expected=expected,
                )
            )
    for text, i in found.items():
        if text not in known and text not in extra and i not in wrong_at:
            problems.append(
                problem_at(
                    name,
                    sheet,
                    1,
                    "workbook.header_unknown",
                    column=get_column_letter(i + 1),
                    found=text,
                )
            )
    return found, problems


# --- writing cells ---------------------------------------------------------------------


def ja(value: object) -> str:
    """The Japanese of a {ja, en} text (or the text itself)."""
    return (
        str(value.get("ja", ""))
        if isinstance(value, dict)
        else ("" if value is None else str(value))
    )


def en(value: object) -> str:
    """The English of a {ja, en} text, or nothing."""
    return str(value.get("en") or "") if isinstance(value, dict) else ""


def shown_time(value: object, tz: tzinfo) -> str:
    """A stored time as the workbook shows it: `2026-06-01 00:00` (seconds and offset if any)."""
    moment = parse_time(str(value))
    if moment is None:
        return as_text(value)
    shown = moment.strftime("%Y-%m-%d %H:%M" + (":%S" if moment.second else ""))
    if moment.utcoffset() != moment.astimezone(tz).utcoffset():
        offset = moment.strftime("%z")
        shown += f"{offset[:3]}:{offset[3:]}"
    return shown


def put(ws: Any, row: int, col: int, value: object, wrap: bool = True) -> Any:
    """One cell: text that looks like a formula stays text."""
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if not value:
            value = None
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell
