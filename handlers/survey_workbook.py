"""The survey workbook: an Excel template staff fill in, and reading it back as a survey.

`template(data)` writes the workbook (blank, or a stored `kind: survey` document filled in);
`read(raw, name)` turns a filled workbook into the same document a YAML file gives, with a
`place` that names the sheet and row of every field, so that each problem the content
pipeline finds reads 「質問シート 5行目: …」. Hostile files are refused before openpyxl
opens them (size, unpacked size, XML declarations); formulas are never evaluated: a cell's
own text is read, and text that looks like a formula is written as text.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo

from handlers.content import ContentError, Document, Problem, parse_time, plain_problem
from handlers.survey_export import looks_like_formula
from messages import content_problems as words
from messages.catalog import t
from messages.postback import ascii_int

MAX_BYTES = 2_000_000
MAX_UNPACKED = 20_000_000
MAX_MEMBERS = 200
MAX_ROWS = 300
MAX_COLS = 40
JST = ZoneInfo("Asia/Tokyo")

SURVEY_SHEET, QUESTION_SHEET, HELP_SHEET = "アンケート", "質問", "説明"
SURVEY_HEADERS = ("項目", "値")
# アンケート sheet: item → field path (the interface's rows, then our optional ones)
ITEMS = {
    "ID": ("id",),
    "タイトル": ("title",),
    "タイトル（英語）": ("title", "en"),
    "説明": ("description",),
    "開始": ("opens_at",),
    "終了": ("closes_at",),
    "匿名": ("anonymous",),
    "最低年齢": ("eligibility", "min_age"),
    "対象": ("eligibility", "residency"),
}
EXTRA_ITEMS = {"説明（英語）": ("description", "en"), "所要時間（分）": ("minutes",)}
QUESTION_HEADERS = (
    "ID",
    "種類",
    "質問文",
    "質問文（英語）",
    "選択肢",
    "選択肢（英語）",
    "必須",
    "最大選択数",
    "最小",
    "最大",
    "最小ラベル",
    "最大ラベル",
    "最大文字数",
    "表示条件",
)
EXTRA_HEADERS = (
    "選択肢の値",
    "最小ラベル（英語）",
    "最大ラベル（英語）",
    "途中のラベル",
    "途中のラベル（英語）",
)
TYPES = {"単一選択": "single", "複数選択": "multi", "段階評価": "scale", "自由記述": "text"}
RESIDENCY = {"町内在住": "resident", "町内に通勤・通学": "commuter", "町外在住": "outside"}
YES, NO = "はい", "いいえ"
_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?$"
)
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


# --- reading cells ----------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value) -> str:
    """A cell as text (numbers without a trailing .0), line ends as \\n, ends trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat(sep=" ")
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _lines(value) -> list[str]:
    """One entry per line; inner blank lines kept (they mean "none"), trailing ones dropped."""
    out = [line.strip() for line in _text(value).split("\n")]
    while out and not out[-1]:
        out.pop()
    return out


def _int(value):
    """A whole number, or the value as typed (the schema then says it must be a number)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = unicodedata.normalize("NFKC", _text(value))
    if re.fullmatch(r"-?\d{1,9}", text):
        return int(text)
    return text


def _bool(value):
    """はい / いいえ (or an Excel TRUE / FALSE) as a boolean; anything else as typed."""
    if isinstance(value, bool):
        return value
    text = unicodedata.normalize("NFKC", _text(value))
    return {YES: True, NO: False}.get(text, text)


def _time(value, tz: tzinfo) -> str | None:
    """An Excel date or `2026-06-01 00:00` (the town's time unless an offset is given)."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=tz)
        return moment.isoformat(timespec="seconds")
    if isinstance(value, date):
        return datetime.combine(value, time(0), tz).isoformat(timespec="seconds")
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 < value < 2_958_466:
        from openpyxl.utils.datetime import from_excel

        return _time(from_excel(value), tz)
    text = unicodedata.normalize("NFKC", _text(value)).replace("/", "-").replace(".", "-")
    found = _DATE.match(text)
    if not found:
        return None
    y, mo, d, h, mi, s, offset = found.groups()
    try:
        moment = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), 0, tz)
    except ValueError:
        return None
    if offset:
        naive = moment.replace(tzinfo=None).isoformat()
        parsed = parse_time(naive + ("+00:00" if offset == "Z" else offset))
        return parsed.isoformat(timespec="seconds") if parsed else None
    return moment.isoformat(timespec="seconds")


def _texted(ja: str, en: str):
    return {"ja": ja, "en": en} if en else ja


# --- the workbook's problems ------------------------------------------------------------


def _at(name: str, sheet: str, row: int | None, code: str, **values) -> Problem:
    """A problem of the workbook itself, placed by sheet (and row)."""
    out = {}
    for lang in ("ja", "en"):
        place = (
            t(lang, "content.place.sheet_row", sheet=sheet, row=row)
            if row
            else t(lang, "content.place.sheet", sheet=sheet)
        )
        out[lang] = f"{place}: {words.sentence(lang, code, values)}"
    where = f"{sheet}!{row}" if row else sheet
    return Problem(f"{name}: {where}: {code}", out["ja"], out["en"], (), code)


def _safe_archive(raw: bytes) -> str | None:
    """None when the archive may be opened; else the problem's code."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = archive.infolist()
        if len(members) > MAX_MEMBERS or sum(m.file_size for m in members) > MAX_UNPACKED:
            return "workbook.unpacked"
        names = {m.filename for m in members}
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            return "workbook.not_xlsx"
        total = 0
        for m in members:
            if not m.filename.endswith((".xml", ".rels")):
                continue
            with archive.open(m) as f:
                tail = b""
                while chunk := f.read(65536):
                    total += len(chunk)
                    if total > MAX_UNPACKED:
                        return "workbook.unpacked"
                    seen = (tail + chunk).upper()  # a declaration split across two chunks too
                    if b"<!DOCTYPE" in seen or b"<!ENTITY" in seen:
                        return "workbook.not_xlsx"
                    tail = chunk[-16:]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError):
        return "workbook.not_xlsx"
    except Exception:  # zlib and friends: a broken archive, whatever the library raised
        return "workbook.not_xlsx"
    return None


def _rows(ws) -> tuple[list[tuple[int, tuple]], bool]:
    """(row number, values) of the non-blank rows, and whether there were too many."""
    out = []
    for n, values in enumerate(
        ws.iter_rows(min_row=1, max_row=MAX_ROWS + 50, max_col=MAX_COLS, values_only=True), 1
    ):
        if all(_blank(v) for v in values):
            continue
        if n > MAX_ROWS:
            return out, True
        out.append((n, tuple(values)))
    return out, False


def _columns(name: str, sheet: str, header: tuple, known: tuple, extra: tuple) -> tuple:
    """{header: column index} of a header row, and its problems."""
    found = {}
    problems = []
    from openpyxl.utils import get_column_letter

    for i, value in enumerate(header):
        text = _text(value)
        if text and text not in found:
            found[text] = i
    wrong_at = set()
    for i, expected in enumerate(known):
        if expected in found:
            continue
        at = _text(header[i]) if i < len(header) else ""
        if at and at not in known and at not in extra:
            wrong_at.add(i)
            problems.append(
                _at(
                    name,
                    sheet,
                    1,
                    "workbook.header_wrong",
                    column=get_column_letter(i + 1),
                    found=at,
                    expected=expected,
                )
            )
        else:
            problems.append(
                _at(
                    name,
                    sheet,
                    1,
                    "workbook.header_missing",
                    column=get_column_letter(i + 1),
                    expected=expected,
                )
            )
    for text, i in found.items():
        if text not in known and text not in extra and i not in wrong_at:
            problems.append(
                _at(
                    name,
                    sheet,
                    1,
                    "workbook.header_unknown",
                    column=get_column_letter(i + 1),
                    found=text,
                )
            )
    return found, problems


# --- read -------------------------------------------------------------------------------


class _Places:
    """Where each field came from: the アンケート sheet's item, or the 質問 sheet's row."""

    def __init__(self) -> None:
        self.items: dict[tuple, str] = {}
        self.rows: dict[int, int] = {}

    def __call__(self, where: tuple, lang: str) -> str:
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
    code = _safe_archive(raw)
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
            survey_rows, many_s = _rows(wb[SURVEY_SHEET])
            question_rows, many_q = _rows(wb[QUESTION_SHEET])
        except Exception as exc:  # a sheet's XML that openpyxl cannot read, whatever it raised
            raise ContentError([plain_problem("workbook.not_xlsx")]) from exc
    finally:
        wb.close()
    problems = []
    for sheet, many in ((SURVEY_SHEET, many_s), (QUESTION_SHEET, many_q)):
        if many:
            problems.append(_at(name, sheet, None, "workbook.too_many_rows", n=MAX_ROWS))
    places = _Places()
    lines: dict[tuple, int] = {}
    data: dict = {"kind": "survey"}
    doc = Document(path=name, data=data, lines=lines, place=places)
    problems += _read_survey(doc, survey_rows, tz)
    problems += _read_questions(doc, question_rows)
    if problems:
        raise ContentError(problems)
    return doc


def _read_survey(doc: Document, rows: list, tz: tzinfo) -> list[Problem]:
    name, places, data = doc.path, doc.place, doc.data
    if not rows:
        return [_at(name, SURVEY_SHEET, 1, "workbook.header_missing", column="A", expected="項目")]
    (first, header), rows = rows[0], rows[1:]
    cols, problems = _columns(name, SURVEY_SHEET, header if first == 1 else (), SURVEY_HEADERS, ())
    if problems:
        return problems
    item_col, value_col = cols["項目"], cols["値"]
    values: dict[str, object] = {}
    for n, row in rows:
        item = _text(row[item_col]) if item_col < len(row) else ""
        value = row[value_col] if value_col < len(row) else None
        if not item:
            if not _blank(value):
                problems.append(_at(name, SURVEY_SHEET, n, "workbook.item_blank"))
            continue
        if item not in ITEMS and item not in EXTRA_ITEMS:
            problems.append(
                _at(
                    name,
                    SURVEY_SHEET,
                    n,
                    "workbook.item_unknown",
                    item=item,
                    allowed="・".join(ITEMS),
                )
            )
            continue
        if item in values:
            problems.append(_at(name, SURVEY_SHEET, n, "workbook.item_twice", item=item))
            continue
        values[item] = value
        path = {**ITEMS, **EXTRA_ITEMS}[item]
        places.items[path] = item
        doc.lines[path] = n
    for item in ITEMS:
        if item not in values:
            problems.append(_at(name, SURVEY_SHEET, None, "workbook.item_missing", item=item))
    if problems:
        return problems
    places.items.setdefault(("eligibility",), "対象")

    def has(item: str) -> bool:
        return not _blank(values.get(item))

    if has("ID"):
        data["id"] = _text(values["ID"])
    if has("タイトル"):
        data["title"] = _texted(_text(values["タイトル"]), _text(values.get("タイトル（英語）")))
    if has("説明"):
        data["description"] = _texted(_text(values["説明"]), _text(values.get("説明（英語）")))
    for item, key in (("開始", "opens_at"), ("終了", "closes_at")):
        if not has(item):
            continue
        moment = _time(values[item], tz)
        if moment is None:
            problems.append(
                doc.problem([key], f"cannot read the time {_text(values[item])!r}", "time")
            )
        else:
            data[key] = moment
    if has("匿名"):
        data["anonymous"] = _bool(values["匿名"])
    if has("所要時間（分）"):
        data["minutes"] = _int(values["所要時間（分）"])
    eligibility = {}
    if has("最低年齢"):
        eligibility["min_age"] = _int(values["最低年齢"])
    if has("対象"):
        names = [x.strip() for x in re.split(r"[\n、,，]", _text(values["対象"])) if x.strip()]
        eligibility["residency"] = [RESIDENCY.get(x, x) for x in names]
    if eligibility:
        data["eligibility"] = eligibility
    return problems


def _read_questions(doc: Document, rows: list) -> list[Problem]:
    name, places = doc.path, doc.place
    if not rows or rows[0][0] != 1:
        return [_at(name, QUESTION_SHEET, 1, "workbook.header_missing", column="A", expected="ID")]
    (_, header), rows = rows[0], rows[1:]
    cols, problems = _columns(name, QUESTION_SHEET, header, QUESTION_HEADERS, EXTRA_HEADERS)
    if problems:
        return problems

    questions = []
    for i, (n, row) in enumerate(rows):

        def cell(title: str, row=row):
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


def _question(doc: Document, i: int, cell) -> tuple[dict, list[Problem]]:
    where = ["questions", i]
    problems = []
    q: dict = {"id": _text(cell("ID")) or f"q{i + 1}"}
    kind = _text(cell("種類"))
    if kind:
        q["type"] = TYPES.get(unicodedata.normalize("NFKC", kind), kind)
    if _text(cell("質問文")):
        q["text"] = _texted(_text(cell("質問文")), _text(cell("質問文（英語）")))
    if not _blank(cell("必須")):
        required = _bool(cell("必須"))
        if required is not True:
            q["required"] = required
    labels = _lines(cell("選択肢"))
    labels = [x for x in labels if x]
    if labels:
        en = _lines(cell("選択肢（英語）"))
        values = _lines(cell("選択肢の値"))
        for column, given in (("選択肢（英語）", en), ("選択肢の値", values)):
            if given and len(given) != len(labels):
                problems.append(
                    doc.problem(
                        [*where, "choices"],
                        f"{column} has {len(given)} lines, 選択肢 has {len(labels)}",
                        "workbook.lines",
                        column=column,
                        found=len(given),
                        expected=len(labels),
                    )
                )
        choices = []
        for j, label in enumerate(labels):
            label_en = en[j] if len(en) == len(labels) else ""
            value = values[j] if len(values) == len(labels) else ""
            if value:
                choices.append({"value": value, "label": _texted(label, label_en)})
            elif label_en:
                choices.append({"value": label, "label": {"ja": label, "en": label_en}})
            else:
                choices.append(label)
        q["choices"] = choices
    for title, key in (("最大選択数", "max_choices"), ("最小", "min"), ("最大", "max")):
        if not _blank(cell(title)):
            q[key] = _int(cell(title))
    if not _blank(cell("最大文字数")):
        q["max_length"] = _int(cell("最大文字数"))
    problems += _labels(doc, where, q, cell)
    problems += _show_if(doc, where, q, cell("表示条件"))
    return q, problems


def _labels(doc: Document, where: list, q: dict, cell) -> list[Problem]:
    labels: dict = {}
    problems = []
    for end, key in (("最小ラベル", "min"), ("最大ラベル", "max")):
        ja, en = _text(cell(end)), _text(cell(f"{end}（英語）"))
        if not ja:
            continue
        point = q.get(key)
        if not isinstance(point, int) or isinstance(point, bool):
            problems.append(
                doc.problem([*where, key], f"{end} needs {key}", "workbook.label_point", column=end)
            )
            continue
        labels[point] = _texted(ja, en)
    middle = _lines(cell("途中のラベル"))
    middle_en = _lines(cell("途中のラベル（英語）"))
    english = {}
    for line in middle_en:
        point, _, text = unicodedata.normalize("NFKC", line).partition("=")
        if text.strip():
            english[point.strip()] = text.strip()
    for line in middle:
        if not line:
            continue
        point, sep, text = line.replace("＝", "=").partition("=")
        point = unicodedata.normalize("NFKC", point).strip()
        if not sep or not re.fullmatch(r"-?\d{1,3}", point) or not text.strip():
            problems.append(
                doc.problem(
                    [*where, "labels"], f"cannot read {line!r}", "workbook.middle_label", value=line
                )
            )
            continue
        labels[int(point)] = _texted(text.strip(), english.get(point, ""))
    if labels:
        q["labels"] = labels
    return problems


def _show_if(doc: Document, where: list, q: dict, value) -> list[Problem]:
    show: dict[str, list[str]] = {}
    problems = []
    for line in _lines(value):
        if not line:
            continue
        ref, sep, choices = line.replace("＝", "=").partition("=")
        ref = unicodedata.normalize("NFKC", ref).strip()
        picked = [c.strip() for c in re.split(r"[,，]", choices) if c.strip()]
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


def _ja(value) -> str:
    return (
        str(value.get("ja", ""))
        if isinstance(value, dict)
        else ("" if value is None else str(value))
    )


def _en(value) -> str:
    return str(value.get("en") or "") if isinstance(value, dict) else ""


def _when(value, tz: tzinfo) -> str:
    """A stored time as the workbook shows it: `2026-06-01 00:00` (seconds and offset if any)."""
    moment = parse_time(str(value))
    if moment is None:
        return _text(value)
    shown = moment.strftime("%Y-%m-%d %H:%M" + (":%S" if moment.second else ""))
    if moment.utcoffset() != moment.astimezone(tz).utcoffset():
        offset = moment.strftime("%z")
        shown += f"{offset[:3]}:{offset[3:]}"
    return shown


def _put(ws, row: int, col: int, value, wrap: bool = True):
    """One cell: text that looks like a formula stays text."""
    from openpyxl.styles import Alignment

    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
        if not value:
            value = None
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def _survey_values(data: dict, tz: tzinfo) -> dict[str, object]:
    elig = data.get("eligibility") or {}
    anonymous = data.get("anonymous")
    names = {v: k for k, v in RESIDENCY.items()}
    return {
        "ID": data.get("id"),
        "タイトル": _ja(data.get("title")),
        "タイトル（英語）": _en(data.get("title")),
        "説明": _ja(data.get("description")),
        "開始": _when(data["opens_at"], tz) if data.get("opens_at") else None,
        "終了": _when(data["closes_at"], tz) if data.get("closes_at") else None,
        "匿名": None if anonymous is None else (YES if anonymous else NO),
        "最低年齢": elig.get("min_age"),
        "対象": "\n".join(names.get(r, r) for r in elig.get("residency") or []),
        "説明（英語）": _en(data.get("description")),
        "所要時間（分）": data.get("minutes"),
    }


def _question_values(q: dict) -> dict[str, object]:
    kinds = {v: k for k, v in TYPES.items()}
    choices = q.get("choices") or []
    out = {
        "ID": q.get("id"),
        "種類": kinds.get(q.get("type"), q.get("type")),
        "質問文": _ja(q.get("text")),
        "質問文（英語）": _en(q.get("text")),
        "必須": NO if q.get("required") is False else YES,
        "最大選択数": q.get("max_choices"),
        "最小": q.get("min"),
        "最大": q.get("max"),
        "最大文字数": q.get("max_length"),
        "表示条件": "\n".join(
            f"{ref}={','.join(map(str, vals))}" for ref, vals in (q.get("show_if") or {}).items()
        ),
    }
    if choices:
        labels = [c.get("label") if isinstance(c, dict) else c for c in choices]
        out["選択肢"] = "\n".join(_ja(label) for label in labels)
        if any(_en(label) for label in labels):
            out["選択肢（英語）"] = "\n".join(_en(label) for label in labels)
        if any(isinstance(c, dict) for c in choices):
            out["選択肢の値"] = "\n".join(
                str(c["value"]) if isinstance(c, dict) else "" for c in choices
            )
    middle, middle_en = [], []
    for key, label in (q.get("labels") or {}).items():
        point = ascii_int(str(key), signed=True)
        point = key if point is None else point
        if point == q.get("min"):
            out["最小ラベル"], out["最小ラベル（英語）"] = _ja(label), _en(label)
        elif point == q.get("max"):
            out["最大ラベル"], out["最大ラベル（英語）"] = _ja(label), _en(label)
        else:
            middle.append(f"{key}={_ja(label)}")
            if _en(label):
                middle_en.append(f"{key}={_en(label)}")
    out["途中のラベル"] = "\n".join(middle)
    out["途中のラベル（英語）"] = "\n".join(middle_en)
    return out


SURVEY_HELP = {
    "ID": (
        "半角の英小文字・数字・ハイフン。"
        "同じ ID のブックを上げると、そのアンケートが更新されます。",
        "resident-2027",
    ),
    "タイトル": ("LINE のアンケート一覧に出る名前。", "町民アンケート 2027"),
    "タイトル（英語）": ("英語で使う人向け（空欄でもかまいません）。", "Resident survey 2027"),
    "説明": ("アンケートの最初に出る説明。", "まちの住みやすさについてお聞きします。"),
    "開始": ("受付開始の日時（日本時間）。", "2027-06-01 00:00"),
    "終了": ("受付終了の日時（日本時間）。", "2027-07-31 23:59"),
    "匿名": ("「はい」（空欄も同じ）なら、回答はだれのものか分かりません。", "はい"),
    "最低年齢": ("この年齢以上の人だけが答えます。空欄ならだれでも。", "16"),
    "対象": ("空欄ならだれでも。町内在住・町内に通勤・通学・町外在住から、1行に1つ。", "町内在住"),
    "説明（英語）": ("（この行はなくてもかまいません）説明の英語。", "About living in our town."),
    "所要時間（分）": (
        "（この行はなくてもかまいません）回答にかかる目安の分数。空欄なら質問数から計算します。",
        "3",
    ),
}
QUESTION_HELP = {
    "ID": (
        "質問の ID（半角）。空欄なら q1, q2, … と順に付きます。表示条件で使います。",
        "sumiyasusa",
    ),
    "種類": ("単一選択・複数選択・段階評価・自由記述から選びます。", "単一選択"),
    "質問文": ("LINE に出る質問。", "まちは住みやすいと思いますか"),
    "質問文（英語）": (
        "英語で使う人向け（空欄でもかまいません）。",
        "Is our town a good place to live?",
    ),
    "選択肢": (
        "単一選択・複数選択の選択肢。1行に1つ（Alt+Enter で改行）。",
        "住みやすい\nやや住みにくい\n住みにくい",
    ),
    "選択肢（英語）": (
        "選択肢と同じ行数で、同じ順に。空欄でもかまいません。",
        "Good\nNot so good\nBad",
    ),
    "必須": ("「はい」（空欄も同じ）か「いいえ」。いいえならスキップできます。", "はい"),
    "最大選択数": ("複数選択で選べる数の上限。", "3"),
    "最小": ("段階評価のいちばん小さい数。", "0"),
    "最大": ("段階評価のいちばん大きい数（最小から10段階まで）。", "10"),
    "最小ラベル": ("最小の数の意味。", "まったくそう思わない"),
    "最大ラベル": ("最大の数の意味。", "とてもそう思う"),
    "最大文字数": ("自由記述の文字数の上限（空欄なら500）。", "300"),
    "表示条件": (
        "前の質問の答えによって出すとき。「質問ID=選択肢,選択肢」を1行に1つ。すべて満たすと出ます。",
        "sumiyasusa=やや住みにくい,住みにくい",
    ),
    "選択肢の値": (
        "（なくてもかまいません）集計に使う選択肢の値（半角）。選択肢と同じ行数で。",
        "good\nfair\nbad",
    ),
    "最小ラベル（英語）": ("（なくてもかまいません）最小ラベルの英語。", "Not at all"),
    "最大ラベル（英語）": ("（なくてもかまいません）最大ラベルの英語。", "Very much"),
    "途中のラベル": (
        "（なくてもかまいません）最小と最大のあいだの数の意味。「数=ラベル」を1行に1つ。",
        "5=どちらともいえない",
    ),
    "途中のラベル（英語）": (
        "（なくてもかまいません）途中のラベルの英語。「数=ラベル」。",
        "5=Neither",
    ),
}


def _fit(ws, row: int, values) -> None:
    """A row tall enough for its longest cell (Excel and LibreOffice do not always refit)."""
    lines = max((str(v).count("\n") + 1 for v in values if isinstance(v, str)), default=1)
    if lines > 1:
        ws.row_dimensions[row].height = 16 * lines + 4


def template(data: dict | None, tz: tzinfo = JST) -> bytes:
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
        cell = _put(ws, 1, col, title)
        cell.font, cell.fill = bold, fill
    values = _survey_values(data, tz)
    rows = {}
    for r, item in enumerate([*ITEMS, *EXTRA_ITEMS], 2):
        _put(ws, r, 1, item).font = bold
        _put(ws, r, 2, values.get(item))
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
        errorTitle="匿名",
        error="「はい」か「いいえ」を選んでください。",
    )
    ws.add_data_validation(yes_no)
    yes_no.add(f"B{rows['匿名']}")

    wq = wb.create_sheet(QUESTION_SHEET)
    headers = [*QUESTION_HEADERS, *EXTRA_HEADERS]
    widths = {"ID": 14, "種類": 12, "質問文": 40, "質問文（英語）": 30, "選択肢": 30}
    widths |= {"選択肢（英語）": 24, "表示条件": 34, "選択肢の値": 16, "途中のラベル": 20}
    for col, title in enumerate(headers, 1):
        cell = _put(wq, 1, col, title)
        cell.font, cell.fill = bold, fill
        wq.column_dimensions[get_column_letter(col)].width = widths.get(title, 12)
    questions = data.get("questions") or []
    for r, q in enumerate(questions, 2):
        qv = _question_values(q if isinstance(q, dict) else {})
        for col, title in enumerate(headers, 1):
            _put(wq, r, col, qv.get(title))
        _fit(wq, r, qv.values())
    for r in range(len(questions) + 2, 62):  # blank rows ready to type in, wrapped
        for col in range(1, len(headers) + 1):
            _put(wq, r, col, None)
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
        errorTitle="種類",
        error="単一選択・複数選択・段階評価・自由記述から選んでください。",
    )
    required = DataValidation(
        type="list",
        formula1=f'"{YES},{NO}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="必須",
        error="「はい」か「いいえ」を選んでください。",
    )
    for dv, title in ((kinds, "種類"), (required, "必須")):
        wq.add_data_validation(dv)
        letter = get_column_letter(headers.index(title) + 1)
        dv.add(f"{letter}2:{letter}{last}")

    _help_sheet(wb.create_sheet(HELP_SHEET), headers, bold, fill)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _help_sheet(ws, headers: list[str], bold, fill) -> None:
    from openpyxl.utils import get_column_letter

    lines = [
        "アンケートを Excel で作るブックです。アンケートシートと質問シートに書いて、コンソールの"
        "「Excel で作る」からアップロードします（このシートは読み込みません）。",
        "シート名と1行目の見出しは変えないでください。"
        "1つのセルに何行か書くときは Alt+Enter で改行します。",
        "問題があると「質問シート 5行目: …」のように、場所と直し方が表示されます。",
    ]
    r = 1
    for line in lines:
        _put(ws, r, 1, line, wrap=False)
        r += 1
    r += 1
    for col, title in enumerate(("アンケートシートの項目", "書き方", "例"), 1):
        cell = _put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    for item, (how, example) in SURVEY_HELP.items():
        r += 1
        _put(ws, r, 1, item)
        _put(ws, r, 2, how)
        _put(ws, r, 3, example)
    r += 2
    for col, title in enumerate(("質問シートの列", "書き方", "例"), 1):
        cell = _put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    for title, (how, example) in QUESTION_HELP.items():
        r += 1
        _put(ws, r, 1, title)
        _put(ws, r, 2, how)
        _put(ws, r, 3, example)
    r += 2
    _put(ws, r, 1, "例: 質問シートの1行（単一選択の質問）", wrap=False).font = bold
    r += 1
    for col, title in enumerate(headers, 1):
        cell = _put(ws, r, col, title)
        cell.font, cell.fill = bold, fill
    example = {
        "ID": "sumiyasusa",
        "種類": "単一選択",
        "質問文": "まちは住みやすいと思いますか",
        "質問文（英語）": "Is our town a good place to live?",
        "選択肢": "住みやすい\nやや住みにくい\n住みにくい",
        "選択肢（英語）": "Good\nNot so good\nBad",
        "必須": "はい",
    }
    r += 1
    for col, title in enumerate(headers, 1):
        _put(ws, r, col, example.get(title))
    for col, width in enumerate((22, 60, 30), 1):
        ws.column_dimensions[get_column_letter(col)].width = width
