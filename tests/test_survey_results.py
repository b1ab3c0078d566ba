"""Survey content checks, results, cross-tabs with suppression, exports, frequent words, CLI."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from db import surveys as store
from db.models import Resident
from db.session import transaction
from handlers import survey_report
from handlers import survey_results as api
from handlers.survey_cells import ALSO_HIDDEN, HIDDEN, is_hidden
from handlers.textmining import count_words, words
from tests.survey_helpers import NOW, SURVEY, apply_survey, flush

TZ = "Asia/Tokyo"

PEOPLE = [  # (age band, district, livability, reasons, happiness, wishes)
    *[("20代", "大谷", "住みにくい", ["jobs"], 3, "仕事がない。若者の働く場所が欲しい")] * 6,
    *[("30代", "大谷", "住みやすい", [], 7, "公園が少ない。子どもの遊び場が欲しい")] * 3,
    *[("60代", "磐梯", "どちらかといえば住みやすい", [], 8, '=HYPERLINK("http://x")')] * 5,
    ("70代", "磐梯", "住みにくい", ["traffic", "shops"], 5, "バスの本数が少ない"),
]


@pytest.fixture
def filled(app, runner, tmp_path, state):
    """The test survey with 15 responses written the way the chat writes them."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
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


def test_results_counts_shares_and_scale_stats(app, filled):
    with app.extensions["machikoe"].sessions() as s:
        res = api.survey_results(s, filled)
    assert res["responses"] == 15
    q1, q2, q3, q4 = res["questions"]
    assert {c["label"]: c["count"] for c in q1["choices"]} == {
        "住みやすい": 3,
        "どちらかといえば住みやすい": 5,
        "どちらかといえば住みにくい": 0,
        "住みにくい": 7,
    }
    assert q1["choices"][3]["share"] == 46.7
    assert q2["answered"] == 7 and {c["value"]: c["count"] for c in q2["choices"]} == {
        "shops": 1,
        "jobs": 6,
        "traffic": 1,
    }
    assert q3["mean"] == round((6 * 3 + 3 * 7 + 5 * 8 + 5) / 15, 2) and q3["median"] == 7
    assert q3["distribution"][3] == 6
    top = dict(q4["words"])
    assert top["仕事"] == 6 and top["公園"] == 3 and "欲しい" not in top


def test_anonymous_crosstab_never_shows_a_number_under_five(app, filled):
    with app.extensions["machikoe"].sessions() as s:
        res = api.survey_results(s, filled)
    ages = res["crosstabs"]["age_band"]["livability"]
    # five 20代 answers went in as a group; the sixth waited, and at the close the groups
    # short of 5 (1 + 3 + 1) went in together with no attributes (不明): 5 of them
    assert ages["20代"]["total"] == 5
    # 住みにくい over all respondents is 6: 20代's 5 shown would give the 不明 row's lone 1
    assert ages["20代"]["cells"]["住みにくい"] == {"count": ALSO_HIDDEN, "share": None}
    assert ages["20代"]["cells"]["住みやすい"] == {"count": HIDDEN, "share": None}
    assert "30代" not in ages and ages[""]["total"] == 5
    assert all(c["count"] == HIDDEN for c in ages[""]["cells"].values())
    districts = res["crosstabs"]["district"]["livability"]
    assert is_hidden(districts["大谷"]["cells"]["住みにくい"]["count"])  # as 20代's, above
    assert districts["磐梯"]["cells"]["どちらかといえば住みやすい"]["count"] == 5
    for dim in res["crosstabs"].values():
        for groups in dim.values():
            for row in groups.values():
                for cell in row["cells"].values():
                    assert is_hidden(cell["count"]) or cell["count"] >= 5


def test_named_survey_crosstab_shows_small_numbers(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    with transaction(state.sessions) as s:
        r = Resident(line_user_id="U" + "1" * 32)
        s.add(r)
        s.flush()
        survey = store.get_survey(s, "test-2026")
        store.submit(
            s,
            survey,
            r.id,
            {"livability": ["住みやすい"]},
            {"age_band": "40代"},
            NOW,
            tz="Asia/Tokyo",
        )
        res = survey_report.results(s, "test-2026")
    assert res["crosstabs"]["age_band"]["livability"]["40代"]["cells"]["住みやすい"]["count"] == 1


def test_multiple_choice_shares_are_of_respondents_not_of_ticks(app, runner, tmp_path, state):
    """Two residents tick two reasons each: each reason is 50% of 2 respondents (not of 4)."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i, reasons in enumerate([["jobs", "shops"], ["jobs", "traffic"]]):
            r = Resident(line_user_id=f"U{i:032x}")
            s.add(r)
            s.flush()
            answers = {"livability": ["住みにくい"], "reasons": reasons}
            store.submit(s, survey, r.id, answers, {"age_band": "20代"}, NOW, tz="Asia/Tokyo")
        res = survey_report.results(s, "test-2026")
    row = res["crosstabs"]["age_band"]["reasons"]["20代"]
    assert row["total"] == 2
    assert row["cells"]["jobs"] == {"count": 2, "share": 100.0}
    assert row["cells"]["shops"] == {"count": 1, "share": 50.0}


def test_second_response_is_refused_by_the_completion_record(app, filled, state):
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, filled)
        first = s.scalar(select(Resident).order_by(Resident.id))
        again = store.submit(
            s, survey, first.id, {"livability": ["住みやすい"]}, {}, NOW, tz="Asia/Tokyo"
        )
    assert again is None
    with app.extensions["machikoe"].sessions() as s:
        assert survey_report.results(s, filled)["responses"] == 15


def test_responses_between_and_segment_clause(app, filled, resident, state):
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, filled)
        late = Resident(line_user_id="U" + "f" * 32)
        s.add(late)
        s.flush()
        store.record_start(s, late.id, survey.id, NOW)  # started, never finished
    with app.extensions["machikoe"].sessions() as s:
        week = api.responses_between(
            s, filled, NOW - timedelta(days=3), NOW + timedelta(days=1), TZ
        )
        by_channel = week.pop("by_channel")
        assert week == {"started": 16, "finished": 15, "total": 15, "completion_rate": 93.8}
        assert by_channel["line"] == {"week": 15, "total": 15} and by_channel["web"]["total"] == 0
        before = api.responses_between(
            s, filled, NOW - timedelta(days=9), NOW - timedelta(days=3), TZ
        )
        assert before["finished"] == 0 and before["started"] == 0
        answered = s.scalar(
            select(Resident.id).where(store.not_answered_clause(filled, Resident.id))
        )
        assert answered == late.id
        n = len(
            s.scalars(select(Resident.id).where(store.answered_clause(filled, Resident.id))).all()
        )
        assert n == 15


def test_csv_export_has_bom_one_row_per_response_and_no_formulas(app, runner, filled, tmp_path):
    out = tmp_path / "r.csv"
    result = runner.invoke(
        args=["surveys", "export", filled, "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == ["回答番号", "回答日", "回答方法", "年代", "地区", "かかわり"]
    assert "住民ID" not in rows[0]
    assert len(rows) == 16
    body = rows[1:]
    assert {r[6] for r in body} >= {"住みにくい", "住みやすい"}
    assert "交通が不便、買い物が不便" in {r[7] for r in body} or "買い物が不便、交通が不便" in {
        r[7] for r in body
    }
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert '\'=HYPERLINK("http://x")' in {r[9] for r in body}


def test_anonymous_export_holds_no_user_id(app, runner, filled, tmp_path, state):
    with app.extensions["machikoe"].sessions() as s:
        secrets = {str(x) for r in s.scalars(select(Resident)) for x in (r.id, r.line_user_id)}
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"r.{fmt}"
        assert (
            runner.invoke(
                args=["surveys", "export", filled, "--format", fmt, "--output", str(out)]
            ).exit_code
            == 0
        )
        if fmt == "csv":
            cells = {c for row in csv.reader(io.StringIO(out.read_text("utf-8-sig"))) for c in row}
        else:
            wb = load_workbook(out)
            cells = {str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row}
        line_ids = {x for x in secrets if x.startswith("U")}
        assert not cells & line_ids
        assert not any(uid in c for c in cells for uid in line_ids)
        # response numbers run 1..n; no resident id column
        assert "住民ID" not in cells


def test_xlsx_export_has_responses_and_summary_sheets(app, runner, filled, tmp_path):
    out = tmp_path / "r.xlsx"
    result = runner.invoke(
        args=["surveys", "export", filled, "--format", "xlsx", "--output", str(out)]
    )
    assert result.exit_code == 0 and "15 responses" in result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["回答", "集計"]
    rows = list(wb["回答"].iter_rows(values_only=True))
    assert len(rows) == 16 and rows[0][6].startswith("Q1 ")
    formulas = [c for c in wb["回答"].iter_rows() for c in c if c.data_type == "f"]
    assert formulas == []
    assert '\'=HYPERLINK("http://x")' in {r[9] for r in rows}
    summary = [r for r in wb["集計"].iter_rows(values_only=True)]
    flat = {str(c) for r in summary for c in r}
    assert "回答数" in flat and "5人未満" in flat and "頻出語: 仕事" in flat
    assert "<5" not in flat  # a hidden count is an empty number cell with a note


def test_cli_results_list_and_refusals(app, runner, filled, tmp_path):
    result = runner.invoke(args=["surveys", "results", filled])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "回答数: 15" in out and "平均 5.60" in out and "中央値 7" in out
    assert "クロス集計: 年代別" in out and "<5" in out and "頻出語: 仕事(6)" in out
    listed = runner.invoke(args=["surveys", "list"])
    assert "test-2026" in listed.output and "open" in listed.output and "15件" in listed.output
    bad = runner.invoke(args=["surveys", "results", "nope"])
    assert bad.exit_code == 1 and "unknown survey 'nope'" in bad.output
    bad = runner.invoke(
        args=["surveys", "export", "nope", "--format", "csv", "--output", str(tmp_path / "x")]
    )
    assert bad.exit_code == 1 and "unknown survey" in bad.output and not (tmp_path / "x").exists()
    bad = runner.invoke(
        args=["surveys", "export", filled, "--format", "pdf", "--output", str(tmp_path / "x")]
    )
    assert bad.exit_code != 0 and "'pdf' is not one of 'csv', 'xlsx'" in bad.output


def test_words_are_nouns_and_adjectives_without_stop_words():
    assert words("子どもが遊べる公園がほしいです") == ["子供", "公園"]
    assert "少ない" in words("バスの本数が少ない")
    assert count_words(["雪が多い", "雪かきが大変", "雪が多くて大変"], top=2) == [
        ("大変", 2),
        ("雪", 2),
    ]


# --- content checks ---------------------------------------------------------------------------


def _apply(runner, tmp_path, text):
    path = tmp_path / "bad.yml"
    path.write_text(text, encoding="utf-8")
    return runner.invoke(args=["content", "apply", str(path)]), str(path)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("- id: happiness", "- id: livability"), "question id 'livability' appears twice"),
        (("[住みやすい, どちらかといえば住みやすい,", "[住みやすい, 住みやすい,"), "appears twice"),
        (
            ("    max_length: 20\n", "    max_length: 20\n    show_if: {happiness: ['5']}\n"),
            "single or multiple choice",
        ),
        (("show_if: {livability: [", "show_if: {nothing: ["), "must name an earlier question"),
        (("[どちらかといえば住みにくい, 住みにくい]", "[とても住みにくい]"), "is not a choice of"),
        (("    min: 0\n    max: 10", "    min: 5\n    max: 5"), "must be greater than min"),
        (("2026-12-31T23:59:59+09:00", "2026-10-01T00:00:00+09:00"), "must be after opens_at"),
        (("2026-12-31T23:59:59+09:00", "2026-12-31T23:59:59"), "with an offset"),
        (("max_choices: 2", "max_choices: 9"), "more than the 3 choices"),
    ],
)
def test_content_checks_name_file_line_and_field(app, runner, tmp_path, change, message):
    text = SURVEY.replace("ANON", "true").replace(*change)
    assert text != SURVEY.replace("ANON", "true")
    result, path = _apply(runner, tmp_path, text)
    assert result.exit_code != 0 and message in result.output and f"{path}:" in result.output


def test_show_if_must_refer_to_an_earlier_question(app, runner, tmp_path):
    text = SURVEY.replace("ANON", "true").replace(
        "    max_length: 20\n", "    max_length: 20\n    show_if: {wishes: [x]}\n"
    )
    result, _ = _apply(runner, tmp_path, text)
    assert result.exit_code != 0 and "must name an earlier question" in result.output


def test_changing_a_survey_with_responses_is_versioned_or_refused(app, runner, filled, tmp_path):
    reworded = SURVEY.replace("ANON", "true").replace(
        "まちは住みやすいと思いますか", "みらい野町は住みやすいですか"
    )
    result, _ = _apply(runner, tmp_path, reworded)
    assert result.exit_code == 0, result.output
    with app.extensions["machikoe"].sessions() as s:
        assert store.get_survey(s, filled).version == 2
    broken = reworded.replace(
        "    choices: [住みやすい, どちらかといえば住みやすい,", "    choices: ["
    )
    result, _ = _apply(runner, tmp_path, broken)
    assert result.exit_code != 0
    assert "already has 15 response(s)" in result.output and "lost choices" in result.output
    assert "test-2026-v2" in result.output
    retyped = reworded.replace("type: scale", "type: text").replace(
        "    min: 0\n    max: 10\n    labels: {0: とても不幸, 10: とても幸せ}\n", ""
    )
    result, _ = _apply(runner, tmp_path, retyped)
    assert result.exit_code != 0 and "changed type from scale to text" in result.output
    with app.extensions["machikoe"].sessions() as s:
        assert store.get_survey(s, filled).version == 2


def test_demo_content_applies_and_one_survey_is_open(app, runner, state):
    result = runner.invoke(args=["content", "apply", "content/demo"])
    assert result.exit_code == 0, result.output
    state.clock.fixed = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    with app.extensions["machikoe"].sessions() as s:
        ids = {x.id for x in store.open_surveys(s, state.now())}
    assert {"resident-2026", "wellbeing-2026"} <= ids
