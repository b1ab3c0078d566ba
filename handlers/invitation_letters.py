"""Invitation letters: new answer codes as a mail-merge CSV or one A4 PDF letter per code.

`issue` makes the codes (handlers/invitations.create: only hashes are stored) and writes the
file in the caller's transaction, so a file that cannot be written leaves no codes behind.
The letter's wording (Japanese, for residents reading paper) is `LETTER` in messages/letters.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

import segno
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from sqlalchemy.orm import Session

from db import surveys as store
from handlers import invitations
from handlers.survey_export import neutralise
from handlers.town import load_town
from messages.fonts import IPAEX_GOTHIC
from messages.letters import CSV_HEADER, LETTER, NO_LINE_START, PERIOD_SEP
from messages.survey import local
from messages.text import day

FORMATS = ("csv", "pdf")
FONT = "IPAexGothic"


class LetterSettings(Protocol):
    """What a letter reads from the settings (bot/config.py's Settings has them)."""

    @property
    def tz(self) -> ZoneInfo: ...

    @property
    def public_base_url(self) -> str: ...


class LetterError(ValueError):
    """The request cannot be served (unknown survey, bad format or count); nothing stored."""


@dataclass(frozen=True)
class Letter:
    """What every letter of one batch shows."""

    survey_id: str
    title: str
    period: str
    anonymous: bool
    town: str
    contact: str
    base_url: str
    add_friend_url: str | None

    def url(self, code: str) -> str:
        """The answer page of this survey for one code."""
        return f"{self.base_url}/s/{quote(self.survey_id, safe='')}?code={code}"


def _when(moment: datetime, tz: ZoneInfo, year: bool) -> str:
    at = moment.astimezone(tz)
    return f"{day(at, 'ja', tz, year=year)} {at.hour}:{at.minute:02d}"  # 9:00, as letters read


def period(opens: datetime, closes: datetime, tz: ZoneInfo) -> str:
    """The answer period in the town's time, e.g. 6月1日(月) 0:00 〜 7月31日(金) 23:59."""
    year = opens.astimezone(tz).year != closes.astimezone(tz).year
    return f"{_when(opens, tz, year)}{PERIOD_SEP}{_when(closes, tz, year)}"


def letter_for(session: Session, survey_id: str, settings: LetterSettings) -> Letter:
    """The batch details of a survey; LetterError when it does not exist."""
    survey = store.get_survey(session, survey_id)
    if survey is None:
        raise LetterError(f"unknown survey {survey_id!r}")
    title = survey.definition["title"]
    town = load_town(session)
    return Letter(
        survey_id=survey.id,
        title=local(title, "ja"),
        period=period(survey.opens_at, survey.closes_at, settings.tz),
        anonymous=survey.anonymous,
        town=town.name,
        contact=town.contact,
        base_url=settings.public_base_url.rstrip("/"),
        add_friend_url=getattr(settings, "line_add_friend_url", None),
    )


def format_of(path: Path) -> str:
    """`csv` or `pdf` from a file name; LetterError for any other suffix."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise LetterError(f"{path.name}: the file must end in .csv or .pdf")
    return fmt


def check_count(count: int, limit: int = invitations.MAX_COUNT) -> None:
    """LetterError unless 1 ≤ count ≤ limit."""
    if not 1 <= count <= limit:
        raise LetterError(f"count must be between 1 and {limit}, not {count}")


def issue(
    session: Session, survey_id: str, count: int, fmt: str, out: BinaryIO, settings: LetterSettings
) -> int:
    """Make `count` codes for a survey and write them to `out` as CSV or PDF; the count."""
    if fmt not in FORMATS:
        raise LetterError(f"format must be csv or pdf, not {fmt!r}")
    check_count(count)
    letter = letter_for(session, survey_id, settings)
    codes = invitations.create(session, survey_id, count)
    (write_csv if fmt == "csv" else write_pdf)(letter, codes, out)
    return len(codes)


# --- CSV --------------------------------------------------------------------------------------


def write_csv(letter: Letter, codes: list[str], out: BinaryIO) -> None:
    """UTF-8 with BOM for Japanese Excel's mail merge: one row per code."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(CSV_HEADER)
    width = max(4, len(str(len(codes))))
    for n, code in enumerate(codes, 1):
        writer.writerow(
            [
                str(n).zfill(width),
                neutralise(letter.title),
                letter.period,
                code,
                letter.url(code),
            ]
        )
    text.flush()
    text.detach()


# --- PDF --------------------------------------------------------------------------------------

PAGE_W, PAGE_H = A4
MARGIN = 56.0
QR_SIZE = 104.0
LINE_FORM = "line-add-friend"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(IPAEX_GOTHIC)))
    return FONT


def _wrap(text: str, size: float, width: float) -> list[str]:
    """Lines of at most `width` points (Japanese breaks anywhere; a URL too)."""
    lines, line, used = [], "", 0.0
    for ch in text:
        w = pdfmetrics.stringWidth(ch, FONT, size)
        if used + w > width and line and ch not in NO_LINE_START:
            lines.append(line)
            line, used = ch, w
        else:
            line, used = line + ch, used + w
    if line:
        lines.append(line)
    return lines


def _paragraph(c: Canvas, text: str, x: float, y: float, size: float, width: float) -> float:
    """Draw wrapped text from baseline y down; the y below it."""
    c.setFont(FONT, size)
    for line in _wrap(text, size, width):
        c.drawString(x, y, line)
        y -= size * 1.6
    return y


def _qr(c: Canvas, data: str, x: float, y: float, size: float) -> None:
    """A QR code of `data` drawn as vector squares, lower-left corner at (x, y)."""
    qr = segno.make(data, error="m")
    matrix = qr.matrix
    border = 4
    n = len(matrix) + 2 * border
    module = size / n
    for r, row in enumerate(matrix):
        top = y + size - (r + border + 1) * module
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            c.rect(
                x + (start + border) * module,
                top,
                (col - start) * module,
                module,
                stroke=0,
                fill=1,
            )


def _page(c: Canvas, letter: Letter, code: str, serial: str) -> None:
    text = LETTER
    width = PAGE_W - 2 * MARGIN
    left = MARGIN
    c.setFont(FONT, 9)
    c.drawRightString(PAGE_W - MARGIN, PAGE_H - 36, text["serial"].format(serial=serial))
    c.setFont(FONT, 11)
    c.drawString(left, PAGE_H - 64, letter.town)
    y = _paragraph(c, text["title"].format(title=letter.title), left, PAGE_H - 100, 18, width)
    y = _paragraph(c, text["body"].format(town=letter.town), left, y - 6, 11, width)
    y = _paragraph(c, text["period"].format(period=letter.period), left, y - 6, 12, width)

    box_h = 92
    box_y = y - box_h
    c.setLineWidth(1.5)
    c.roundRect(left, box_y, width, box_h, 8, stroke=1, fill=0)
    c.setFont(FONT, 12)
    c.drawCentredString(PAGE_W / 2, box_y + box_h - 24, text["code_label"])
    c.setFont(FONT, 40)
    c.drawCentredString(PAGE_W / 2, box_y + 20, code)
    y = box_y - 34

    text_w = width - QR_SIZE - 20
    qr_x = PAGE_W - MARGIN - QR_SIZE
    url = letter.url(code)
    top = y
    y = _paragraph(c, text["web_head"], left, y, 13, text_w)
    y = _paragraph(c, text["web_body"], left, y, 10.5, text_w)
    y = _paragraph(c, url, left, y, 9.5, text_w)
    _qr(c, url, qr_x, top - QR_SIZE + 12, QR_SIZE)
    c.setFont(FONT, 9)
    c.drawCentredString(qr_x + QR_SIZE / 2, top - QR_SIZE, text["web_qr"])
    y = min(y, top - QR_SIZE - 12) - 22

    top = y
    body = text["line_body_qr" if letter.add_friend_url else "line_body"]
    y = _paragraph(c, text["line_head"], left, y, 13, text_w if letter.add_friend_url else width)
    y = _paragraph(
        c,
        body.format(town=letter.town),
        left,
        y,
        10.5,
        text_w if letter.add_friend_url else width,
    )
    if letter.add_friend_url:
        c.saveState()
        c.translate(qr_x, top - QR_SIZE + 12)
        c.doForm(LINE_FORM)  # drawn once per file: the same on every page
        c.restoreState()
        c.setFont(FONT, 9)
        c.drawCentredString(qr_x + QR_SIZE / 2, top - QR_SIZE, text["line_qr"])
        y = min(y, top - QR_SIZE - 12)
    y -= 20

    y = _paragraph(c, text["note_once"], left, y, 9.5, width)
    if letter.anonymous:
        y = _paragraph(c, text["note_anonymous"], left, y, 9.5, width)
    if letter.contact:
        c.setFont(FONT, 10)
        c.drawString(left, MARGIN, text["contact"].format(contact=letter.contact))


def write_pdf(letter: Letter, codes: list[str], out: BinaryIO) -> None:
    """One A4 page per code: the letter with its code, a QR code of its answer URL."""
    _font()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(letter.title)
    c.setAuthor(letter.town)
    if letter.add_friend_url:
        c.beginForm(LINE_FORM)
        _qr(c, letter.add_friend_url, 0, 0, QR_SIZE)
        c.endForm()
    width = max(4, len(str(len(codes))))
    for n, code in enumerate(codes, 1):
        _page(c, letter, code, str(n).zfill(width))
        c.showPage()
    c.save()
