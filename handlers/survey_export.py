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
from datetime import date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from db import surveys as store

FORMATS = ("csv", "xlsx")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
JOIN = "、"
RESIDENCY_JA = {"resident": "町内在住", "commuter": "町内に通勤・通学", "outside": "町外在住"}
CHANNEL_NAMES = {"line": "LINE", "web": "Web", "paper": "紙"}  # 回答方法, as staff read it
DIM_TITLES = {
    "age_band": "年代",
    "district": "地区",
    "residency": "かかわり",
    "channel": "回答方法",
}
DATE_FORMAT = "yyyy/mm/dd"
DATETIME_FORMAT = "yyyy/mm/dd hh:mm"
ONE_HOT = re.compile(r"^Q\d+「.*」$")  # a 0/1 column of one choice (the paper import skips it)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in xlsx cells


class ExportError(ValueError):
    """An unknown survey, format or channel, or rows asked of a format without them."""


def group_name(dim: str, group: str | None) -> str:
    """A cross-tab group as staff read it (未回答 for no answer)."""
    if dim == "residency":
        return RESIDENCY_JA.get(group or "", group or "") or "未回答"
    if dim == "channel":
        return CHANNEL_NAMES.get(group or "", group or "")
    return group or "未回答"


def looks_like_formula(text: str) -> bool:
    """Whether spreadsheet software could run this text as a formula (also after leading
    spaces, or typed full-width: ＝ ＋ － ＠)."""
    return unicodedata.normalize("NFKC", text).lstrip(" ").startswith(FORMULA_START)


def neutralise(value: object) -> object:
    """A cell value that spreadsheet software shows as text, never runs as a formula."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if looks_like_formula(value):
            return "'" + value
    return value


def _multi(survey: store.Survey) -> list[tuple[int, dict]]:
    return [(i, q) for i, q in enumerate(survey.questions, 1) if q["type"] == "multi"]


def header(survey: store.Survey) -> list[str]:
    """Column titles: number, day, channel, attributes, questions, one 0/1 column per choice."""
    cols = ["回答番号", "回答日", "回答方法", "年代", "地区", "かかわり"]
    cols += [f"Q{i} {q['text']['ja']}" for i, q in enumerate(survey.questions, 1)]
    cols += [f"Q{i}「{c['label']['ja']}」" for i, q in _multi(survey) for c in q["choices"]]
    return [neutralise(c) for c in cols]


def rows(
    session: Session,
    survey: store.Survey,
    channel: str | None = None,
    coarsen: bool | None = None,
) -> Iterator[tuple[list, int | None]]:
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
            attrs = tuple(v and c for v, c in zip(attrs, shown.get(attrs, attrs), strict=True))
        band, district, residency = attrs
        cells: list = [
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
        writer.writerow(header(survey) + (["", "住民ID"] if named else []))
        count = 0
        for cells, resident in rows(session, survey, channel, coarsen):
            cells = [c.isoformat() if isinstance(c, date) else c for c in cells]
            writer.writerow(cells + (["", resident] if named else []))
            count += 1
        text.flush()
    finally:
        text.detach()
    return count


def _hidden_note(count: object) -> str:
    from handlers import privacy

    if count == store.SUPPRESSED:
        return f"{store.SUPPRESS_BELOW}人未満"
    if count == privacy.ALSO_HIDDEN:
        return "合計から5人未満の欄がわかるため非表示"
    return ""


def _number(count: object) -> int | None:
    """A count for a number column: the int, or None (an empty cell) when it is hidden."""
    return count if isinstance(count, int) else None


def summary_rows(
    session: Session, survey_id: str, channel: str | None = None, tz=None
) -> Iterator[list]:
    """The 集計 sheet: counts by channel, per choice (labels), scale statistics, cross-tabs.

    Numbers are numbers; a count hidden by the privacy rule is an empty cell, and the
    column 備考 says why.
    """
    from handlers.survey_results import survey_results

    res = survey_results(session, survey_id, by=store.ALL_DIMENSIONS, channel=channel)
    s = res["survey"]
    zone = tz or ZoneInfo("Asia/Tokyo")

    def local(moment: datetime) -> datetime:
        return moment.astimezone(zone).replace(tzinfo=None)  # Excel has no time zones

    yield ["アンケート", s["title"]]
    yield ["版", s["version"], "種類", "匿名" if s["anonymous"] else "記名"]
    if channel is not None:
        yield ["絞り込み", f"回答方法: {CHANNEL_NAMES[channel]}のみ"]
    yield ["回答数", _number(res["responses_shown"]), _hidden_note(res["responses_shown"])]
    yield ["受付期間", local(s["opens_at"]), "〜", local(s["closes_at"])]
    if s["anonymous"]:
        yield [
            "注意",
            f"匿名のアンケートのため、{store.SUPPRESS_BELOW}人未満の人数は空欄にしています"
            "（備考に理由）。",
        ]
    yield []
    yield ["回答方法", "件数", "割合(%)", "備考"]
    for ch, count in res["channels_shown"].items():
        hidden = not isinstance(count, int)
        share = None if hidden else store._share(count, res["responses"])
        yield [CHANNEL_NAMES[ch], _number(count), share, _hidden_note(count)]
    yield []
    yield ["質問", "選択肢", "件数", "割合(%)", "備考"]
    for i, q in enumerate(res["questions"], 1):
        title = f"Q{i} {q['text']}"
        for c in q.get("choices", []):
            yield [title, c["label"], _number(c["count"]), c["share"], _hidden_note(c["count"])]
        if q["type"] == "scale":
            yield [title, "平均", q["mean"]]
            yield [title, "中央値", q["median"]]
        if q["type"] == "text":
            yield [title, "回答数", _number(q["answered"]), None, _hidden_note(q["answered"])]
            for word, n in q.get("words", []):
                yield [title, f"頻出語: {word}", n]
    numbered = {q["id"]: (i, q) for i, q in enumerate(res["questions"], 1)}
    for dim in store.ALL_DIMENSIONS:
        title = DIM_TITLES[dim]
        yield []
        yield [f"クロス集計（{title}別）"]
        for qid, groups in res["crosstabs"][dim].items():
            i, q = numbered[qid]
            choices = q["choices"]
            yield [f"Q{i} {q['text']}"]
            heads = [title, "計"]
            for c in choices:
                heads += [f"{c['label']}（人）", f"{c['label']}（%）"]
            yield [*heads, "備考"]
            for group, row in groups.items():
                cells: list = [group_name(dim, group), _number(row["total"])]
                hidden = row["total"] == store.SUPPRESSED
                for c in choices:
                    cell = row["cells"][c["value"]]
                    cells += [_number(cell["count"]), cell["share"]]
                    hidden = hidden or not isinstance(cell["count"], int)
                yield [*cells, f"{store.SUPPRESS_BELOW}人未満の欄は空欄" if hidden else ""]


def _typed(ws, value: object):
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
    tz=None,
) -> int:
    """Write the .xlsx (write-only, streamed): 回答 (unless `with_rows` is false), 集計, and
    内部ID for a named survey; returns the responses written."""
    from openpyxl import Workbook

    survey = _survey(session, survey_id, channel)
    wb = Workbook(write_only=True)
    count = 0
    ids: list[tuple[int, int | None]] = []
    if with_rows:
        ws = wb.create_sheet("回答")
        ws.freeze_panes = "B2"
        ws.append(header(survey))
        for cells, resident in rows(session, survey, channel, coarsen):
            ws.append([_typed(ws, c) for c in cells])
            count += 1
            if not survey.anonymous:
                ids.append((cells[0], resident))
    summary = wb.create_sheet("集計")
    for row in summary_rows(session, survey_id, channel, tz):
        summary.append([_typed(summary, c) for c in row])
    if ids:
        internal = wb.create_sheet("内部ID")
        internal.append(["回答番号", "住民ID"])
        for row in ids:
            internal.append(list(row))
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
    tz=None,
) -> int:
    """Export a survey (one channel's responses if given) as `csv` or `xlsx`; returns the rows.

    `with_rows=False` is the aggregate workbook (xlsx, 集計 only); `coarsen=False` keeps
    rare attribute combinations of an anonymous survey as stored (operators' CLI only).
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose csv or xlsx")
    if fmt == "csv":
        if not with_rows:
            raise ExportError("the aggregate workbook is xlsx only")
        return export_csv(session, survey_id, out, channel, coarsen)
    return export_xlsx(session, survey_id, out, channel, coarsen, with_rows=with_rows, tz=tz)
