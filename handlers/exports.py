"""Spreadsheet exports that open in Japanese Excel as they are: CSV (UTF-8 with BOM) and .xlsx.

Japanese headers, labels rather than codes, times in the town's zone (real Excel date cells
in xlsx, tz-naive; `YYYY/MM/DD HH:MM` in CSV), numbers as numbers. Internal ids (申込番号,
LINE user id, 意見募集ID) are on a separate sheet 内部ID (xlsx) or after an empty column at
the right (CSV). Cells that a spreadsheet would run as a formula are neutralised with a
leading apostrophe (handlers.survey_export.neutralise). The door list is
handlers/attendee_sheet.py.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import IO, Any

from sqlalchemy.orm import Session

from db import events as db_events
from db import opinions as db_opinions

# one neutralising rule for every export: the survey exporter's (formulas, and control
# characters xlsx cannot hold)
from handlers.survey_export import DATETIME_FORMAT, neutralise
from messages.export_labels import (
    ATTENDED,
    ATTENDEE_HEADER,
    ATTENDEE_INTERNAL,
    ATTENDEE_SHEET,
    INTERNAL_SHEET,
    KIND_NAMES,
    LIST_SHEET,
    MODE_NAMES,
    OPINION_HEADER,
    OPINION_INTERNAL,
    OPINION_SHEET,
    OPINION_STATUS,
    STATUS_NAMES,
)
from messages.text import local as town_local

__all__ = ["FORMATS", "MODE_NAMES", "STATUS_NAMES", "export", "neutralise"]

FORMATS = ("csv", "xlsx")


def local(value: datetime, tz: tzinfo | str | None = None) -> datetime:
    """A stored (UTC) time as the town's wall-clock time without a zone (Excel has none)."""
    return town_local(value, tz, naive=True)


def _csv_cell(value: object, tz: tzinfo | str | None = None) -> object:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return local(value, tz).strftime("%Y/%m/%d %H:%M")
    if isinstance(value, bool):
        return int(value)
    return neutralise(value)


def _xlsx_cell(ws: Any, value: object, tz: tzinfo | str | None = None) -> object:
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=local(value, tz))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, bool):
        return int(value)
    return neutralise(value)


def write_csv(
    out: IO[str],
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    tz: tzinfo | str | None = None,
    internal: Sequence[str] = (),
) -> int:
    """Write CSV with a BOM (Excel reads it as UTF-8); returns the number of rows.

    Each row holds len(header) cells and then len(internal) internal ids, written after an
    empty column.
    """
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    gap = [""] if internal else []
    writer.writerow([neutralise(h) for h in header] + gap + list(internal))
    n, k = 0, len(header)
    for row in rows:
        cells = [_csv_cell(v, tz) for v in row]
        writer.writerow(cells[:k] + (gap + cells[k:] if internal else []))
        n += 1
    return n


def write_xlsx(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet: str = LIST_SHEET,
    tz: tzinfo | str | None = None,
    internal: Sequence[str] = (),
) -> int:
    """Write an .xlsx workbook (write-only); internal ids on the sheet 内部ID, keyed by the
    first column. Returns the number of rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.freeze_panes = "A2"
    ws.append([neutralise(h) for h in header])
    ids = []
    n, k = 0, len(header)
    for row in rows:
        row = list(row)
        ws.append([_xlsx_cell(ws, v, tz) for v in row[:k]])
        if internal:
            ids.append([row[0], *row[k:]])
        n += 1
    if internal:
        other = wb.create_sheet(INTERNAL_SHEET)
        other.append([neutralise(header[0]), *internal])
        for row in ids:
            other.append([_xlsx_cell(other, v, tz) for v in row])
    wb.save(str(path))
    return n


def export(
    path: str | Path,
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet: str = LIST_SHEET,
    tz: tzinfo | str | None = None,
    internal: Sequence[str] = (),
) -> int:
    """Write rows to a file as csv or xlsx (see write_csv and write_xlsx)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose csv or xlsx")
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            return write_csv(f, header, rows, tz, internal)
    return write_xlsx(path, header, rows, sheet, tz, internal)


def export_attendees(
    session: Session, event_id: str, path: str | Path, fmt: str, tz: tzinfo | str | None = None
) -> int:
    """Every sign-up of an event (mode, status, waitlist position, attendance) to a file;
    internal ids (申込番号, LINE user id) on the sheet 内部ID / at the right."""
    rows = (
        (
            a.attendance_code,
            MODE_NAMES.get(a.mode, a.mode),
            STATUS_NAMES.get(a.status, a.status),
            a.waitlist_position,
            ATTENDED if a.attended_at is not None else "",
            a.attended_at,
            a.signed_up_at,
            a.cancelled_at,
            a.signup_id,
            a.line_user_id,
        )
        for a in db_events.attendees(session, event_id)
    )
    return export(
        path, fmt, ATTENDEE_HEADER, rows, sheet=ATTENDEE_SHEET, tz=tz, internal=ATTENDEE_INTERNAL
    )


def export_opinions(
    session: Session, path: str | Path, fmt: str, kind: str = "all", tz: tzinfo | str | None = None
) -> int:
    """Opinions and public comments (oldest first) to a file; no LINE user ids."""
    rows = (
        (
            o.receipt_no,
            o.created_at,
            KIND_NAMES["comment" if o.consultation_id else "opinion"],
            o.section,
            o.body,
            OPINION_STATUS.get(o.status, o.status),
            o.category,
            o.memo,
            o.consultation_id,
        )
        for o in db_opinions.streamed(session, kind)
    )
    return export(
        path, fmt, OPINION_HEADER, rows, sheet=OPINION_SHEET, tz=tz, internal=OPINION_INTERNAL
    )
