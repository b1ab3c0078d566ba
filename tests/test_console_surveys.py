"""The console's survey pages: upload with errors then a fix, results, XSS, exports, open/close."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db.surveys import Survey
from tests.survey_helpers import NOW, SURVEY, flush, onboard
from tests.test_console import as_role, audit_rows

XSS = "<script>alert(1)</script>"
GOOD = SURVEY.replace("ANON", "true").replace("max_length: 20", "max_length: 200")
BROKEN = GOOD.replace("type: scale", "type: slider")


@pytest.fixture
def editor(app, state):
    state.clock.fixed = NOW
    return as_role(app, "editor")


def upload(console, text: str, name: str = "survey.yml"):
    data = {"file": (io.BytesIO(text.encode()), name), "csrf_token": console.token}
    return console.client.post(
        "/admin/surveys/upload", data=data, content_type="multipart/form-data"
    )


def answer(r, livability: str, happiness: str, wish: str | None):
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap(livability)
    if livability in {"住みにくい", "どちらかといえば住みにくい"}:
        r.tap("交通が不便")
        r.tap("決定")
    r.tap(happiness)
    if wish is None:
        r.tap("スキップ")
    else:
        r.say(wish)


def test_upload_with_an_error_then_the_fix(app, editor):
    bad = upload(editor, BROKEN, "町民アンケート.yml")
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "反映しませんでした" in text
    # in plain words: the line, the question by number and text, the field, what to do
    assert (
        "23行目: 3問目「いま、どのくらい幸せですか」: 種類「slider」は使えません。"
        "単一選択・複数選択・段階評価・自由記述から選んでください。"
    ) in text
    assert "町民アンケート.yml:23: questions.2.type" in text  # and the technical place, folded
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Survey, "test-2026") is None

    not_yaml = upload(editor, "kind: survey\n  id: [", "x.yml")
    assert not_yaml.status_code == 400
    assert "YAML の書き方に誤りがあります" in not_yaml.get_data(as_text=True)
    wrong_kind = upload(editor, "kind: town\nname: x\ndistricts: [a]\n", "town.yml")
    assert "「survey」のファイルを扱います（このファイルは「town」です）" in wrong_kind.get_data(
        as_text=True
    )

    good = upload(editor, GOOD, "町民アンケート.yml")
    assert good.status_code == 302 and good.headers["Location"].endswith("/admin/surveys/test-2026")
    page = editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "アンケート「test-2026」を追加しました" in page
    assert "町民アンケート（テスト）" in page and "受付中" in page
    [entry] = audit_rows(app, "content.survey")
    assert entry.actor == "editor@example.jp" and entry.target == "test-2026"
    listing = editor.get("/admin/surveys").get_data(as_text=True)
    assert "町民アンケート（テスト）" in listing


def test_results_charts_crosstabs_free_text_and_exports(app, editor, resident, fake_line):
    upload(editor, GOOD)
    answer(onboard(resident(1)), "住みやすい", "8", XSS)
    answer(onboard(resident(2), age="20代"), "住みにくい", "3", '=HYPERLINK("http://x")')
    answer(onboard(resident(3)), "住みやすい", "7", "公園がほしい。公園で遊びたい")
    answer(onboard(resident(4)), "住みやすい", "9", None)
    answer(onboard(resident(5)), "住みやすい", "6", None)

    held = editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "保留中 5件" in held and 'data-testid="responses">0<' in held  # not 5 of a group yet
    flush(app)  # the survey's close: the five (at least 5 of the channel) go in together
    page = editor.get("/admin/surveys/test-2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="responses">5<' in html and "保留中" not in html
    assert XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "公園" in html  # a frequent word
    assert "&lt;5" in html and "人未満の欄" in html  # anonymous: small cells suppressed
    assert "平均 6.6" in html  # (8 + 3 + 7 + 9 + 6) / 5

    chart = editor.get("/admin/surveys/test-2026/chart/livability.png")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert editor.get("/admin/surveys/test-2026/chart/wishes.png").status_code == 404

    answers = editor.get("/admin/surveys/test-2026/answers/wishes").get_data(as_text=True)
    assert XSS not in answers and "&lt;script&gt;" in answers

    csv = editor.get("/admin/surveys/test-2026/export.csv")
    assert csv.status_code == 200 and csv.data.startswith(b"\xef\xbb\xbf")
    assert "attachment" in csv.headers["Content-Disposition"]
    body = csv.data.decode("utf-8-sig")
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
    xlsx = editor.get("/admin/surveys/test-2026/export.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = [c.value for row in book.worksheets[0].iter_rows() for c in row]
    assert '\'=HYPERLINK("http://x")' in cells
    assert [r.detail["format"] for r in audit_rows(app, "survey.export")] == ["csv", "xlsx"]

    dashboard = editor.get("/admin/").get_data(as_text=True)
    assert "町民アンケート（テスト）" in dashboard


def test_a_viewer_reads_results_but_cannot_upload(app, state, resident):
    state.clock.fixed = NOW
    editor = as_role(app, "editor")
    upload(editor, GOOD)
    viewer = as_role(app, "viewer")
    page = viewer.get("/admin/surveys").get_data(as_text=True)
    assert "アップロードして反映" not in page
    assert viewer.get("/admin/surveys/test-2026").status_code == 200
    refused = upload(viewer, GOOD.replace("テスト", "改"))
    assert refused.status_code == 403
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Survey, "test-2026").title == "町民アンケート（テスト）"


def test_close_and_reopen(app, editor, state):
    upload(editor, GOOD)
    closed = editor.post("/admin/surveys/test-2026/period", {"action": "close"})
    assert closed.status_code == 302
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Survey, "test-2026").closes_at == NOW
    page = editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "受付を締め切りました" in page and "終了" in page

    state.clock.fixed = NOW + timedelta(hours=1)
    editor.post("/admin/surveys/test-2026/period", {"action": "open"})  # no closing time given
    assert "締切日時を" in editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    editor.post(
        "/admin/surveys/test-2026/period", {"action": "open", "closes_at": "2027-01-31T18:00"}
    )
    with app.extensions["machikoe"].sessions() as s:
        sv = s.get(Survey, "test-2026")
        assert sv.opens_at == NOW + timedelta(hours=1)
        assert sv.closes_at.isoformat() == "2027-01-31T09:00:00+00:00"
    assert [r.action for r in audit_rows(app) if r.action.startswith("survey.")] == [
        "survey.close",
        "survey.open",
    ]
    bad = editor.post(
        "/admin/surveys/test-2026/period",
        {"action": "set", "opens_at": "2027-02-01T00:00", "closes_at": "2027-01-01T00:00"},
    )
    assert bad.status_code == 302
    assert "締切は開始より後に" in editor.get("/admin/surveys/test-2026").get_data(as_text=True)


def test_unknown_survey_is_404(app, editor):
    assert editor.get("/admin/surveys/nope").status_code == 404
    assert editor.get("/admin/surveys/nope/export.csv").status_code == 404
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalars(select(Survey)).all() == []


def test_results_compare_respondents_with_the_population(app, editor, runner, tmp_path, state):
    from db import surveys as store
    from db.models import Resident
    from db.session import transaction
    from tests.conftest import ROOT
    from tests.survey_helpers import apply_survey

    assert apply_survey(runner, tmp_path).exit_code == 0
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i in range(30):
            r = Resident(line_user_id=f"U{i:032x}")
            s.add(r)
            s.flush()
            profile = {"age_band": "20代", "district": "大谷", "residency": "resident"}
            store.submit(
                s, survey, r.id, {"livability": ["住みやすい"]}, profile, NOW, tz="Asia/Tokyo"
            )
    page = editor.client.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "回答者の代表性" not in page  # no population file yet
    population = ROOT / "content" / "demo" / "population.yml"
    assert runner.invoke(args=["content", "apply", str(population)]).exit_code == 0
    page = editor.client.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "回答者の代表性" in page and "対象人口" in page
    row_20s = page.split("<td>20代</td>", 1)[1].split("</tr>", 1)[0]
    assert ">30<" in row_20s and "少ない" not in row_20s  # 30 of 202 people in their 20s
    row_60s = page.split("<td>60代</td>", 1)[1].split("</tr>", 1)[0]
    assert "少ない" in row_60s  # nobody in their 60s answered
