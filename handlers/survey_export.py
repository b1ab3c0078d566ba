"""Exports that open in Japanese Excel as they are: CSV (UTF-8 with BOM) and .xlsx.

One row per response: 回答番号, 回答日 (a real date in xlsx), 回答方法 (LINE / Web / 紙), the
attributes, one column per question (choice labels; multiple choice joined with 、), then one
0/1 column per choice of each multiple-choice question (`Q2「買い物が不便」`). Internal ids
(住民ID of a named survey) are on the sheet 内部ID (xlsx) or after an empty column at the
right (CSV). Anonymous surveys follow the privacy rule (handlers/privacy.py): rare attribute
combinations are coarsened, and `rows=False` gives the aggregate workbook (集計 only).
The 集計 sheet has numbers as numbers: a hidden count is an empty cell with 備考 saying why.
Any text cell Excel could read as a formula (= + - @, tab, CR) gets a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from datetime import date, datetime, tzinfo
from typing import Any, BinaryIO, overload

from sqlalchemy.orm import Session

from db import surveys as store
from handlers.survey_cells import ALSO_HIDDEN, Cell, is_hidden, number, share
from messages.survey_staff import CHANNEL_NAMES, DIM_TITLES, JOIN, NO_ANSWER, ONE_HOT, word
from messages.survey_staff import RESIDENCY_NAMES as RESIDENCY_JA
from messages.text import TOWN_TZ
from messages.text import local as to_local

__all__ = ["CHANNEL_NAMES", "DIM_TITLES", "JOIN", "ONE_HOT", "RESIDENCY_JA", "export", "neutralise"]
FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in xlsx cells


class ExportError(ValueError):
    """An unknown survey, format or channel, or rows asked of a format without them."""


def group_name(dim: str, group: str | None) -> str:
    """A cross-tab group as staff read it (未回答 for no answer)."""
    if dim == "residency":
        return RESIDENCY_JA.get(group or "", group or "") or NO_ANSWER
    if dim == "channel":
        return CHANNEL_NAMES.get(group or "", group or "")
    return group or NO_ANSWER


def looks_like_formula(text: str) -> bool:
    """Whether spreadsheet software could run this text as a formula (also after leading
    spaces, or typed full-width: ＝ ＋ － ＠)."""
    return unicodedata.normalize("NFKC", text).lstrip(" ").startswith(FORMULA_START)


@overload
def neutralise(value: str) -> str: ...
@overload
def neutralise(value: object) -> object: ...
def neutralise(value: object) -> object:
    """A cell value that spreadsheet software shows as text, never runs as a formula."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if looks_like_formula(value):
            return "'" + value
    return value


def _multi(survey: store.Survey) -> list[tuple[int, dict[str, Any]]]:
    return [(i, q) for i, q in enumerate(survey.questions, 1) if q["type"] == "multi"]


def header(survey: store.Survey) -> list[str]:
    """Column titles: number, day, channel, attributes, questions, one 0/1 column per choice."""
    cols = [word("col.number"), word("col.day"), word("col.channel")]
    cols += [DIM_TITLES[d] for d in ("age_band", "district", "residency")]
    cols += [
        word("col.question", n=i, text=q["text"]["ja"]) for i, q in enumerate(survey.questions, 1)
    ]
    cols += [
        word("col.flag", n=i, label=c["label"]["ja"])
        for i, q in _multi(survey)
        for c in q["choices"]
    ]
    return [neutralise(c) for c in cols]


def rows(
    session: Session,
    survey: store.Survey,
    channel: str | None = None,
    coarsen: bool | None = None,
) -> Iterator[tuple[list[Any], int | None]]:
    """(cells, resident id or None) per response (of one channel if given), streamed.

    `coarsen` (default: anonymous surveys) shows rare attribute combinations coarsened.
    """
    from handlers import privacy

    if coarsen is None:
        coarsen = survey.anonymous
    shown = privacy.coarsening(store.attribute_combos(session, survey.id, channel))
    plan = [
        (q["id"], q["type"], {c["value"]: c["label"]["ja"] for c in q.get("choices", [])})
        for q in survey.questions
    ]
    flags = [(q["id"], c["value"]) for _i, q in _multi(survey) for c in q["choices"]]
    for n, (response, answers) in enumerate(store.export_rows(session, survey.id, channel), 1):
        attrs = (response["age_band"], response["district"], response["residency"])
        if coarsen:  # a blank stays blank; a coarsened value reads （非表示）
            band, district, residency = (
                v and c for v, c in zip(attrs, shown.get(attrs, attrs), strict=True)
            )
        else:
            band, district, residency = attrs
        cells: list[Any] = [
            n,
            response["submitted_on"],
            CHANNEL_NAMES.get(response["channel"], response["channel"]),
            band or "",
            district or "",
            RESIDENCY_JA.get(residency or "", residency or ""),
        ]
        for qid, kind, labels in plan:
            values = answers.get(qid)
            if not values:
                cells.append("")
            elif kind == "scale":
                cells.append(int(values[0]))
            elif kind == "text":
                cells.append(values[0])
            else:
                cells.append(JOIN.join(labels.get(v, v) for v in values))
        for qid, value in flags:
            values = answers.get(qid)
            cells.append(None if not values else int(value in values))
        resident = None if survey.anonymous else response["resident_id"]
        yield [neutralise(c) for c in cells], resident


def _survey(session: Session, survey_id: str, channel: str | None = None) -> store.Survey:
    try:
        store.check_channel(channel)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    survey = store.get_survey(session, survey_id)
    if survey is None:
        raise ExportError(f"unknown survey {survey_id!r}")
    return survey


def export_csv(
    session: Session,
    survey_id: str,
    out: BinaryIO,
    channel: str | None = None,
    coarsen: bool | None = None,
) -> int:
    """Write the CSV (UTF-8 with BOM, CRLF) to a binary file; returns the number of responses.

    A named survey's 住民ID comes last, after an empty column (the internal-id group).
    """
    survey = _survey(session, survey_id, channel)
    named = not survey.anonymous
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header(survey) + (["", word("col.resident")] if named else []))
        count = 0
        for cells, resident in rows(session, survey, channel, coarsen):
            cells = [c.isoformat() if isinstance(c, date) else c for c in cells]
            writer.writerow(cells + (["", resident] if named else []))
            count += 1
        text.flush()
    finally:
        text.detach()
    return count


def _hidden_note(count: int | Cell) -> str:
    if count == ALSO_HIDDEN:
        return word("sum.also_hidden")
    if is_hidden(count):
        return word("sum.hidden")
    return ""


def _number(count: int | Cell) -> int | None:
    """A count for a number column: the int, or None (an empty cell) when it is hidden."""
    return number(count)


def summary_rows(
    session: Session,
    survey_id: str,
    channel: str | None = None,
    tz: tzinfo | str | None = None,
    words: str = "live",
) -> Iterator[list[Any]]:
    """The 集計 sheet: counts by channel, per choice (labels), scale statistics, cross-tabs.

    Numbers are numbers; a count hidden by the privacy rule is an empty cell, and the
    column 備考 says why. `words` as in `survey_results` ("stored": the clock's count, with
    when it was counted, or a line saying it is not counted yet).
    """
    from handlers.survey_results import survey_results

    res = survey_results(session, survey_id, by=store.ALL_DIMENSIONS, channel=channel, words=words)
    s = res["survey"]
    zone = tz or TOWN_TZ

    def local(moment: datetime) -> datetime:
        return to_local(moment, zone, naive=True)  # Excel has no time zones

    kind = word("sum.anonymous") if s["anonymous"] else word("sum.named")
    yield [word("sum.survey"), s["title"]]
    yield [word("sum.version"), s["version"], word("sum.kind"), kind]
    if channel is not None:
        yield [word("sum.filter"), word("sum.filter_channel", channel=CHANNEL_NAMES[channel])]
    shown = res["responses_shown"]
    yield [word("sum.responses"), _number(shown), _hidden_note(shown)]
    yield [word("sum.period"), local(s["opens_at"]), word("sum.until"), local(s["closes_at"])]
    if s["anonymous"]:
        yield [word("sum.caution"), word("sum.caution_anonymous")]
    yield []
    remark, count_word, share_word = word("sum.remark"), word("sum.count"), word("sum.share")
    yield [word("col.channel"), count_word, share_word, remark]
    for ch, count in res["channels_shown"].items():
        part = share(count, res["responses"])
        yield [CHANNEL_NAMES[ch], _number(count), part, _hidden_note(count)]
    yield []
    yield [word("sum.question"), word("sum.choice"), count_word, share_word, remark]
    for i, q in enumerate(res["questions"], 1):
        title = word("col.question", n=i, text=q["text"])
        for c in q.get("choices", []):
            yield [title, c["label"], _number(c["count"]), c["share"], _hidden_note(c["count"])]
        if q["type"] == "scale":
            yield [title, word("sum.mean"), q["mean"]]
            yield [title, word("sum.median"), q["median"]]
        if q["type"] == "text":
            answered = q["answered"]
            yield [title, word("sum.answered"), _number(answered), None, _hidden_note(answered)]
            for term, n in q.get("words", []):
                yield [title, word("sum.word", word=term), n]
            if q.get("words_waiting"):
                yield [title, word("sum.words_waiting")]
            elif q.get("words_counted_at"):
                yield [title, word("sum.words_counted_at"), local(q["words_counted_at"])]
    numbered = {q["id"]: (i, q) for i, q in enumerate(res["questions"], 1)}
    for dim in store.ALL_DIMENSIONS:
        title = DIM_TITLES[dim]
        yield []
        yield [word("sum.crosstab", title=title)]
        for qid, groups in res["crosstabs"][dim].items():
            i, q = numbered[qid]
            choices = q["choices"]
            yield [word("col.question", n=i, text=q["text"])]
            heads = [title, word("sum.total")]
            for c in choices:
                heads += [
                    word("sum.people", label=c["label"]),
                    word("sum.percent", label=c["label"]),
                ]
            yield [*heads, remark]
            for group, row in groups.items():
                cells: list[Any] = [group_name(dim, group), _number(row["total"])]
                hidden = is_hidden(row["total"])
                for c in choices:
                    one = row["cells"][c["value"]]
                    cells += [_number(one["count"]), one["share"]]
                    hidden = hidden or is_hidden(one["count"])
                yield [*cells, word("sum.hidden_row") if hidden else ""]


def _typed(ws: Any, value: object) -> object:
    """A write-only cell; dates and times (tz-naive, town time) carry an Excel number format."""
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return neutralise(value)


def export_xlsx(
    session: Session,
    survey_id: str,
    out: BinaryIO,
    channel: str | None = None,
    coarsen: bool | None = None,
    *,
    with_rows: bool = True,
    tz: tzinfo | str | None = None,
    words: str = "live",
) -> int:
    """Write the .xlsx (write-only, streamed): 回答 (unless `with_rows` is false), 集計, and
    内部ID for a named survey; returns the responses written (`words`: `summary_rows`)."""
    from openpyxl import Workbook

    survey = _survey(session, survey_id, channel)
    wb = Workbook(write_only=True)
    count = 0
    ids: list[tuple[int, int | None]] = []
    if with_rows:
        ws = wb.create_sheet(word("sheet.rows"))
        ws.freeze_panes = "B2"
        ws.append(header(survey))
        for cells, resident in rows(session, survey, channel, coarsen):
            ws.append([_typed(ws, c) for c in cells])
            count += 1
            if not survey.anonymous:
                ids.append((cells[0], resident))
    summary = wb.create_sheet(word("sheet.summary"))
    for row in summary_rows(session, survey_id, channel, tz, words):
        summary.append([_typed(summary, c) for c in row])
    if ids:
        internal = wb.create_sheet(word("sheet.internal"))
        internal.append([word("col.number"), word("col.resident")])
        for id_row in ids:
            internal.append(list(id_row))
    wb.save(out)
    return count


def export(
    session: Session,
    survey_id: str,
    fmt: str,
    out: BinaryIO,
    channel: str | None = None,
    *,
    with_rows: bool = True,
    coarsen: bool | None = None,
    tz: tzinfo | str | None = None,
    words: str = "live",
) -> int:
    """Export a survey (one channel's responses if given) as `csv` or `xlsx`; returns the rows.

    `with_rows=False` is the aggregate workbook (xlsx, 集計 only); `coarsen=False` keeps
    rare attribute combinations of an anonymous survey as stored (operators' CLI only);
    `words="stored"` puts the words the clock counted on 集計 (web workers: no analyser).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose csv or xlsx")
    if fmt == "csv":
        if not with_rows:
            raise ExportError("the aggregate workbook is xlsx only")
        return export_csv(session, survey_id, out, channel, coarsen)
    return export_xlsx(
        session, survey_id, out, channel, coarsen, with_rows=with_rows, tz=tz, words=words
    )
