"""Paper answers: `surveys import-answers` (CSV, cp932 CSV, xlsx) and the console form/upload."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import Workbook
from sqlalchemy import delete

from db import surveys as store
from db.models import Resident
from db.session import transaction
from db.survey_channels import PaperSheet, SurveyInvitation
from handlers import invitations
from handlers.survey_results import survey_results
from tests.survey_helpers import NOW, SURVEY, SurveyResponse, apply_survey, count, flush
from tests.test_console import as_role, audit_rows
from tests.test_survey_results import PEOPLE

HEAD = ["回答番号", "回答日", "回答方法", "年代", "地区", "かかわり"]
QS = [
    "Q1 まちは住みやすいと思いますか",
    "Q2 住みにくいと感じる理由は（2つまで）",
    "Q3 いま、どのくらい幸せですか",
    "Q4 まちに望むことを自由にお書きください",
]
GOOD = [
    [
        "1",
        "2026-11-20",
        "",
        "30代",
        "七ツ森",
        "町内在住",
        "住みにくい",
        "交通が不便、仕事が少ない",
        7,
        "バスを増やして",
    ],
    ["2", "", "LINE", "20代", "Otani", "", "住みやすい", "", "10", ""],
    ["3", "2026/11/21", "紙", "", "", "", "どちらかといえば住みやすい", "", "", "'=1+1"],
]


def write_csv(path, rows, header=HEAD + QS, encoding="utf-8-sig"):
    with path.open("w", encoding=encoding, newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEAD + QS):
    wb = Workbook()
    ws = wb.active
    ws.title = "回答"
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def results(app, survey_id="test-2026"):
    with app.extensions["machikoe"].sessions() as s:
        res = survey_results(s, survey_id)
    res.pop("survey")
    return res


def run(runner, *args):
    return runner.invoke(args=["surveys", "import-answers", *map(str, args)])


@pytest.fixture
def filled(app, runner, tmp_path, state):
    """The test survey (longer free text allowed) with 15 responses written as the chat does."""
    state.clock.fixed = NOW
    text = SURVEY.replace("max_length: 20", "max_length: 200")
    assert apply_survey(runner, tmp_path, text).exit_code == 0
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i, (age, district, liv, reasons, happy, wish) in enumerate(PEOPLE):
            r = Resident(line_user_id=f"U{i:032x}", age_band=age, district=district)
            s.add(r)
            s.flush()
            answers = {"livability": [liv], "happiness": [happy], "wishes": [wish]}
            if reasons:
                answers["reasons"] = reasons
            profile = {"age_band": age, "district": district, "residency": "resident"}
            assert store.submit(s, survey, r.id, answers, profile, NOW, tz="Asia/Tokyo") is not None
    flush(app)  # the survey's close: the answers still pooled (groups short of 5) go in
    return "test-2026"


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    return "test-2026"


@pytest.fixture
def named(app, runner, tmp_path, state):
    """The test survey, named: each sheet is written at once with its own day and profile
    (an anonymous survey's few sheets wait in the pool; tests/test_anonymity_attack.py)."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    return "test-2026"


# --- the round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_an_export_imported_into_an_emptied_survey_gives_the_same_results(
    app, runner, filled, tmp_path, state, fmt
):
    before = results(app)
    assert before["responses"] == 15
    out = tmp_path / f"export.{fmt}"
    args = ["surveys", "export", filled, "--format", fmt, "--output", str(out), "--exact"]
    assert runner.invoke(args=args).exit_code == 0
    with transaction(state.sessions) as s:
        s.execute(delete(store.SurveyAnswer).where(store.SurveyAnswer.survey_id == filled))
        s.execute(delete(SurveyResponse).where(SurveyResponse.survey_id == filled))
    assert results(app)["responses"] == 0

    result = run(runner, filled, out)
    assert result.exit_code == 0, result.output
    assert "15件" in result.output
    assert results(app) == before
    assert count(app, PaperSheet, survey_id=filled) == 15
    assert count(app, SurveyResponse, channel="line") == 15  # 回答方法 LINE kept

    again = run(runner, filled, out)
    assert again.exit_code == 1
    assert "すでに入力済みの回答番号（15件）: 1〜15" in again.output
    assert "何も追加していません" in again.output
    assert results(app) == before


def test_rows_go_in_with_their_channel_day_and_profile(app, runner, named, tmp_path):
    survey = named
    result = run(runner, survey, write_csv(tmp_path / "a.csv", GOOD))
    assert result.exit_code == 0, result.output
    assert "3件（LINE 1件、紙 2件）を追加しました" in result.output
    with app.extensions["machikoe"].sessions() as s:
        rows = {
            (r.channel, r.submitted_on.isoformat(), r.age_band, r.district, r.residency)
            for r in s.query(SurveyResponse)
        }
        texts = sorted(store.text_answers(s, survey, "wishes"))
    assert rows == {
        ("paper", "2026-11-20", "30代", "七ツ森", "resident"),
        ("line", "2026-11-28", "20代", "大谷", None),  # today in JST; English district
        ("paper", "2026-11-21", None, None, None),
    }
    assert texts == ["=1+1", "バスを増やして"]  # the export's formula guard is undone
    res = results(app)
    reasons = {c["value"]: c["count"] for c in res["questions"][1]["choices"]}
    assert reasons == {"shops": 0, "jobs": 1, "traffic": 1}


def test_dry_run_says_what_would_be_added_and_stores_nothing(app, runner, survey, tmp_path):
    result = run(runner, survey, write_xlsx(tmp_path / "a.xlsx", GOOD), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "確認のみ: 3件（LINE 1件、紙 2件）" in result.output
    assert count(app, SurveyResponse) == 0
    assert count(app, PaperSheet) == 0
    assert run(runner, survey, tmp_path / "a.xlsx").exit_code == 0
    assert count(app, SurveyResponse) == 3


def test_shift_jis_csv_from_japanese_excel(app, runner, named, tmp_path):
    survey = named
    path = write_csv(tmp_path / "sjis.csv", GOOD[:1], encoding="cp932")
    assert "七ツ森".encode("cp932") in path.read_bytes()
    result = run(runner, survey, path)
    assert result.exit_code == 0, result.output
    assert count(app, SurveyResponse, district="七ツ森", channel="paper") == 1


# --- refusals -----------------------------------------------------------------------------


def test_every_problem_is_named_by_row_and_column_and_nothing_is_stored(
    app, runner, survey, tmp_path, state
):
    with transaction(state.sessions) as s:
        used, fresh = invitations.create(s, survey, 2)
        invitations.use(s, survey, used)
    bad = [
        GOOD[0],  # a good row: not stored either
        ["2", "", "", "", "", "", "とても住みやすい", "", "5", ""],
        ["3", "", "", "", "", "", "住みやすい", "", "11", ""],
        ["4", "", "", "", "", "", "住みやすい", "", "5", "あ" * 21],
        ["5", "", "", "", "", "", "住みにくい", "買い物が不便、仕事が少ない、交通が不便", "5", ""],
        ["1", "", "", "", "", "", "住みやすい", "", "5", ""],
        ["7", "11月の終わり", "", "", "", "", "住みやすい", "", "5", ""],
        ["8", "", "", "", "南地区", "", "住みやすい", "", "5", ""],
        ["9", "", "", "", "", "", "住みやすい", "買い物が不便", "5", ""],
        ["10", "", "手紙", "", "", "", "住みやすい", "", "5", ""],
        ["11", "", "", "15歳以下", "", "", "住みやすい", "", "5", ""],
        ["12", "", "", "", "", "町外在住", "住みやすい", "", "5", ""],
        ["13", "2027-01-05", "", "", "", "", "住みやすい", "", "5", ""],
        ["14", "", "", "", "", "", "住みやすい、住みにくい", "", "5", ""],
        ["15", "", "", "", "", "", "", "", "", ""],
    ]
    header = [*HEAD, "回答コード", *QS]
    rows = [[*r[:6], "", *r[6:]] for r in bad]
    rows.append(["16", "", "", "", "", "", used, "住みやすい", "", "5", ""])
    rows.append(["17", "", "", "", "", "", "ABCD-EFGH", "住みやすい", "", "5", ""])
    rows.append(["18", "", "", "", "", "", fresh, "住みやすい", "", "5", ""])
    rows.append(["19", "", "", "", "", "", fresh, "住みやすい", "", "5", ""])
    result = run(runner, survey, write_csv(tmp_path / "bad.csv", rows, header))
    assert result.exit_code == 1
    out = result.output
    expected = [
        "3行目 Q1 まちは住みやすいと思いますか: 「とても住みやすい」は選択肢にありません"
        "（住みやすい・どちらかといえば住みやすい・どちらかといえば住みにくい・住みにくい"
        " のどれか）。",
        "4行目 Q3 いま、どのくらい幸せですか: 0〜10 の数字で入力してください。",
        "5行目 Q4 まちに望むことを自由にお書きください: 20文字以内にしてください（いま 21文字）。",
        "6行目 Q2 住みにくいと感じる理由は（2つまで）: 2個まで選べます。",
        "7行目 回答番号: 回答番号 1 が 2行目 にもあります。",
        "8行目 回答日: 日付は 2026-11-28 の形で入力してください。",
        "9行目 地区: 地区「南地区」はありません（大谷・磐梯・更科・七ツ森 のどれか）。",
        "10行目 Q2 住みにくいと感じる理由は（2つまで）: Q1 の回答では答えない質問です。",
        "11行目 回答方法: 回答方法は LINE・Web・紙 のどれかを入力してください。",
        "12行目 年代: このアンケートは 16歳以上が対象です。",
        "13行目 かかわり: このアンケートの対象外です（対象: 町内在住）。",
        "14行目 回答日: 回答日が未来の日付です。",
        "15行目 Q1 まちは住みやすいと思いますか: 1つだけ選んでください。",
        "16行目: 回答が1つもありません。",
        "17行目 回答コード: この回答コードはすでに使われています。",
        "18行目 回答コード: 回答コードの形が正しくありません（例: K7QM-4T2X）。",
        "20行目 回答コード: 同じ回答コードが 19行目 にもあります。",
    ]
    for line in expected:
        assert line in out, line
    assert "何も追加していません" in out
    assert count(app, SurveyResponse) == 0
    assert count(app, PaperSheet) == 0
    with app.extensions["machikoe"].sessions() as s:
        assert invitations.status(s, survey, fresh) == "ok"  # not used by the refused file


def test_a_code_is_used_by_its_row_and_refused_the_second_time(
    app, runner, survey, tmp_path, state
):
    with transaction(state.sessions) as s:
        (code,) = invitations.create(s, survey, 1)
    header = [*HEAD, "回答コード", *QS]
    row = ["1", "", "", "", "", "", code.lower(), "住みやすい", "", "5", ""]
    assert run(runner, survey, write_csv(tmp_path / "a.csv", [row], header)).exit_code == 0
    assert count(app, SurveyInvitation, used=True) == 1
    row[0] = "2"
    again = run(runner, survey, write_csv(tmp_path / "b.csv", [row], header))
    assert again.exit_code == 1
    assert "2行目 回答コード: この回答コードはすでに使われています。" in again.output
    assert count(app, SurveyResponse) == 1


def test_headers_unknown_missing_or_twice_are_refused(app, runner, survey, tmp_path):
    header = ["回答番号", "性別", "Q1 住みやすさ（短い見出しでよい）", "Q2 理由", "Q3", "Q9 謎"]
    result = run(runner, survey, write_csv(tmp_path / "h.csv", [["1"]], header))
    assert result.exit_code == 1
    out = result.output
    assert "1行目: 「性別」という列はありません。" in out
    assert "1行目: 質問 Q9 はこのアンケートにありません。" in out
    assert "1行目: 「Q4 まちに望むことを自由にお書きください」の列がありません。" in out
    assert "Q1" not in out.replace("Q1 の", "")  # the number matches; the text may differ
    twice = run(runner, survey, write_csv(tmp_path / "t.csv", [], HEAD + QS + ["地区"]))
    assert "1行目: 「地区」の列が2つあります。" in twice.output
    assert count(app, SurveyResponse) == 0


def test_files_that_are_not_answers(app, runner, survey, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert "ファイルが空です" in run(runner, survey, empty).output
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = run(runner, survey, broken)
    assert result.exit_code == 1 and "ファイルを読めません" in result.output
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"\x80\x81\xff\xfe")
    assert "文字コード" in run(runner, survey, latin).output
    only_header = write_csv(tmp_path / "h.csv", [])
    assert "回答の行がありません" in run(runner, survey, only_header).output
    assert run(runner, "no-such-survey", only_header).exit_code == 1


def test_named_surveys_take_no_resident_id(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    header = [*HEAD[:2], "住民ID", *HEAD[2:], *QS]
    row = ["1", "", "12", "", "", "", "", "住みやすい", "", "5", ""]
    result = run(runner, "test-2026", write_csv(tmp_path / "n.csv", [row], header))
    assert "2行目 住民ID: 住民IDは取り込めません" in result.output
    row[2] = ""
    assert run(runner, "test-2026", tmp_path / "n.csv").exit_code == 1  # file unchanged
    write_csv(tmp_path / "n.csv", [row], header)
    assert run(runner, "test-2026", tmp_path / "n.csv").exit_code == 0
    with app.extensions["machikoe"].sessions() as s:
        (r,) = s.query(SurveyResponse).all()
        assert r.resident_id is None and r.submitted_at == NOW


# --- the console ----------------------------------------------------------------------------


def form(**values):
    base = {"sheet": "", "day": "", "code": "", "q_happiness": "5"}
    base.update(values)
    return base


def test_the_console_form_saves_one_sheet_after_another(app, named):
    survey = named
    editor = as_role(app, "editor")
    page = editor.get(f"/admin/surveys/{survey}/paper").get_data(as_text=True)
    assert 'name="sheet" id="sheet" value="1"' in page
    assert '紙の回答 合計 <strong data-testid="total">0</strong>件' in page
    response = editor.post(
        f"/admin/surveys/{survey}/paper",
        form(
            sheet="1",
            age_band="30代",
            district="更科",
            residency="町内在住",
            q_livability="住みにくい",
            q_reasons=["shops", "jobs"],
            q_wishes="雪かき",
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    page = editor.get(f"/admin/surveys/{survey}/paper").get_data(as_text=True)
    assert "回答番号 1 を保存しました" in page
    assert 'name="sheet" id="sheet" value="2"' in page
    assert 'data-testid="entered">1<' in page and 'data-testid="total">1<' in page
    assert count(app, SurveyResponse, channel="paper", district="更科") == 1
    (entry,) = audit_rows(app, "survey.paper")
    assert entry.target == survey and entry.detail == {"sheet": "1"}


def test_the_console_form_keeps_values_and_stores_nothing_on_a_problem(app, survey):
    editor = as_role(app, "editor")
    response = editor.post(
        f"/admin/surveys/{survey}/paper",
        form(
            sheet="7",
            q_livability="住みやすい",
            q_reasons=["shops"],
            q_happiness="12",
            q_wishes="長い" * 11,
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "0〜10 の数字で入力してください。" in page
    assert "Q1 の回答では答えない質問です" in page
    assert "20文字以内にしてください（いま 22文字）" in page
    assert 'value="7"' in page and 'value="12"' in page and "長い長い" in page
    assert 'value="住みやすい" checked' in page
    assert count(app, SurveyResponse) == 0 and not audit_rows(app, "survey.paper")
    ok = editor.post(f"/admin/surveys/{survey}/paper", form(sheet="7"))
    assert ok.status_code == 302
    again = editor.post(f"/admin/surveys/{survey}/paper", form(sheet="7"))
    assert "回答番号 7 はすでに入力済みです。" in again.get_data(as_text=True)
    assert count(app, SurveyResponse) == 1


def test_the_console_upload_checks_first_then_adds(app, survey, tmp_path):
    editor = as_role(app, "editor")
    url = f"/admin/surveys/{survey}/paper"
    data = write_csv(tmp_path / "a.csv", GOOD).read_bytes()
    checked = editor.post(
        f"{url}/upload",
        {"file": (io.BytesIO(data), "回答.csv")},
        content_type="multipart/form-data",
    )
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200
    assert "回答.csv: 3件（LINE 1件、紙 2件）を追加できます" in page
    assert count(app, SurveyResponse) == 0
    done = editor.post(f"{url}/confirm")
    assert done.status_code == 302
    assert count(app, SurveyResponse) == 3
    (entry,) = audit_rows(app, "survey.paper_import")
    assert entry.detail["rows"] == 3 and entry.detail["channels"] == {"paper": 2, "line": 1}
    assert editor.post(f"{url}/confirm").status_code == 302  # nothing held any more
    assert count(app, SurveyResponse) == 3
    refused = editor.post(
        f"{url}/upload",
        {"file": (io.BytesIO(data), "回答.csv")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert "すでに入力済みの回答番号（3件）: 1〜3" in refused.get_data(as_text=True)


def test_a_viewer_gets_403(app, survey):
    viewer = as_role(app, "viewer")
    assert viewer.get(f"/admin/surveys/{survey}/paper").status_code == 403
    assert viewer.post(f"/admin/surveys/{survey}/paper", form(sheet="1")).status_code == 403
    assert count(app, SurveyResponse) == 0
    page = viewer.get(f"/admin/surveys/{survey}").get_data(as_text=True)
    assert "/paper" not in page
