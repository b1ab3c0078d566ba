"""The survey workbook: template, import (CLI, console), plain-Japanese refusals, hostile files."""

from __future__ import annotations

import copy
import io
import json
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.config import ROOT
from db.models import ContentItem
from db.session import transaction
from db.surveys import Survey, stored_answers, write_response
from handlers import content
from handlers import survey_workbook as workbook
from handlers.survey_content import definition
from tests.survey_helpers import NOW, SURVEY, apply_survey
from tests.test_console import PASSWORD, as_role, audit_rows, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401  (fixtures)

DEMO = ROOT / "content" / "demo"
TEST = content.parse(SURVEY.replace("ANON", "true"), "s.yml").data
MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def stored(app, survey_id: str) -> ContentItem | None:
    with app.extensions["machikoe"].sessions() as s:
        item = s.scalar(
            select(ContentItem).where(ContentItem.kind == "survey", ContentItem.key == survey_id)
        )
        if item is not None:
            s.expunge(item)
        return item


def survey_count(app) -> int:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(select(func.count()).select_from(Survey))


def edit(raw: bytes, change) -> bytes:
    """The workbook with `change(wb)` applied, as staff would in Excel."""
    wb = load_workbook(io.BytesIO(raw))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled(**changes) -> bytes:
    """The test survey's workbook; `changes` maps 'sheet!A1' to a new cell value."""

    def change(wb):
        for ref, value in changes.items():
            sheet, cell = ref.split("!")
            wb[sheet][cell] = value

    return edit(workbook.template(json.loads(json.dumps(TEST))), change)


def plain(problems) -> list[str]:
    return [getattr(p, "plain", p) for p in problems]


def refusals(raw: bytes, name: str = "s.xlsx") -> list[str]:
    with pytest.raises(content.ContentError) as exc:
        workbook.read(raw, name)
    return plain(exc.value.problems)


# --- the template -------------------------------------------------------------------------


def test_the_blank_template_has_the_interface_sheets_headers_and_drop_downs():
    wb = load_workbook(io.BytesIO(workbook.template(None)))
    assert wb.sheetnames == ["アンケート", "質問", "説明"]
    ws, wq = wb["アンケート"], wb["質問"]
    assert [c.value for c in ws[1]] == ["項目", "値"]
    items = [ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)]
    assert items[:7] == ["ID", "タイトル", "タイトル（英語）", "説明", "開始", "終了", "匿名"]
    assert items[7:] == ["最低年齢", "対象", "説明（英語）", "所要時間（分）"]
    headers = [c.value for c in wq[1]]
    assert headers[:14] == [
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
    ]
    assert headers[14:] == list(workbook.EXTRA_HEADERS)
    assert wq.freeze_panes == "C2" and ws.freeze_panes == "A2"
    lists = {
        (sheet.title, str(dv.sqref)): dv.formula1
        for sheet in (ws, wq)
        for dv in sheet.data_validations.dataValidation
    }
    assert lists == {
        ("アンケート", "B8"): '"はい,いいえ"',
        ("質問", "B2:B300"): '"単一選択,複数選択,段階評価,自由記述"',
        ("質問", "G2:G300"): '"はい,いいえ"',
    }
    assert wq["C2"].alignment.wrap_text and wq.column_dimensions["C"].width >= 30
    help_text = [c.value for row in wb["説明"].iter_rows() for c in row if c.value]
    for header in [*headers, *items]:
        assert header in help_text, header
    assert "まちは住みやすいと思いますか" in help_text  # the example row


def test_a_workbook_typed_by_staff_becomes_the_yaml_format():
    def fill(wb):
        ws, wq = wb["アンケート"], wb["質問"]
        for row, value in {
            2: "mirai-2027",
            3: "まちの未来アンケート",
            4: "Our future",
            5: "説明の1行目\n2行目",
            6: datetime(2027, 6, 1, 0, 0),  # noqa: DTZ001 (an Excel date: the town's time)
            7: "2027/7/31 23:59:30",
            8: "いいえ",
            9: 18,
            10: "町内在住\n町内に通勤・通学",
            11: "About it",
            12: "４",
        }.items():
            ws.cell(row=row, column=2, value=value)
        rows = [
            [None, "単一選択", "住みやすい？", None, "はい\nいいえ", "Yes\nNo", None],
            [None, "複数選択", "理由", None, "店\n道", None, "いいえ", 2],
            ["happy", "段階評価", "幸せ？", "Happy?"] + [None] * 4 + [1, 5, "不幸", "幸せ"],
            [None, "自由記述", "ご意見", None, None, None, "いいえ"] + [None] * 5 + [300],
        ]
        for r, values in enumerate(rows, 2):
            for c, value in enumerate(values, 1):
                wq.cell(row=r, column=c, value=value)
        wq["N3"] = "q1=いいえ"
        wq["O3"] = "shop\nroad"
        wq["P4"], wq["Q4"], wq["R4"], wq["S4"] = "Unhappy", "Happy", "3=ふつう", "3=So-so"

    doc = workbook.read(edit(workbook.template(None), fill), "mine.xlsx")
    assert doc.data == {
        "kind": "survey",
        "id": "mirai-2027",
        "title": {"ja": "まちの未来アンケート", "en": "Our future"},
        "description": {"ja": "説明の1行目\n2行目", "en": "About it"},
        "opens_at": "2027-06-01T00:00:00+09:00",
        "closes_at": "2027-07-31T23:59:30+09:00",
        "anonymous": False,
        "minutes": 4,
        "eligibility": {"min_age": 18, "residency": ["resident", "commuter"]},
        "questions": [
            {
                "id": "q1",
                "type": "single",
                "text": "住みやすい？",
                "choices": [
                    {"value": "はい", "label": {"ja": "はい", "en": "Yes"}},
                    {"value": "いいえ", "label": {"ja": "いいえ", "en": "No"}},
                ],
            },
            {
                "id": "q2",
                "type": "multi",
                "text": "理由",
                "required": False,
                "choices": [{"value": "shop", "label": "店"}, {"value": "road", "label": "道"}],
                "max_choices": 2,
                "show_if": {"q1": ["いいえ"]},
            },
            {
                "id": "happy",
                "type": "scale",
                "text": {"ja": "幸せ？", "en": "Happy?"},
                "min": 1,
                "max": 5,
                "labels": {
                    1: {"ja": "不幸", "en": "Unhappy"},
                    5: {"ja": "幸せ", "en": "Happy"},
                    3: {"ja": "ふつう", "en": "So-so"},
                },
            },
            {"id": "q4", "type": "text", "text": "ご意見", "required": False, "max_length": 300},
        ],
    }
    again = workbook.read(workbook.template(doc.data), "again.xlsx")
    assert again.data == doc.data  # and it writes back the same


def test_formula_looking_text_is_written_as_text_and_read_back_identically():
    data = copy.deepcopy(TEST)
    data["title"] = '=HYPERLINK("http://example.com","押して")'
    data["questions"][0]["text"] = "+1 と思いますか"
    data["questions"][0]["choices"] = ["-", "@そう思う", "=1+1", "ふつう"]
    raw = workbook.template(data)
    wb = load_workbook(io.BytesIO(raw))
    for cell in (wb["アンケート"]["B3"], wb["質問"]["C2"], wb["質問"]["E2"]):
        assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
    assert workbook.read(raw, "f.xlsx").data == data
    # a real formula typed in Excel is read as its own text, never evaluated
    typed = filled(**{"アンケート!B3": "=1+1"})
    assert load_workbook(io.BytesIO(typed))["アンケート"]["B3"].data_type == "f"
    assert workbook.read(typed, "t.xlsx").data["title"] == {"ja": "=1+1", "en": "Test survey"}


# --- the command line: round trips --------------------------------------------------------


@pytest.mark.parametrize("name", ["resident-2026", "wellbeing-2026"])
def test_demo_surveys_round_trip_through_the_command_line(app, runner, tmp_path, name):
    applied = runner.invoke(args=["content", "apply", str(DEMO / f"survey-{name}.yml")])
    assert applied.exit_code == 0, applied.output
    before = stored(app, name)
    with app.extensions["machikoe"].sessions() as s:
        version = s.get(Survey, name).version
    out = tmp_path / "book.xlsx"
    made = runner.invoke(args=["surveys", "template", name, "--output", str(out)])
    assert made.exit_code == 0, made.output
    result = runner.invoke(args=["surveys", "import", str(out)])
    assert result.exit_code == 0, result.output
    assert "0 created, 0 updated, 1 unchanged" in result.output
    after = stored(app, name)
    assert after.data == before.data and after.digest == before.digest
    yaml_doc = content.parse((DEMO / f"survey-{name}.yml").read_text("utf-8"), "x")
    read_back = workbook.read(out.read_bytes(), "book.xlsx")
    assert content.digest(read_back.data) == content.digest(yaml_doc.data)
    assert definition(read_back.data) == definition(json.loads(json.dumps(yaml_doc.data)))
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Survey, name).version == version


def test_import_creates_a_new_survey_and_audits_it(app, runner, tmp_path):
    raw = filled(**{"アンケート!B2": "copy-2027"})
    path = tmp_path / "copy.xlsx"
    path.write_bytes(raw)
    result = runner.invoke(args=["surveys", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "survey copy-2027: 1 created" in result.output
    with app.extensions["machikoe"].sessions() as s:
        sv = s.get(Survey, "copy-2027")
        assert sv.title == "町民アンケート（テスト）" and len(sv.definition["questions"]) == 4
    assert [r.target for r in audit_rows(app, "content.survey")] == ["copy-2027"]


def test_command_line_refusals_store_and_write_nothing(app, runner, tmp_path):
    tmp_path = tmp_path / "files"
    tmp_path.mkdir()
    out = tmp_path / "t.xlsx"
    unknown = runner.invoke(args=["surveys", "template", "nope", "--output", str(out)])
    assert unknown.exit_code == 1 and "unknown survey 'nope'" in unknown.output
    suffix = runner.invoke(args=["surveys", "template", "--output", str(tmp_path / "t.csv")])
    assert suffix.exit_code == 1 and ".xlsx" in suffix.output
    assert list(tmp_path.iterdir()) == []
    yml = tmp_path / "s.yml"
    yml.write_text(SURVEY, encoding="utf-8")
    wrong = runner.invoke(args=["surveys", "import", str(yml)])
    assert wrong.exit_code == 1 and "nothing applied" in wrong.output
    missing = runner.invoke(args=["surveys", "import", str(tmp_path / "none.xlsx")])
    assert missing.exit_code == 1 and "cannot be read" in missing.output
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(filled(**{"質問!B5": "slider"}))
    refused = runner.invoke(args=["surveys", "import", str(bad)])
    assert refused.exit_code == 1
    assert (
        "質問シート 5行目: 種類「slider」は使えません。"
        "単一選択・複数選択・段階評価・自由記述から選んでください。"
    ) in refused.output
    assert "nothing applied: 1 problem(s)" in refused.output
    assert survey_count(app) == 0 and audit_rows(app, "content.survey") == []


# --- refusals, each in plain Japanese -----------------------------------------------------


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _with_member(raw: bytes, name: str, data: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(raw))
    members = {m: src.read(m) for m in src.namelist()}
    members[name] = data
    return _zip(members)


def test_field_problems_name_the_sheet_and_row(app):
    cases = {
        "質問!B5": (
            "slider",
            "質問シート 5行目: 種類「slider」は使えません。"
            "単一選択・複数選択・段階評価・自由記述から選んでください。",
        ),
        "質問!N3": (
            "livability=とても住みにくい",
            "質問シート 3行目: 表示条件: 「まちは住みやすいと思いますか」に"
            "「とても住みにくい」という選択肢はありません。",
        ),
        "質問!G2": ("必要", "質問シート 2行目: 必須は「はい」か「いいえ」で入力してください。"),
        "アンケート!B10": (
            "町内在住\n町外",
            "アンケートシート「対象」: 対象（かかわり）「町外」は使えません。"
            "町内在住・町内に通勤・通学・町外在住から選んでください。",
        ),
        "アンケート!B2": (
            "Test 2026",
            "アンケートシート「ID」: ID「Test 2026」は使えません。",
        ),
    }
    with app.extensions["machikoe"].sessions() as s:
        for ref, (value, expected) in cases.items():
            doc = workbook.read(filled(**{ref: value}), "s.xlsx")
            found = plain(content.validate(doc, s))
            assert len(found) == 1 and found[0].startswith(expected), (ref, found)
    assert survey_count(app) == 0


def test_reading_problems_in_plain_japanese():
    en_lines = filled(**{"質問!F2": "Good\nBad"})
    assert refusals(en_lines) == [
        "質問シート 2行目: 選択肢（英語）の行数（2行）が選択肢の行数（4行）と合いません。"
        "同じ数だけ、同じ順に1行に1つずつ書くか、空欄にしてください。"
    ]
    assert refusals(filled(**{"アンケート!B6": "来月の1日"})) == [
        "アンケートシート「開始」: 開始の日時が読めません。例: 2026-06-01 09:00"
    ]
    assert refusals(filled(**{"アンケート!B7": "2026-13-45 25:00"})) == [
        "アンケートシート「終了」: 終了の日時が読めません。例: 2026-06-01 09:00"
    ]
    no_sheet = edit(workbook.template(TEST), lambda wb: wb.remove(wb["質問"]))
    assert refusals(no_sheet) == [
        "「質問」シートがありません。テンプレートをダウンロードして、シート名を変えずに使ってください。"
    ]
    assert refusals(filled(**{"質問!C1": "質問"})) == [
        "質問シート 1行目: C列の見出しが「質問」になっています。「質問文」にしてください。"
    ]
    assert refusals(filled(**{"アンケート!A9": "年齢"}))[0] == (
        "アンケートシート 9行目: 項目「年齢」はありません。"
        "ID・タイトル・タイトル（英語）・説明・開始・終了・匿名・最低年齢・対象のどれかにしてください。"
    )
    assert refusals(filled(**{"質問!N3": "livability"})) == [
        "質問シート 3行目: 表示条件「livability」が読めません。"
        "「質問のID=選択肢」の形で1行に1つずつ書いてください"
        "（例: sumiyasusa=やや住みにくい,住みにくい）。"
    ]
    assert refusals(filled(**{"質問!I4": None}))[0].startswith(
        "質問シート 4行目: 最小ラベルを書くときは、段階評価の最小も数字で入力してください。"
    )


NOT_XLSX = (
    "Excel のブック（.xlsx）として読めません。Excel で開いて「Excel ブック (*.xlsx)」で"
    "保存し直してください。"
)


def test_files_that_are_not_workbooks_are_refused():
    assert refusals(b"kind: survey\n") == [NOT_XLSX]
    assert refusals(_zip({"hello.txt": b"hi"})) == [NOT_XLSX]
    assert refusals(workbook.template(TEST)[:3000]) == [NOT_XLSX]
    garbled = _with_member(workbook.template(TEST), "xl/worksheets/sheet2.xml", b"<worksheet><s")
    assert refusals(garbled) == [NOT_XLSX]
    assert refusals(workbook.template(TEST), "s.yml") == [
        "Excel のブック（.xlsx）を選んでください（選んだファイル: s.yml）。"
    ]
    assert refusals(b"PK" + b"\0" * (workbook.MAX_BYTES + 1)) == [
        "ファイルが大きすぎます（2 MB まで）。"
    ]


def test_hostile_archives_are_refused_before_openpyxl_opens_them():
    raw = workbook.template(TEST)
    bomb = _with_member(raw, "xl/media/zeros.bin", b"\0" * (workbook.MAX_UNPACKED + 1))
    assert len(bomb) < workbook.MAX_BYTES  # small on disk, huge unpacked
    assert refusals(bomb) == [
        "ブックの中身が大きすぎます（展開すると 20 MB を超えます）。"
        "画像や使わないシートを消して保存し直してください。"
    ]
    src = zipfile.ZipFile(io.BytesIO(raw))
    sheet = src.read("xl/worksheets/sheet1.xml")
    laughs = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]>' + sheet
    assert refusals(_with_member(raw, "xl/worksheets/sheet1.xml", laughs)) == [NOT_XLSX]
    many = edit(raw, lambda wb: wb["質問"].cell(row=workbook.MAX_ROWS + 5, column=1, value="x"))
    assert refusals(many) == ["質問シート: 行が多すぎます（300行まで）。"]


# --- the console --------------------------------------------------------------------------


def post_book(console, raw: bytes, name: str = "町民アンケート.xlsx"):
    data = {"file": (io.BytesIO(raw), name), "csrf_token": console.token}
    return console.client.post(
        "/admin/surveys/workbook/upload", data=data, content_type="multipart/form-data"
    )


def test_console_upload_as_editor_problems_then_success(app, state):
    state.clock.fixed = NOW
    editor = as_role(app, "editor")
    page = editor.get("/admin/surveys").get_data(as_text=True)
    assert "Excel で作る" in page and "/admin/surveys/workbook.xlsx" in page
    blank = editor.get("/admin/surveys/workbook.xlsx")
    assert blank.status_code == 200 and blank.mimetype == MIME
    assert load_workbook(io.BytesIO(blank.data)).sheetnames == ["アンケート", "質問", "説明"]

    bad = post_book(editor, filled(**{"質問!B5": "slider", "アンケート!B6": "いつか"}))
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and "ブックに問題があるため、反映しませんでした" in text
    assert "アンケートシート「開始」: 開始の日時が読めません。" in text
    bad = post_book(editor, filled(**{"質問!B5": "slider"}))
    assert "質問シート 5行目: 種類「slider」は使えません。" in bad.get_data(as_text=True)
    assert post_book(editor, b"not a workbook").status_code == 400
    assert survey_count(app) == 0

    good = post_book(editor, filled())
    assert good.status_code == 302 and good.headers["Location"].endswith("/surveys/test-2026")
    assert stored(app, "test-2026").data == json.loads(json.dumps(TEST))
    assert [r.target for r in audit_rows(app, "survey.workbook_upload")] == ["test-2026"]
    assert [r.actor for r in audit_rows(app, "content.survey")] == ["editor@example.jp"]
    survey_page = editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "Excel でダウンロード" in survey_page
    book = editor.get("/admin/surveys/test-2026/workbook.xlsx")
    assert book.status_code == 200 and workbook.read(book.data, "b.xlsx").data == TEST
    assert editor.get("/admin/surveys/nope/workbook.xlsx").status_code == 404
    again = post_book(editor, book.data)
    assert again.status_code == 302
    assert len(audit_rows(app, "content.survey")) == 1  # unchanged: stored once


def test_a_viewer_cannot_upload_a_workbook(app):
    viewer = as_role(app, "viewer")
    assert "Excel で作る" not in viewer.get("/admin/surveys").get_data(as_text=True)
    assert post_book(viewer, filled()).status_code == 403
    assert survey_count(app) == 0 and audit_rows(app, "survey.workbook_upload") == []


def test_a_survey_with_answers_cannot_lose_a_question_through_the_workbook(
    app, state, runner, tmp_path
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    with transaction(state.sessions) as s:
        sv = s.get(Survey, "test-2026")
        write_response(
            s, sv, {"livability": ["住みやすい"]}, {}, NOW, "Asia/Tokyo", channel="paper"
        )
    editor = as_role(app, "editor")
    before = stored(app, "test-2026")
    raw = edit(
        editor.get("/admin/surveys/test-2026/workbook.xlsx").data,
        lambda wb: wb["質問"].delete_rows(5),  # the free-text question
    )
    refused = post_book(editor, raw)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert (
        "このアンケートにはすでに1件の回答があるため、質問「まちに望むことを自由にお書きください」"
        "を削除することはできません。"
    ) in text
    assert stored(app, "test-2026").digest == before.digest
    path = tmp_path / "cut.xlsx"
    path.write_bytes(raw)
    cli = runner.invoke(args=["surveys", "import", str(path)])
    assert cli.exit_code == 1 and "すでに1件の回答がある" in cli.output
    with state.sessions() as s:
        # the answer is held in the anonymous pool (not yet in survey_responses), still 1
        assert stored_answers(s, "test-2026") == 1
        assert len(s.get(Survey, "test-2026").definition["questions"]) == 4


def test_the_docs_describe_the_workbook():
    text = Path(ROOT / "docs" / "surveys.md").read_text("utf-8")
    assert "## Excel で作る (survey workbook)" in text


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_officer_uploads_a_workbook_in_the_browser(
    app,
    live,  # noqa: F811 (the fixture)
    browser,  # noqa: F811 (the fixture)
    state,
    tmp_path,
    artifacts,
):
    from axe_playwright_python.sync_playwright import Axe

    state.clock.fixed = NOW
    make_staff(app, "kikaku@town.example.jp", "editor")
    bad, good = tmp_path / "町民アンケート.xlsx", tmp_path / "ok" / "町民アンケート.xlsx"
    good.parent.mkdir()
    bad.write_bytes(filled(**{"質問!F2": "Good\nBad"}))
    good.write_bytes(filled())
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "kikaku@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    page.goto(f"{live}/admin/surveys")
    with page.expect_download() as blank:
        page.click("#workbook >> text=空のテンプレートをダウンロード")
    sheets = load_workbook(io.BytesIO(Path(blank.value.path()).read_bytes())).sheetnames
    assert sheets == ["アンケート", "質問", "説明"]

    page.set_input_files("#workbook input[type=file]", str(bad))
    page.click("#workbook >> text=ブックを取り込んで反映")
    alert = page.inner_text("#workbook .errors")
    assert "ブックに問題があるため、反映しませんでした" in alert and "（1件）" in alert
    assert (
        "質問シート 2行目: 選択肢（英語）の行数（2行）が選択肢の行数（4行）と合いません。" in alert
    )
    shot(page, artifacts, "console-survey-workbook-error")
    report = Axe().run(page, context={"include": [["#workbook"]], "exclude": [["button.primary"]]})
    assert report.violations_count == 0, report.generate_report()
    assert survey_count(app) == 0

    page.set_input_files("#workbook input[type=file]", str(good))
    page.click("#workbook >> text=ブックを取り込んで反映")
    page.wait_for_url(f"{live}/admin/surveys/test-2026")
    assert "を Excel から追加しました" in page.inner_text(".flash")
    with page.expect_download() as book:
        page.click("[data-testid=workbook-download]")
    assert workbook.read(Path(book.value.path()).read_bytes(), "b.xlsx").data == TEST
    assert not errors


def test_a_cell_holding_only_a_date_or_a_time_reads_as_text():
    """Excel gives a date-only or time-only cell as date/time; both read as ISO text."""
    from datetime import date, time

    from handlers.survey_workbook_cells import as_text

    assert as_text(date(2026, 11, 8)) == "2026-11-08"
    assert as_text(time(18, 30)) == "18:30:00"
    naive = datetime(2026, 11, 8, 18, 30)  # noqa: DTZ001 (Excel cells have no time zone)
    assert as_text(naive) == "2026-11-08 18:30:00"
