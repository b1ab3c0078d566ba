"""The survey workbook's template: a blank workbook, or a stored survey document filled in.

`template(data)` writes the アンケート and 質問 sheets (with lists for 種類 / 必須 / 匿名) and
the 説明 sheet; the words are messages/survey_workbook_sheets.py. Text that looks like a
formula is written as text (handlers/survey_workbook_cells.put).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

from handlers import survey_workbook_cells as xl
from handlers.survey_workbook_cells import JST, MAX_ROWS
from messages.postback import ascii_int
from messages.survey_workbook_sheets import (
    COL,
    EXAMPLE_ROW,
    EXAMPLE_TITLE,
    EXTRA_HEADERS,
    EXTRA_ITEMS,
    HELP_LINES,
    HELP_SHEET,
    ITEM,
    ITEMS,
    NO,
    QUESTION_HEADERS,
    QUESTION_HELP,
    QUESTION_HELP_HEADS,
    QUESTION_SHEET,
    RESIDENCY,
    SURVEY_HEADERS,
    SURVEY_HELP,
    SURVEY_HELP_HEADS,
    SURVEY_SHEET,
    TYPES,
    TYPES_ERROR,
    WIDTHS,
    YES,
    YES_NO_ERROR,
)


def _survey_values(data: Mapping[str, Any], tz: tzinfo) -> dict[str, object]:
    elig = data.get("eligibility") or {}
    anonymous = data.get("anonymous")
    names = {v: k for k, v in RESIDENCY.items()}
    return {
        "ID": data.get("id"),
        ITEM["title"]: xl.ja(data.get("title")),
        ITEM["title_en"]: xl.en(data.get("title")),
        ITEM["description"]: xl.ja(data.get("description")),
        ITEM["opens_at"]: xl.shown_time(data["opens_at"], tz) if data.get("opens_at") else None,
        ITEM["closes_at"]: xl.shown_time(data["closes_at"], tz) if data.get("closes_at") else None,
        ITEM["anonymous"]: None if anonymous is None else (YES if anonymous else NO),
        ITEM["min_age"]: elig.get("min_age"),
        ITEM["residency"]: "\n".join(names.get(r, r) for r in elig.get("residency") or []),
        ITEM["description_en"]: xl.en(data.get("description")),
        ITEM["minutes"]: data.get("minutes"),
    }


def _question_values(q: Mapping[str, Any]) -> dict[str, object]:
    kinds: dict[str | None, str] = {v: k for k, v in TYPES.items()}
    choices = q.get("choices") or []
    out: dict[str, object] = {
        "ID": q.get("id"),
        COL["type"]: kinds.get(q.get("type"), q.get("type")),
        COL["text"]: xl.ja(q.get("text")),
        COL["text_en"]: xl.en(q.get("text")),
        COL["required"]: NO if q.get("required") is False else YES,
        COL["max_choices"]: q.get("max_choices"),
        COL["min"]: q.get("min"),
        COL["max"]: q.get("max"),
        COL["max_length"]: q.get("max_length"),
        COL["show_if"]: "\n".join(
            f"{ref}={','.join(map(str, vals))}" for ref, vals in (q.get("show_if") or {}).items()
        ),
    }
    if choices:
        labels = [c.get("label") if isinstance(c, dict) else c for c in choices]
        out[COL["choices"]] = "\n".join(xl.ja(label) for label in labels)
        if any(xl.en(label) for label in labels):
            out[COL["choices_en"]] = "\n".join(xl.en(label) for label in labels)
        if any(isinstance(c, dict) for c in choices):
            out[COL["values"]] = "\n".join(
                str(c["value"]) if isinstance(c, dict) else "" for c in choices
            )
    middle, middle_en = [], []
    for key, label in (q.get("labels") or {}).items():
        point = ascii_int(str(key), signed=True)
        point = key if point is None else point
        if point == q.get("min"):
            out[COL["min_label"]], out[COL["min_label_en"]] = xl.ja(label), xl.en(label)
        elif point == q.get("max"):
            out[COL["max_label"]], out[COL["max_label_en"]] = xl.ja(label), xl.en(label)
        else:
            middle.append(f"{key}={xl.ja(label)}")
            if xl.en(label):
                middle_en.append(f"{key}={xl.en(label)}")
    out[COL["middle"]] = "\n".join(middle)
    out[COL["middle_en"]] = "\n".join(middle_en)
    return out


def _fit(ws: Any, row: int, values: Iterable[object]) -> None:
    """A row tall enough for its longest cell (Excel and LibreOffice do not always refit)."""
    lines = max((str(v).count("\n") + 1 for v in values if isinstance(v, str)), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = 16 * lines + 4


def template(data: Mapping[str, Any] | None, tz: tzinfo = JST) -> bytes:
    """The survey workbook: blank, or a stored `kind: survey` document filled in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    data = data or {}
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    wb = Workbook()
    ws = wb.active
    ws.title = SURVEY_SHEET
    for col, title in enumerate(SURVEY_HEADERS, 1):
        cell = xl.put(ws, 1, col, title)
        cell.font, cell.fill = bold, fill
    values = _survey_values(data, tz)
    rows = {}
    for r, item in enumerate([*ITEMS, *EXTRA_ITEMS], 2):
        xl.put(ws, r, 1, item).font = bold
        xl.put(ws, r, 2, values.get(item))
        _fit(ws, r, [values.get(item)])
        rows[item] = r
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 70
    ws.freeze_panes = "A2"
    yes_no = DataValidation(
        type="list",
        formula1=f'"{YES},{NO}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=ITEM["anonymous"],
        error=YES_NO_ERROR,
    )
    ws.add_data_validation(yes_no)
    yes_no.add(f"B{rows[ITEM['anonymous']]}")

    wq = wb.create_sheet(QUESTION_SHEET)
    headers = [*QUESTION_HEADERS, *EXTRA_HEADERS]
    for col, title in enumerate(headers, 1):
        cell = xl.put(wq, 1, col, title)
        cell.font, cell.fill = bold, fill
        wq.column_dimensions[get_column_letter(col)].width = WIDTHS.get(title, 12)
    questions = data.get("questions") or []
    for r, q in enumerate(questions, 2):
        qv = _question_values(q if isinstance(q, dict) else {})
        for col, title in enumerate(headers, 1):
            xl.put(wq, r, col, qv.get(title))
        _fit(wq, r, qv.values())
    for r in range(len(questions) + 2, 62):  # blank rows ready to type in, wrapped
        for col in range(1, len(headers) + 1):
            xl.put(wq, r, col, None)
    wq.freeze_panes = "C2"
    for sheet in (ws, wq):  # printed: landscape, one page wide
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
    last = MAX_ROWS
    kinds = DataValidation(
        type="list",
        formula1='"' + ",".join(TYPES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=COL["type"],
        error=TYPES_ERROR,
    )
    required = DataValidation(
        type="list",
        formula1=f'"{YES},{NO}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=COL["required"],
        error=YES_NO_ERROR,
    )
    for dv, title in ((kinds, COL["type"]), (required, COL["required"])):
        wq.add_data_validation(dv)
        letter = get_column_letter(headers.index(title) + 1)
        dv.add(f"{letter}2:{letter}{last}")

    _help_sheet(wb.create_sheet(HELP_SHEET), headers, bold, fill)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _help_sheet(ws: Any, headers: list[str], bold: Any, fill: Any) -> None:
    from openpyxl.utils import get_column_letter

    r = 1
    for line in HELP_LINES:
        xl.put(ws, r, 1, line, wrap=False)
        r += 1
    r += 1
    for col, title in enumerate(SURVEY_HELP_HEADS, 1):
        cell = xl.put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    for item, (how, example) in SURVEY_HELP.items():
        r += 1
        xl.put(ws, r, 1, item)
        xl.put(ws, r, 2, how)
        xl.put(ws, r, 3, example)
    r += 2
    for col, title in enumerate(QUESTION_HELP_HEADS, 1):
        cell = xl.put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    for title, (how, example) in QUESTION_HELP.items():
        r += 1
        xl.put(ws, r, 1, title)
        xl.put(ws, r, 2, how)
        xl.put(ws, r, 3, example)
    r += 2
    xl.put(ws, r, 1, EXAMPLE_TITLE, wrap=False).font = bold
    r += 1
    for col, title in enumerate(headers, 1):
        cell = xl.put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    r += 1
    for col, title in enumerate(headers, 1):
        xl.put(ws, r, col, EXAMPLE_ROW.get(title))
    for col, width in enumerate((22, 60, 30), 1):
        ws.column_dimensions[get_column_letter(col)].width = width
