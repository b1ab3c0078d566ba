"""The paper sheet's columns as staff type them, and the small words of an import's report.

The columns are the ones `surveys export` writes (plus 回答方法 and 回答コード); a file of
sheets (handlers/paper_answers.py) and one sheet at the console (handlers/paper_sheet.py) read
them. Sentences about problems are messages/paper.py.
"""

from __future__ import annotations

import re

from messages.survey_staff import CHANNEL_NAMES, DIM_TITLES, RESIDENCY_NAMES, word

FIELDS = {
    word("col.number"): "sheet",
    word("col.day"): "day",
    word("col.channel"): "channel",
    "回答コード": "code",
    word("col.resident"): "resident_id",
    DIM_TITLES["age_band"]: "age_band",
    DIM_TITLES["district"]: "district",
    DIM_TITLES["residency"]: "residency",
}
PAPER = CHANNEL_NAMES["paper"]  # 紙, as staff type the channel
CHANNELS = {"line": "line", "web": "web", PAPER: "paper", "paper": "paper"}
RESIDENCY_LABELS = RESIDENCY_NAMES
COMMUTE_TYPED = "通勤・通学"  # typed short for 町内に通勤・通学
SPLIT = re.compile(r"[、，,\n]")
DAY = re.compile(r"(\d{4})[-/年.](\d{1,2})[-/月.](\d{1,2})日?(?:[ T].*)?")
ROWS_SHEET = word("sheet.rows")  # the export's sheet of answers, read first
LIST_JOIN = "・"  # the allowed values, in a problem
JOIN = "、"
RANGE = "{first}〜{last}"
MORE = "、…"


def at_row(row: int, column: str | None = None) -> str:
    """Where a problem is: `5行目 地区` (or the row alone)."""
    return f"{row}行目 {column}" if column else f"{row}行目"


def count(n: int) -> str:
    """A number of sheets: `1,234件`."""
    return f"{n:,}件"


def summary(total: int, parts: list[str]) -> str:
    """`N件（紙 n件、LINE n件）`."""
    return count(total) + (f"（{JOIN.join(parts)}）" if parts else "")
