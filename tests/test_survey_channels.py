"""One dataset by channel: results, cross-tabs, filters, exports, console, CLI and digest.

Responses come in through LINE chat (signed webhooks, or `submit` as the chat calls it), and
as web and paper answers written with `write_response(..., channel=...)`.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import digest as digest_job
from db import surveys as store
from db.models import Resident
from db.session import transaction
from handlers import survey_report
from handlers import survey_results as api
from handlers.digest import Period
from handlers.survey_cells import HIDDEN
from tests.conftest import ROOT
from tests.survey_helpers import NOW, apply_survey, onboard
from tests.test_console import as_role, audit_rows
from tests.test_console_surveys import GOOD, answer, upload

JST = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 11, 30, 9, 5, tzinfo=JST).astimezone(UTC)  # the week 11/23〜11/29
EARLIER = NOW - timedelta(days=20)  # before that week

LINE_ANSWER = {"livability": ["住みにくい"], "reasons": ["jobs"], "happiness": [3],
               "wishes": ["仕事が欲しい"]}  # fmt: skip
WEB_ANSWER = {"livability": ["住みやすい"], "happiness": [9], "wishes": ["公園が欲しい"]}
PAPER_ANSWER = {"livability": ["どちらかといえば住みやすい"], "happiness": [7],
                "wishes": ["バスの本数が少ない"]}  # fmt: skip


def write(s, survey, channel: str, n: int, answers: dict, profile: dict, when=NOW) -> None:
    """n responses of one channel, written the way web and paper answers are."""
    for _ in range(n):
        store.write_response(s, survey, answers, profile, when, channel=channel, tz="Asia/Tokyo")


def fill(state, web: int = 4) -> None:
    """5 in LINE chat (20代, 大谷), `web` on the web (30代, 磐梯), 5 on paper (60代, 磐梯; one
    of them entered before the digest's week). Anonymous: each group of 5 is written; the 4
    web answers stay sealed in the pool at the close (fewer than 5 of a channel)."""
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i in range(5):
            r = Resident(line_user_id=f"U{i:032x}", age_band="20代", district="大谷")
            s.add(r)
            s.flush()
            profile = {"age_band": "20代", "district": "大谷", "residency": "resident"}
            assert (
                store.submit(s, survey, r.id, LINE_ANSWER, profile, NOW, tz="Asia/Tokyo")
                is not None
            )
        write(s, survey, "web", web, WEB_ANSWER, {"age_band": "30代", "district": "磐梯"})
        paper = {"age_band": "60代", "district": "磐梯", "residency": "resident"}
        write(s, survey, "paper", 1, PAPER_ANSWER, paper, when=EARLIER)
        write(s, survey, "paper", 4, PAPER_ANSWER, paper)
    flush_pending_answers(state)


def flush_pending_answers(state) -> None:
    """The survey's close, as the clock runs it: anonymous answers still pooled go in."""
    with transaction(state.sessions) as s:
        store.flush_pending(
            s, force=True, now=state.now(), secret=state.settings.secret_key, tz="Asia/Tokyo"
        )


@pytest.fixture
def mixed(app, runner, tmp_path, state):
    """The anonymous test survey with 5 LINE and 5 paper responses written, 4 web held."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    fill(state)
    return "test-2026"


def choices(res: dict, qid: str) -> dict:
    q = next(q for q in res["questions"] if q["id"] == qid)
    return {c["value"]: c["count"] for c in q["choices"]}


def question(res: dict, qid: str) -> dict:
    return next(q for q in res["questions"] if q["id"] == qid)


def test_counts_by_channel_and_a_filter_restricts_every_count(app, mixed):
    with app.extensions["machikoe"].sessions() as s:
        every = api.survey_results(s, mixed, by=store.ALL_DIMENSIONS)
        paper = api.survey_results(s, mixed, by=store.ALL_DIMENSIONS, channel="paper")
        line = api.survey_results(s, mixed, by=store.ALL_DIMENSIONS, channel="line")
    # the 4 web answers stay sealed in the pool (fewer than 5 of a channel): not counted
    assert every["responses"] == 10 and every["channel"] is None
    assert every["channels"] == {"line": 5, "web": 0, "paper": 5}
    assert choices(every, "livability") == {
        "住みやすい": 0,
        "どちらかといえば住みやすい": 5,
        "どちらかといえば住みにくい": 0,
        "住みにくい": 5,
    }
    assert question(every, "happiness")["mean"] == round((5 * 3 + 5 * 7) / 10, 2)

    assert paper["responses"] == 5 and paper["channel"] == "paper"
    assert paper["channels"] == {"line": 0, "web": 0, "paper": 5}
    # anonymous: a channel's results are a group, so its small counts are suppressed too
    assert choices(paper, "livability") == {
        "住みやすい": HIDDEN,
        "どちらかといえば住みやすい": 5,
        "どちらかといえば住みにくい": HIDDEN,
        "住みにくい": HIDDEN,
    }
    assert question(paper, "livability")["choices"][1]["share"] == 100.0
    assert (
        question(paper, "happiness")["mean"] == 7.0 and question(paper, "happiness")["median"] == 7
    )
    assert question(paper, "happiness")["answered"] == 5
    assert dict(question(paper, "wishes")["words"]).keys() >= {"バス", "本数"}
    assert "仕事" not in dict(question(paper, "wishes")["words"])
    assert set(paper["crosstabs"]["age_band"]["livability"]) == {"60代"}
    assert set(paper["crosstabs"]["channel"]["livability"]) == {"paper"}

    assert line["responses"] == 5 and choices(line, "livability")["住みにくい"] == 5
    assert choices(line, "reasons")["jobs"] == 5 and question(line, "happiness")["mean"] == 3.0
    assert dict(question(line, "wishes")["words"]).get("仕事") == 5
    assert set(line["crosstabs"]["district"]["livability"]) == {"大谷"}


def test_crosstab_by_channel_suppresses_small_groups_in_anonymous_surveys(app, mixed):
    with app.extensions["machikoe"].sessions() as s:
        res = api.survey_results(s, mixed, by=("channel",))
        web = api.survey_results(s, mixed, by=("channel",), channel="web")
    tab = res["crosstabs"]["channel"]["livability"]
    # the 4 web answers stay sealed in the pool, so Web has no row; LINE before 紙
    assert list(tab) == ["line", "paper"]
    assert tab["line"]["total"] == 5
    assert tab["line"]["cells"]["住みにくい"] == {"count": 5, "share": 100.0}
    assert tab["line"]["cells"]["住みやすい"] == {"count": HIDDEN, "share": None}
    assert tab["paper"]["cells"]["どちらかといえば住みやすい"] == {"count": 5, "share": 100.0}
    # filtered to web (none written): nothing under 5 is shown, no mean, no words
    assert web["responses"] == 0 and web["suppressed"] is True
    assert set(choices(web, "livability").values()) == {HIDDEN}
    assert question(web, "happiness")["mean"] is None
    assert question(web, "happiness")["answered"] == HIDDEN
    assert question(web, "wishes")["words"] == []


def test_named_survey_shows_small_channel_numbers(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    fill(state)
    with app.extensions["machikoe"].sessions() as s:
        res = api.survey_results(s, "test-2026", by=("channel",))
        web = api.survey_results(s, "test-2026", channel="web")
    assert res["crosstabs"]["channel"]["livability"]["web"]["total"] == 4
    assert res["crosstabs"]["channel"]["livability"]["web"]["cells"]["住みやすい"]["count"] == 4
    assert choices(web, "livability") == {
        "住みやすい": 4,
        "どちらかといえば住みやすい": 0,
        "どちらかといえば住みにくい": 0,
        "住みにくい": 0,
    }
    assert question(web, "happiness")["mean"] == 9.0 and web["suppressed"] is False


def test_one_pass_crosstabs_equal_one_crosstab_per_dimension(app, mixed):
    with app.extensions["machikoe"].sessions() as s:
        survey = store.get_survey(s, mixed)
        together = survey_report.crosstabs(s, survey, store.ALL_DIMENSIONS)
        for dim in store.ALL_DIMENSIONS:
            assert together[dim] == survey_report.crosstab(s, survey, dim)
        assert survey_report.crosstabs(s, survey, ("age_band", "channel"), "paper") == {
            "age_band": survey_report.crosstab(s, survey, "age_band", "paper"),
            "channel": survey_report.crosstab(s, survey, "channel", "paper"),
        }


def test_an_unknown_channel_is_refused(app, mixed):
    with app.extensions["machikoe"].sessions() as s:
        survey = store.get_survey(s, mixed)
        with pytest.raises(ValueError, match="unknown channel 'fax'"):
            api.survey_results(s, mixed, channel="fax")
        with pytest.raises(ValueError, match="unknown channel"):
            survey_report.crosstab(s, survey, "age_band", "LINE")
        with pytest.raises(ValueError, match="cross-tab by 'colour'"):
            survey_report.crosstab(s, survey, "colour")


def test_exports_carry_the_channel_after_the_day(app, runner, mixed, tmp_path):
    out = tmp_path / "all.csv"
    result = runner.invoke(
        args=["surveys", "export", mixed, "--format", "csv", "--output", str(out)]
    )
    # the 4 web answers, fewer than 5 of a channel, stay sealed in the pool: not exported
    assert result.exit_code == 0 and "10 responses" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert rows[0][:4] == ["回答番号", "回答日", "回答方法", "年代"]
    body = rows[1:]
    assert sorted(r[2] for r in body).count("紙") == 5
    assert {r[2] for r in body} == {"LINE", "紙"}
    assert {r[3] for r in body if r[2] == "LINE"} == {"20代"}

    paper = tmp_path / "paper.xlsx"
    result = runner.invoke(
        args=[
            *("surveys", "export", mixed, "--format", "xlsx", "--output", str(paper)),
            *("--channel", "paper"),
        ]
    )
    assert result.exit_code == 0 and "5 responses" in result.output
    book = load_workbook(paper)
    sheet = book["回答"]
    assert sheet["B1"].value == "回答日" and sheet["C1"].value == "回答方法"
    assert [sheet.cell(row=i, column=3).value for i in range(2, 7)] == ["紙"] * 5
    assert sheet.max_row == 6
    assert {sheet.cell(row=i, column=4).value for i in range(2, 7)} == {"60代"}
    summary = list(book["集計"].iter_rows(values_only=True))
    assert summary[2][:2] == ("絞り込み", "回答方法: 紙のみ")
    assert summary[3][:2] == ("回答数", 5)

    full = tmp_path / "all.xlsx"
    runner.invoke(args=["surveys", "export", mixed, "--format", "xlsx", "--output", str(full)])
    summary = list(load_workbook(full)["集計"].iter_rows(values_only=True))
    at = summary.index(next(r for r in summary if r[:3] == ("回答方法", "件数", "割合(%)")))
    assert [r[:4] for r in summary[at + 1 : at + 4]] == [  # Web: none written, under 5
        ("LINE", 5, 50, None),
        ("Web", None, None, "5人未満"),
        ("紙", 5, 50, None),
    ]
    heading = next(i for i, r in enumerate(summary) if r[0] == "クロス集計（回答方法別）")
    assert not [r for r in summary[heading + 1 :] if r[0] == "Web"]


def test_cli_results_by_channel_with_a_filter_and_refusals(app, runner, mixed, tmp_path):
    result = runner.invoke(args=["surveys", "results", mixed, "--by", "channel"])
    assert result.exit_code == 0, result.output
    out = result.output
    # the 4 web answers stay sealed in the pool: Web shows <5 and has no cross-tab row
    assert "回答数: 10" in out and "回答方法別: LINE 5 ・ Web <5 ・ 紙 5" in out
    assert "クロス集計: 回答方法別" in out and "クロス集計: 年代別" not in out
    assert not [line for line in out.splitlines() if line.strip().startswith("Web")]
    assert "4" not in out.split("回答方法別:", 1)[1].splitlines()[0]

    paper = runner.invoke(
        args=["surveys", "results", mixed, "--by", "channel", "--channel", "paper"]
    )
    assert paper.exit_code == 0, paper.output
    assert "絞り込み: 回答方法 紙 のみ" in paper.output and "回答数: 5" in paper.output
    assert "回答方法別: LINE <5 ・ Web <5 ・ 紙 5" in paper.output
    assert "平均 7.00" in paper.output

    bad = runner.invoke(args=["surveys", "results", mixed, "--channel", "fax"])
    assert bad.exit_code == 2 and "'fax' is not one of 'line', 'web', 'paper'" in bad.output
    target = tmp_path / "x.csv"
    bad = runner.invoke(
        args=[
            *("surveys", "export", mixed, "--format", "csv", "--output", str(target)),
            *("--channel", "LINE"),
        ]
    )
    assert bad.exit_code == 2 and "is not one of" in bad.output and not target.exists()


def test_console_shows_channel_counts_and_filters(app, state, resident, fake_line):
    state.clock.fixed = NOW
    editor = as_role(app, "editor")
    upload(editor, GOOD)
    answer(onboard(resident(1)), "住みやすい", "8", None)  # through LINE chat, signed
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        web = {"livability": ["住みにくい"], "reasons": ["traffic"], "happiness": [2]}
        write(s, survey, "web", 5, web, {"age_band": "40代", "district": "更科"})
        write(s, survey, "paper", 2, PAPER_ANSWER, {"age_band": "60代"})
    flush_pending_answers(state)  # the web group of 5 went in at once; LINE's 1 and paper's 2
    with app.extensions["machikoe"].sessions() as s:  # stay sealed (fewer than 5 a channel)
        channels = [c for (c,) in s.execute(select(store.SurveyResponse.channel))]
    assert sorted(channels) == ["web"] * 5

    page = editor.get("/admin/surveys/test-2026")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-testid="responses">5<' in html
    assert "LINE &lt;5件 ・ Web 5件 ・ 紙 &lt;5件" in html  # anonymous: none, shown as <5
    assert 'href="/admin/surveys/test-2026?channel=web#results"' in html
    assert "すべて（5件）" in html and "Web（5件）" in html
    assert "<h3>回答方法別</h3>" in html and "<th>Web</th>" in html

    web_page = editor.get("/admin/surveys/test-2026?channel=web")
    html = web_page.get_data(as_text=True)
    assert web_page.status_code == 200 and 'data-testid="responses">5<' in html
    assert "回答方法「Web」の回答 5件だけを集計しています" in html
    assert "LINE &lt;5件 ・ Web 5件 ・ 紙 &lt;5件" in html and "すべて（5件）" in html
    assert 'aria-current="page">Web（5件）' in html
    assert "chart/livability.png?channel=web" in html
    assert "export.csv?channel=web" in html and "平均 2.0" in html

    paper_page = editor.get("/admin/surveys/test-2026?channel=paper").get_data(as_text=True)
    assert "&lt;5" in paper_page and "5人未満のため表示しません" in paper_page

    assert editor.get("/admin/surveys/test-2026?channel=fax").status_code == 404
    assert editor.get("/admin/surveys/test-2026/export.csv?channel=fax").status_code == 404
    chart = editor.get("/admin/surveys/test-2026/chart/livability.png?channel=web")
    assert chart.status_code == 200 and chart.data[:4] == b"\x89PNG"
    assert editor.get("/admin/surveys/test-2026/chart/livability.png?channel=x").status_code == 404

    exported = editor.get("/admin/surveys/test-2026/export.csv?channel=web")
    rows = list(csv.reader(io.StringIO(exported.data.decode("utf-8-sig"))))
    assert len(rows) == 6 and {r[2] for r in rows[1:]} == {"Web"}
    assert "test-2026-web-" in exported.headers["Content-Disposition"]
    [entry] = audit_rows(app, "survey.export")
    assert entry.detail == {"format": "csv", "rows": 5, "channel": "web", "coarsened": True}


def test_representativeness_by_channel(app, editor_page, runner, state):
    population = ROOT / "content" / "demo" / "population.yml"
    assert runner.invoke(args=["content", "apply", str(population)]).exit_code == 0
    page = editor_page.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "回答者の代表性" in page and "うちWeb" in page
    # the sixth web answer stays sealed in the pool (1 left, fewer than 5): 5 counted
    assert "回答方法別: LINE 30人・Web 5人・紙 &lt;5人" in page  # anonymous: under 5 hidden
    row_20s = page.split("<td>20代</td>", 1)[1].split("</tr>", 1)[0]
    assert ">30<" in row_20s  # all 30, of them 30 in LINE
    row_40s = page.split("<td>40代</td>", 1)[1].split("</tr>", 1)[0]
    assert ">5<" in row_40s
    web = editor_page.get("/admin/surveys/test-2026?channel=web").get_data(as_text=True)
    assert "回答方法「Web」の回答者だけを数えています" in web and "うちWeb" not in web
    row_20s = web.split("<td>20代</td>", 1)[1].split("</tr>", 1)[0]
    assert "&lt;5" in row_20s and "少ない" in row_20s
    row_40s = web.split("<td>40代</td>", 1)[1].split("</tr>", 1)[0]
    assert ">5<" in row_40s


@pytest.fixture
def editor_page(app, runner, tmp_path, state):
    """30 LINE respondents in their 20s (大谷) and 6 web respondents in their 40s (磐梯), of
    whom 5 are written (the sixth stays in the pool)."""
    state.clock.fixed = NOW
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
        profile = {"age_band": "40代", "district": "磐梯", "residency": "resident"}
        write(s, survey, "web", 6, {"livability": ["住みにくい"]}, profile)
    flush_pending_answers(state)  # the sixth web answer stays sealed: 1 left, fewer than 5
    return as_role(app, "viewer")


def test_digest_shows_responses_by_channel(app, runner, mixed, state):
    state.clock.fixed = MONDAY
    d = digest_job.compose(state, Period.before(MONDAY, JST))
    counts = d.numbers["survey.test-2026"]
    assert counts["by_channel"] == {
        "line": {"week": 5, "total": 5},
        "web": {"week": 0, "total": 0},  # anonymous: the 4 web answers stay in the pool
        "paper": {"week": 5, "total": 5},  # anonymous: the day the group of 5 was written
    }
    assert (counts["finished"], counts["total"]) == (10, 10)
    [section] = [s for s in d.sections if s.key == "survey-test-2026"]
    assert (  # anonymous: the privacy rule shows Web as <5, never its 0 or 4
        "回答方法別: LINE 今週5件（累計5件）、Web 今週<5件（累計<5件）、紙 今週5件（累計5件）"
        in section.lines
    )
    assert "今週の回答: 10件（回答開始 5件）" in section.lines
    text = runner.invoke(args=["digest", "send", "--dry-run"]).output
    assert "紙 今週5件（累計5件）" in text and "Web 今週4件" not in text
