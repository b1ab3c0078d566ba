"""One privacy rule for anonymous surveys (docs/surveys.md), checked on every view and export
for each role: counts under 5 hidden everywhere (results, channel counts, representativeness,
digest, CLI), row-level downloads only for editors and admins (audited, rare attribute
combinations coarsened), viewers get the aggregate workbook and a 403 with the reason."""

from __future__ import annotations

import csv
import io
import random
from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot import digest as digest_job
from handlers import privacy
from handlers.digest import Period
from handlers.survey_cells import ALSO_HIDDEN, HIDDEN
from tests.conftest import ROOT
from tests.test_console import as_role, audit_rows
from tests.test_exports_excel import survey

JST = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 11, 30, 9, 5, tzinfo=JST).astimezone(UTC)  # the week of NOW
POPULATION = ROOT / "content" / "demo" / "population.yml"
ROLES = ("admin", "editor", "viewer")


@pytest.fixture
def town(app, runner, tmp_path, state):
    """The anonymous survey: 6 LINE (20代 大谷), 5 web (30代 磐梯), 2 paper (60代 更科), and the
    demo population (representativeness). Written: 5 LINE, 5 web; the 6th LINE answer and the
    2 paper ones stay sealed in the pool (fewer than 5 of their channel at the close)."""
    assert runner.invoke(args=["content", "apply", str(POPULATION)]).exit_code == 0
    survey(runner, tmp_path, state)
    return app


def row_of(html: str, first_cell: str, after: str = "") -> str:
    """The table row (HTML) that starts with this cell, after a heading if given."""
    html = html.split(after, 1)[1] if after else html
    return html.split(first_cell, 1)[1].split("</tr>", 1)[0]


@pytest.mark.parametrize("role", ROLES)
def test_results_page_hides_small_counts_for_every_role(town, role):
    page = as_role(town, role).get("/admin/surveys/test-2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="responses">10<' in html  # the survey's total is not a group
    assert "保留中 3件" in html  # held answers: counted nowhere else
    assert "LINE 5件 ・ Web 5件 ・ 紙 &lt;5件" in html  # 紙 0 hidden; nothing to subtract
    assert "すべて（10件）" in html and "紙（&lt;5件）" in html and "Web（5件）" in html
    # representativeness: no 「磐梯 1」; small groups (0 included) hidden with their rate
    coverage = html.split("回答者の代表性", 1)[1]
    for group in ("<td>60代</td>", "<td>更科</td>"):
        row = row_of(coverage, group)
        assert "&lt;5" in row and ">0<" not in row and "—" in row  # no rate to work back from
    assert ">5<" in row_of(coverage, "<td>20代</td>")
    assert "年代・地区が不明の回答" not in coverage  # the 2 paper answers are held, not written
    # counts respondents of a known age band: 紙's 0 hidden (nothing to work out by subtraction)
    assert "回答方法別: LINE 5人・Web 5人・紙 &lt;5人" in coverage
    assert "人未満" in html.split('data-testid="coverage-note"', 1)[1][:200]
    # cross-tabs: the held paper answers are in no group (no 未回答 row, hidden or not)
    by_age = html.split("<h3>年代別</h3>", 1)[1]
    assert "<th>未回答</th>" not in by_age
    assert ">5<" in row_of(by_age, "<th>20代</th>")

    paper = as_role(town, "viewer" if role != "viewer" else "admin")  # another session
    filtered = paper.get("/admin/surveys/test-2026?channel=paper").get_data(as_text=True)
    assert 'data-testid="responses">&lt;5<' in filtered
    assert "回答方法「紙」の回答 &lt;5件だけを集計しています" in filtered


@pytest.mark.parametrize("role", ("admin", "editor"))
def test_row_level_export_is_coarsened_and_audited(town, role):
    staff = as_role(town, role)
    page = staff.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "export.csv" in page and 'data-testid="rows-refused"' not in page
    got = staff.get("/admin/surveys/test-2026/export.csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))[1:]
    assert len(rows) == 10  # 3 held in the pool: never exported
    shown = Counter(tuple(r[3:6]) for r in rows)
    assert all(n >= 5 for key, n in shown.items() if any(key)), shown
    assert shown[("", "", "")] == 0  # the paper answers are held, not written alone
    assert {r[9] for r in rows} >= {"'=1+1 仕事"}  # free text as it is (formula-guarded)
    [entry] = audit_rows(town, "survey.export")
    assert entry.actor == f"{role}@example.jp"
    assert entry.detail == {"format": "csv", "rows": 10, "coarsened": True}
    book = staff.get("/admin/surveys/test-2026/export.xlsx")
    assert load_workbook(io.BytesIO(book.data)).sheetnames == ["回答", "集計"]


def test_a_viewer_gets_the_aggregate_workbook_only(town):
    viewer = as_role(town, "viewer")
    page = viewer.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert 'data-testid="rows-refused"' in page and "export.csv" not in page
    assert 'data-testid="results-workbook"' in page
    for fmt in ("csv", "xlsx"):
        refused = viewer.get(f"/admin/surveys/test-2026/export.{fmt}")
        assert refused.status_code == 403
        body = refused.get_data(as_text=True)
        assert "編集者・管理者だけがダウンロードできます" in body and "集計表" in body
        refused = viewer.get(f"/admin/surveys/test-2026/export.{fmt}?channel=paper")
        assert refused.status_code == 403
    assert audit_rows(town, "survey.export") == []  # a refusal changes nothing stored

    got = viewer.get("/admin/surveys/test-2026/results.xlsx")
    assert got.status_code == 200 and "test-2026-results-" in got.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(got.data))
    assert book.sheetnames == ["集計"]
    summary = list(book["集計"].iter_rows(values_only=True))
    at = next(i for i, r in enumerate(summary) if r[0] == "回答方法")
    assert [r[:2] for r in summary[at + 1 : at + 4]] == [("LINE", 5), ("Web", 5), ("紙", None)]
    start = next(i for i, r in enumerate(summary) if str(r[0]).startswith("クロス集計"))
    groups = [n for r in summary[start:] for n in r if isinstance(n, int)]
    assert groups and min(groups) >= 5  # the held 紙 answers: in no group
    assert not any(c == "<5" for r in summary for c in r)  # numbers as numbers
    [entry] = audit_rows(town, "survey.results_export")
    assert entry.detail == {"format": "xlsx", "rows": 0, "aggregate": True}
    assert viewer.get("/admin/surveys/nope/results.xlsx").status_code == 404


def test_named_surveys_as_before(app, runner, tmp_path, state):
    survey(runner, tmp_path, state, anonymous=False)
    viewer = as_role(app, "viewer")
    html = viewer.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "LINE 6件 ・ Web 5件 ・ 紙 2件" in html
    got = viewer.get("/admin/surveys/test-2026/export.csv")
    assert got.status_code == 200
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))[1:]
    assert sum(r[3:6] == ["60代", "更科", "町内在住"] for r in rows) == 2  # no pool, no coarsening


def test_digest_and_cli_follow_the_rule(town, runner, state):
    state.clock.fixed = MONDAY
    d = digest_job.compose(state, Period.before(MONDAY, JST))
    [section] = [s for s in d.sections if s.key == "survey-test-2026"]
    assert (
        "回答方法別: LINE 今週5件（累計5件）、Web 今週5件（累計5件）、紙 今週<5件（累計<5件）"
        in section.lines
    )
    assert privacy.NOTE in section.lines
    [coverage] = [s for s in d.sections if s.key == "coverage-test-2026"]
    rows = {(r[0], r[1]): r for r in coverage.tables[0].rows}
    assert rows[("年代", "60代")][3:] == ["<5", "—"]
    assert rows[("地区", "更科")][3:] == ["<5", "—"]
    assert rows[("年代", "20代")][3] == "5"

    out = runner.invoke(args=["surveys", "results", "test-2026"]).output
    assert "回答方法別: LINE 5 ・ Web 5 ・ 紙 <5" in out


# --- the rule itself ------------------------------------------------------------------------


def test_hide_small_hides_what_subtraction_would_reveal():
    assert privacy.hide_small({"a": 6, "b": 5, "c": 2}) == {"a": 6, "b": ALSO_HIDDEN, "c": HIDDEN}
    assert privacy.hide_small({"a": 6, "b": 3, "c": 2}) == {"a": 6, "b": HIDDEN, "c": HIDDEN}
    assert privacy.hide_small({"a": 6, "b": 0}) == {"a": 6, "b": HIDDEN}  # 0: nothing to reveal
    assert privacy.hide_small({"a": 6, "b": 2}, hide=False) == {"a": 6, "b": 2}


def test_coarsening_leaves_no_shown_combination_under_5():
    rng = random.Random(16)
    bands, districts, kinds = ["20代", "30代", "60代", None], ["大谷", "磐梯", "更科"], ["resident"]
    for _ in range(200):
        combos = Counter(
            (rng.choice(bands), rng.choice(districts), rng.choice(kinds))
            for _ in range(rng.randint(1, 60))
        )
        plan = privacy.coarsening(combos)
        assert set(plan) == set(combos)
        shown = Counter()
        for key, n in combos.items():
            shown[plan[key]] += n
            if n >= 5:
                assert plan[key] == key  # common combinations untouched
        hidden = (privacy.HIDDEN,) * 3
        assert all(n >= 5 for key, n in shown.items() if key != hidden), (combos, plan)
