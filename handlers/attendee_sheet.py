"""The door list of a workshop (受付名簿): one printable A4 sheet staff tick at the entrance.

Confirmed sign-ups only, sorted by 受付番号: 受付番号, 名前, 参加方法 (会場 / オンライン), and an
empty 出席 column. A title row holds the event's title and date (JST). 名前 is the LINE display
name only where the resident agreed to show it (asked in chat when the seat is confirmed,
handlers/rsvp.py; cleared on cancel); otherwise blank, and staff write it at the door.
Print setup: A4 portrait, fit to the page width, the header row repeated on every page,
gridlines printed.
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

from sqlalchemy.orm import Session

from db import events as db_events
from handlers.exports import MODE_NAMES
from handlers.survey_export import neutralise
from messages.export_labels import DOOR_HEADER, DOOR_NAME_NOTE, DOOR_SHEET, DOOR_TITLE
from messages.rsvp import local, when
from messages.text import TOWN_TZ

HEADER = DOOR_HEADER
HEADER_ROW = 4
NAME_NOTE = DOOR_NAME_NOTE


def _code_order(code: str) -> tuple[int, int, str]:
    return (0, int(code), code) if code.isdigit() else (1, 0, code)


def door_rows(session: Session, event_id: str) -> list[tuple[str, str | None, str, None]]:
    """(受付番号, 名前, 参加方法, 出席) of every confirmed sign-up, by 受付番号."""
    people = [a for a in db_events.attendees(session, event_id) if a.status == "confirmed"]
    people.sort(key=lambda a: _code_order(a.attendance_code))
    return [
        (a.attendance_code, a.door_name or None, MODE_NAMES.get(a.mode, a.mode), None)
        for a in people
    ]


def export_door_sheet(
    session: Session, event_id: str, path: str | Path, tz: tzinfo | None = None
) -> int:
    """Write the door list (.xlsx) of one event; returns the number of people on it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.worksheet.properties import PageSetupProperties

    event = db_events.get_event(session, event_id)
    if event is None:
        raise KeyError(event_id)
    rows = door_rows(session, event_id)
    wb = Workbook()
    ws = wb.active
    ws.title = DOOR_SHEET
    title = DOOR_TITLE.format(title=local("ja", event.title))
    ws.append([neutralise(title)])
    ws["A1"].font = Font(size=14, bold=True)
    ws.append([when("ja", event.starts_at, event.ends_at, tz or TOWN_TZ)])
    ws.append([NAME_NOTE])
    ws["A3"].font = Font(size=9)
    ws.append(list(HEADER))
    thin = Side(style="thin")
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.border = Border(top=thin, bottom=thin, left=thin, right=thin)
        cell.alignment = Alignment(horizontal="center")
    for row in rows:
        ws.append([neutralise(v) for v in row])
    for width, column in zip((12, 32, 14, 10), "ABCD", strict=True):
        ws.column_dimensions[column].width = width
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_options.gridLines = True
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.oddFooter.center.text = "&P / &N"
    wb.save(str(path))
    return len(rows)
