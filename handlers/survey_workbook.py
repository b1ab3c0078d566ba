"""The survey workbook: reading a filled Excel workbook back as a survey document.

`read(raw, name)` turns a filled workbook into the same document a YAML file gives, with a
`place` that names the sheet and row of every field, so that each problem the content
pipeline finds reads 「質問シート 5行目: …」. Hostile files are refused before openpyxl
opens them (size, unpacked size, XML declarations); formulas are never evaluated: a cell's
own text is read. The template staff fill in is `template(data)`
(handlers/survey_workbook_template.py); the sheets' words are
messages/survey_workbook_sheets.py, the cells' helpers handlers/survey_workbook_cells.py.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import Any

from handlers import survey_workbook_cells as xl
from handlers.content import ContentError, Document, Problem, plain_problem
from handlers.survey_workbook_cells import JST, MAX_BYTES, MAX_ROWS, MAX_UNPACKED
from handlers.survey_workbook_template import template
from messages.catalog import t
from messages.survey_workbook_sheets import (
    CHOICE_SEPARATORS,
    COL,
    EN,
    EXTRA_HEADERS,
    EXTRA_ITEMS,
    FULL_EQUALS,
    ITEM,
    ITEM_HEADER,
    ITEM_JOIN,
    ITEMS,
    LIST_SEPARATORS,
    QUESTION_HEADERS,
    QUESTION_SHEET,
    RESIDENCY,
    SURVEY_HEADERS,
    SURVEY_SHEET,
    TYPES,
    VALUE_HEADER,
)

__all__ = ["EXTRA_HEADERS", "MAX_BYTES", "MAX_ROWS", "MAX_UNPACKED", "read", "template"]


class _Places:
    """Where each field came from: the アンケート sheet's item, or the 質問 sheet's row."""

    def __init__(self) -> None:
        self.items: dict[tuple[Any, ...], str] = {}
        self.rows: dict[int, int] = {}

    def __call__(self, where: tuple[Any, ...], lang: str) -> str:
        where = tuple(where)
        if where and where[0] == "questions":
            if len(where) > 1 and where[1] in self.rows:
                return t(
                    lang, "content.place.sheet_row", sheet=QUESTION_SHEET, row=self.rows[where[1]]
                )
            return t(lang, "content.place.sheet", sheet=QUESTION_SHEET)
        key = where
        while key and key not in self.items:
            key = key[:-1]
        if key:
            return t(lang, "content.place.sheet_item", sheet=SURVEY_SHEET, item=self.items[key])
        return ""


def read(raw: bytes, name: str, tz: tzinfo = JST) -> Document:
    """A filled workbook as a `kind: survey` document; ContentError when it cannot be read."""
    if not name.lower().endswith(".xlsx"):
        raise ContentError([plain_problem("workbook.suffix", name=name)])
    if len(raw) > MAX_BYTES:
        raise ContentError([plain_problem("too_big", limit="2 MB")])
    code = xl.safe_archive(raw)
    if code:
        raise ContentError([plain_problem(code, limit=f"{MAX_UNPACKED // 1_000_000} MB")])
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(raw), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # a broken workbook: say so, whatever openpyxl raised
        raise ContentError([plain_problem("workbook.not_xlsx")]) from exc
    try:
        missing = [s for s in (SURVEY_SHEET, QUESTION_SHEET) if s not in wb.sheetnames]
        if missing:
            raise ContentError([plain_problem("workbook.missing_sheet", sheet=s) for s in missing])
        try:
            survey_rows, many_s = xl.sheet_rows(wb[SURVEY_SHEET])
            question_rows, many_q = xl.sheet_rows(wb[QUESTION_SHEET])
        except Exception as exc:  # a sheet's XML that openpyxl cannot read, whatever it raised
            raise ContentError([plain_problem("workbook.not_xlsx")]) from exc
    finally:
        wb.close()
    problems: list[str] = []  # Problems, as ContentError holds them
    for sheet, many in ((SURVEY_SHEET, many_s), (QUESTION_SHEET, many_q)):
        if many:
            problems.append(xl.problem_at(name, sheet, None, "workbook.too_many_rows", n=MAX_ROWS))
    places = _Places()
    lines: dict[tuple[Any, ...], int] = {}
    data: dict[str, Any] = {"kind": "survey"}
    doc = Document(path=name, data=data, lines=lines, place=places)
    problems += _read_survey(doc, survey_rows, tz)
    problems += _read_questions(doc, question_rows)
    if problems:
        raise ContentError(problems)
    return doc


def _read_survey(
    doc: Document, rows: Sequence[tuple[int, tuple[Any, ...]]], tz: tzinfo
) -> list[Problem]:
    name, places, data = doc.path, doc.place, doc.data
    assert isinstance(places, _Places)  # read() made the document with one
    if not rows:
        return [
            xl.problem_at(
                name, SURVEY_SHEET, 1, "workbook.header_missing", column="A", expected=ITEM_HEADER
            )
        ]
    (first, header), rows = rows[0], rows[1:]
    cols, problems = xl.columns(
        name, SURVEY_SHEET, header if first == 1 else (), SURVEY_HEADERS, ()
    )
    if problems:
        return problems
    item_col, value_col = cols[ITEM_HEADER], cols[VALUE_HEADER]
    values: dict[str, object] = {}
    for n, row in rows:
        item = xl.as_text(row[item_col]) if item_col < len(row) else ""
        value = row[value_col] if value_col < len(row) else None
        if not item:
            if not xl.blank(value):
                problems.append(xl.problem_at(name, SURVEY_SHEET, n, "workbook.item_blank"))
            continue
        if item not in ITEMS and item not in EXTRA_ITEMS:
            problems.append(
                xl.problem_at(
                    name,
                    SURVEY_SHEET,
                    n,
                    "workbook.item_unknown",
                    item=item,
                    allowed=ITEM_JOIN.join(ITEMS),
                )
            )
            continue
        if item in values:
            problems.append(xl.problem_at(name, SURVEY_SHEET, n, "workbook.item_twice", item=item))
            continue
        values[item] = value
        path = {**ITEMS, **EXTRA_ITEMS}[item]
        places.items[path] = item
        doc.lines[path] = n
    for item in ITEMS:
        if item not in values:
            problems.append(
                xl.problem_at(name, SURVEY_SHEET, None, "workbook.item_missing", item=item)
            )
    if problems:
        return problems
    places.items.setdefault(("eligibility",), ITEM["residency"])

    def has(item: str) -> bool:
        return not xl.blank(values.get(item))

    if has("ID"):
        data["id"] = xl.as_text(values["ID"])
    if has(ITEM["title"]):
        data["title"] = xl.texted(
            xl.as_text(values[ITEM["title"]]), xl.as_text(values.get(ITEM["title_en"]))
        )
    if has(ITEM["description"]):
        data["description"] = xl.texted(
            xl.as_text(values[ITEM["description"]]), xl.as_text(values.get(ITEM["description_en"]))
        )
    for item, key in ((ITEM["opens_at"], "opens_at"), (ITEM["closes_at"], "closes_at")):
        if not has(item):
            continue
        moment = xl.as_time(values[item], tz)
        if moment is None:
            problems.append(
                doc.problem([key], f"cannot read the time {xl.as_text(values[item])!r}", "time")
            )
        else:
            data[key] = moment
    if has(ITEM["anonymous"]):
        data["anonymous"] = xl.as_bool(values[ITEM["anonymous"]])
    if has(ITEM["minutes"]):
        data["minutes"] = xl.as_int(values[ITEM["minutes"]])
    eligibility: dict[str, Any] = {}
    if has(ITEM["min_age"]):
        eligibility["min_age"] = xl.as_int(values[ITEM["min_age"]])
    if has(ITEM["residency"]):
        names = [
            x.strip()
            for x in re.split(LIST_SEPARATORS, xl.as_text(values[ITEM["residency"]]))
            if x.strip()
        ]
        eligibility["residency"] = [RESIDENCY.get(x, x) for x in names]
    if eligibility:
        data["eligibility"] = eligibility
    return problems


def _read_questions(doc: Document, rows: Sequence[tuple[int, tuple[Any, ...]]]) -> list[Problem]:
    name, places = doc.path, doc.place
    assert isinstance(places, _Places)  # read() made the document with one
    if not rows or rows[0][0] != 1:
        return [
            xl.problem_at(
                name, QUESTION_SHEET, 1, "workbook.header_missing", column="A", expected="ID"
            )
        ]
    (_, header), rows = rows[0], rows[1:]
    cols, problems = xl.columns(name, QUESTION_SHEET, header, QUESTION_HEADERS, EXTRA_HEADERS)
    if problems:
        return problems

    questions = []
    for i, (n, row) in enumerate(rows):

        def cell(title: str, row: tuple[Any, ...] = row) -> Any:
            col = cols.get(title)
            return row[col] if col is not None and col < len(row) else None

        places.rows[i] = n
        doc.lines[("questions", i)] = n
        q, found = _question(doc, i, cell)
        problems += found
        questions.append(q)
    doc.data["questions"] = questions
    doc.lines.setdefault(("questions",), 1)
    return problems


def _question(
    doc: Document, i: int, cell: Callable[[str], Any]
) -> tuple[dict[str, Any], list[Problem]]:
    where: list[str | int] = ["questions", i]
    problems: list[Problem] = []
    q: dict[str, Any] = {"id": xl.as_text(cell("ID")) or f"q{i + 1}"}
    kind = xl.as_text(cell(COL["type"]))
    if kind:
        q["type"] = TYPES.get(unicodedata.normalize("NFKC", kind), kind)
    if xl.as_text(cell(COL["text"])):
        q["text"] = xl.texted(xl.as_text(cell(COL["text"])), xl.as_text(cell(COL["text_en"])))
    if not xl.blank(cell(COL["required"])):
        required = xl.as_bool(cell(COL["required"]))
        if required is not True:
            q["required"] = required
    labels = xl.as_lines(cell(COL["choices"]))
    labels = [x for x in labels if x]
    if labels:
        en = xl.as_lines(cell(COL["choices_en"]))
        values = xl.as_lines(cell(COL["values"]))
        for column, given in ((COL["choices_en"], en), (COL["values"], values)):
            if given and len(given) != len(labels):
                problems.append(
                    doc.problem(
                        [*where, "choices"],
                        f"{column} has {len(given)} lines, {COL['choices']} has {len(labels)}",
                        "workbook.lines",
                        column=column,
                        found=len(given),
                        expected=len(labels),
                    )
                )
        choices: list[str | dict[str, Any]] = []
        for j, label in enumerate(labels):
            label_en = en[j] if len(en) == len(labels) else ""
            value = values[j] if len(values) == len(labels) else ""
            if value:
                choices.append({"value": value, "label": xl.texted(label, label_en)})
            elif label_en:
                choices.append({"value": label, "label": {"ja": label, "en": label_en}})
            else:
                choices.append(label)
        q["choices"] = choices
    for title, key in (
        (COL["max_choices"], "max_choices"),
        (COL["min"], "min"),
        (COL["max"], "max"),
    ):
        if not xl.blank(cell(title)):
            q[key] = xl.as_int(cell(title))
    if not xl.blank(cell(COL["max_length"])):
        q["max_length"] = xl.as_int(cell(COL["max_length"]))
    problems += _labels(doc, where, q, cell)
    problems += _show_if(doc, where, q, cell(COL["show_if"]))
    return q, problems


def _labels(
    doc: Document, where: list[str | int], q: dict[str, Any], cell: Callable[[str], Any]
) -> list[Problem]:
    labels: dict[int, str | dict[str, str]] = {}
    problems: list[Problem] = []
    for end, key in ((COL["min_label"], "min"), (COL["max_label"], "max")):
        ja, en = xl.as_text(cell(end)), xl.as_text(cell(f"{end}{EN}"))
        if not ja:
            continue
        point = q.get(key)
        if not isinstance(point, int) or isinstance(point, bool):
            problems.append(
                doc.problem([*where, key], f"{end} needs {key}", "workbook.label_point", column=end)
            )
            continue
        labels[point] = xl.texted(ja, en)
    middle = xl.as_lines(cell(COL["middle"]))
    middle_en = xl.as_lines(cell(COL["middle_en"]))
    english = {}
    for line in middle_en:
        point, _, text = unicodedata.normalize("NFKC", line).partition("=")
        if text.strip():
            english[point.strip()] = text.strip()
    for line in middle:
        if not line:
            continue
        point, sep, text = line.replace(FULL_EQUALS, "=").partition("=")
        point = unicodedata.normalize("NFKC", point).strip()
        if not sep or not re.fullmatch(r"-?\d{1,3}", point) or not text.strip():
            problems.append(
                doc.problem(
                    [*where, "labels"], f"cannot read {line!r}", "workbook.middle_label", value=line
                )
            )
            continue
        labels[int(point)] = xl.texted(text.strip(), english.get(point, ""))
    if labels:
        q["labels"] = labels
    return problems


def _show_if(
    doc: Document, where: list[str | int], q: dict[str, Any], value: object
) -> list[Problem]:
    show: dict[str, list[str]] = {}
    problems: list[Problem] = []
    for line in xl.as_lines(value):
        if not line:
            continue
        ref, sep, choices = line.replace(FULL_EQUALS, "=").partition("=")
        ref = unicodedata.normalize("NFKC", ref).strip()
        picked = [c.strip() for c in re.split(CHOICE_SEPARATORS, choices) if c.strip()]
        if not sep or not ref or not picked:
            problems.append(
                doc.problem(
                    [*where, "show_if"], f"cannot read {line!r}", "workbook.show_if", value=line
                )
            )
        elif ref in show:
            problems.append(
                doc.problem([*where, "show_if"], f"{ref} twice", "workbook.show_if_twice", ref=ref)
            )
        else:
            show[ref] = picked
    if show:
        q["show_if"] = show
    return problems


# --- write ------------------------------------------------------------------------------
