"""Spreadsheet exports that open safely in Japanese Excel: CSV (UTF-8 with BOM) and .xlsx.

Cells that a spreadsheet would run as a formula (starting with = + - @, or a tab or
carriage return) are neutralised with a leading apostrophe (handlers.survey_export.neutralise).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

from db import events as db_events
from db import opinions as db_opinions

# one neutralising rule for every export: the survey exporter's (formulas, and control
# characters xlsx cannot hold)
from handlers.survey_export import neutralise

FORMATS = ("csv", "xlsx")


def _cell(value: object, tz=None) -> object:
    if isinstance(value, datetime):
        value = value.astimezone(tz) if tz else value
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, bool):
        return "1" if value else "0"
    return neutralise(value)


def write_csv(
    out: IO[str], header: Sequence[str], rows: Iterable[Sequence[object]], tz=None
) -> int:
    """Write CSV with a BOM (Excel reads it as UTF-8); returns the number of rows."""
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow(["" if v is None else _cell(v, tz) for v in row])
        n += 1
    return n


def write_xlsx(
    path: str | Path,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet: str = "export",
    tz=None,
) -> int:
    """Write an .xlsx workbook (openpyxl write-only mode); returns the number of rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=sheet[:31])
    ws.append([neutralise(h) for h in header])
    n = 0
    for row in rows:
        ws.append([_cell(v, tz) for v in row])
        n += 1
    wb.save(str(path))
    return n


def export(
    path: str | Path,
    fmt: str,
    header: Sequence[str],
    rows: Iterable[Sequence[object]],
    sheet: str = "export",
    tz=None,
) -> int:
    """Write rows to a file as csv or xlsx."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose csv or xlsx")
    if fmt == "csv":
        with open(path, "w", encoding="utf-8", newline="") as f:
            return write_csv(f, header, rows, tz)
    return write_xlsx(path, header, rows, sheet, tz)


ATTENDEE_HEADER = (
    "signup_id",
    "line_user_id",
    "mode",
    "status",
    "waitlist_position",
    "attendance_code",
    "attended",
    "attended_at",
    "signed_up_at",
    "cancelled_at",
)


def export_attendees(session, event_id: str, path: str | Path, fmt: str, tz=None) -> int:
    """Every sign-up of an event (mode, status, waitlist position, attendance) to a file."""
    rows = (
        (
            a.signup_id,
            a.line_user_id,
            a.mode,
            a.status,
            a.waitlist_position,
            a.attendance_code,
            a.attended_at is not None,
            a.attended_at,
            a.signed_up_at,
            a.cancelled_at,
        )
        for a in db_events.attendees(session, event_id)
    )
    return export(path, fmt, ATTENDEE_HEADER, rows, sheet=event_id, tz=tz)


OPINION_HEADER = ("receipt_no", "received_at", "kind", "consultation_id", "section", "body")


def export_opinions(session, path: str | Path, fmt: str, kind: str = "all", tz=None) -> int:
    """Opinions and public comments (oldest first) to a file; no LINE user ids."""
    rows = (
        (
            o.receipt_no,
            o.created_at,
            "comment" if o.consultation_id else "opinion",
            o.consultation_id,
            o.section,
            o.body,
        )
        for o in db_opinions.streamed(session, kind)
    )
    return export(path, fmt, OPINION_HEADER, rows, sheet="opinions", tz=tz)
