"""Exports that open in Japanese Excel: CSV (UTF-8 with BOM) and .xlsx (responses + summary).

One row per response, one column per question (multiple choice joined with 、), the attribute
columns (回答方法 right after 回答日: LINE / Web / 紙), optionally one channel only; streamed
from one ordered query, so memory does not grow with the responses. Any text
cell that Excel could read as a formula (starting with = + - @, a tab or a carriage return) is
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import BinaryIO

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
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in xlsx cells


class ExportError(ValueError):
    """An unknown survey, format or channel."""


def group_name(dim: str, group: str | None) -> str:
    """A cross-tab group as staff read it (未回答 for no answer)."""
    if dim == "residency":
        return RESIDENCY_JA.get(group or "", group or "") or "未回答"
    if dim == "channel":
        return CHANNEL_NAMES.get(group or "", group or "")
    return group or "未回答"


def neutralise(value: object) -> object:
    """A cell value that spreadsheet software shows as text, never runs as a formula."""
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if value.startswith(FORMULA_START):
            return "'" + value
    return value


def header(survey: store.Survey) -> list[str]:
    """Column titles: number, day, channel, (resident id if named), attributes, questions."""
    cols = ["回答番号", "回答日", "回答方法"]
    if not survey.anonymous:
        cols.append("住民ID")
    cols += ["年代", "地区", "かかわり"]
    cols += [f"Q{i} {q['text']['ja']}" for i, q in enumerate(survey.questions, 1)]
    return [neutralise(c) for c in cols]


def rows(session: Session, survey: store.Survey, channel: str | None = None) -> Iterator[list]:
    """One list of cells per response (of one channel if given), streamed."""
    named = not survey.anonymous
    plan = [
        (q["id"], q["type"], {c["value"]: c["label"]["ja"] for c in q.get("choices", [])})
        for q in survey.questions
    ]
    for n, (response, answers) in enumerate(store.export_rows(session, survey.id, channel), 1):
        residency = response["residency"] or ""
        cells: list = [
            n,
            response["submitted_on"].isoformat(),
            CHANNEL_NAMES.get(response["channel"], response["channel"]),
        ]
        if named:
            cells.append(response["resident_id"])
        cells += [
            response["age_band"] or "",
            response["district"] or "",
            RESIDENCY_JA.get(residency, residency),
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
        yield [neutralise(c) for c in cells]


def _survey(session: Session, survey_id: str, channel: str | None = None) -> store.Survey:
    try:
        store.check_channel(channel)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    survey = store.get_survey(session, survey_id)
    if survey is None:
        raise ExportError(f"unknown survey {survey_id!r}")
    return survey


def export_csv(session: Session, survey_id: str, out: BinaryIO, channel: str | None = None) -> int:
    """Write the CSV (UTF-8 with BOM, CRLF) to a binary file; returns the number of responses."""
    survey = _survey(session, survey_id, channel)
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(header(survey))
        count = 0
        for row in rows(session, survey, channel):
            writer.writerow(row)
            count += 1
        text.flush()
    finally:
        text.detach()
    return count


def summary_rows(session: Session, survey_id: str, channel: str | None = None) -> Iterator[list]:
    """The summary sheet: counts by channel and shares, scale statistics, cross-tabs (<5)."""
    from handlers.survey_results import survey_results

    res = survey_results(session, survey_id, by=store.ALL_DIMENSIONS, channel=channel)
    s = res["survey"]
    yield ["アンケート", s["title"]]
    yield ["ID", s["id"], "版", s["version"], "匿名", "はい" if s["anonymous"] else "いいえ"]
    if channel is not None:
        yield ["絞り込み", f"回答方法: {CHANNEL_NAMES[channel]}のみ"]
    yield ["回答数", res["responses"]]
    yield []
    yield ["回答方法", "件数", "割合(%)"]
    for ch, count in res["channels"].items():
        yield [CHANNEL_NAMES[ch], count, store._share(count, res["responses"])]
    yield []
    yield ["質問", "選択肢", "件数", "割合(%)"]
    texts = {q["id"]: q["text"] for q in res["questions"]}
    for i, q in enumerate(res["questions"], 1):
        title = f"Q{i} {q['text']}"
        for c in q.get("choices", []):
            yield [title, c["label"], c["count"], c["share"]]
        if q["type"] == "scale":
            yield [title, "平均", q["mean"]]
            yield [title, "中央値", q["median"]]
        if q["type"] == "text":
            yield [title, "回答数", q["answered"]]
            for word, n in q.get("words", []):
                yield [title, f"頻出語: {word}", n]
    for dim in store.ALL_DIMENSIONS:
        title = DIM_TITLES[dim]
        yield []
        yield [f"クロス集計（{title}別）", "グループ", "選択肢", "件数", "割合(%)", "グループ計"]
        for qid, groups in res["crosstabs"][dim].items():
            for group, row in groups.items():
                name = group_name(dim, group)
                for value, cell in row["cells"].items():
                    yield [
                        texts[qid],
                        name,
                        value,
                        cell["count"],
                        cell["share"],
                        row["total"],
                    ]


def export_xlsx(session: Session, survey_id: str, out: BinaryIO, channel: str | None = None) -> int:
    """Write the .xlsx (write-only, streamed): sheets 回答 and 集計; returns the responses."""
    from openpyxl import Workbook

    survey = _survey(session, survey_id, channel)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("回答")
    ws.append(header(survey))
    count = 0
    for row in rows(session, survey, channel):
        ws.append(row)
        count += 1
    summary = wb.create_sheet("集計")
    for row in summary_rows(session, survey_id, channel):
        summary.append([neutralise(c) for c in row])
    wb.save(out)
    return count


def export(
    session: Session, survey_id: str, fmt: str, out: BinaryIO, channel: str | None = None
) -> int:
    """Export a survey (one channel's responses if given) as `csv` or `xlsx`; returns the rows."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose csv or xlsx")
    return (export_csv if fmt == "csv" else export_xlsx)(session, survey_id, out, channel)
