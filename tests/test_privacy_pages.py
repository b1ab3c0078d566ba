"""The privacy rule (docs/surveys.md, "One privacy rule for anonymous surveys") on the two
pages test_privacy_rule.py does not read: the chart image and the free-text page, for every
role. Neither shows a group under 5 — not as a bar, not by subtracting the shown bars from
the count under the chart — nor anything about the respondent who wrote a text."""

from __future__ import annotations

import re

import pytest

from db import anonymous_pool
from db import surveys as store
from db.session import transaction
from handlers import charts
from handlers.survey_cells import is_hidden
from messages.survey_staff import WORDS
from tests.survey_helpers import NOW, apply_survey
from tests.test_console import as_role

ROLES = ("viewer", "editor", "admin")
MARKS = (WORDS["chart.hidden"], WORDS["chart.also_hidden"])  # under 5; hidden for the other
WEB_TEXTS = ("ウェブの声その一", "ウェブの声その二", "ウェブの声その三")
LINE_TEXTS = tuple(f"ラインの声{n}" for n in range(1, 7))
GROUPS = {  # (channel, age band, district) → five answers each
    ("web", "30代", "磐梯"): ["住みやすい"] * 5,
    ("web", "40代", "大谷"): ["住みやすい"] * 4 + ["住みにくい"],  # web: 9 and a lone 1
    ("line", "20代", "大谷"): ["住みやすい"] * 3 + ["どちらかといえば住みやすい"] * 2,
    ("line", "50代", "更科"): ["どちらかといえば住みにくい"] * 5,
}


@pytest.fixture
def pages(app, runner, tmp_path, state):
    """An anonymous survey with 10 web and 10 LINE answers written (groups of 5): on the web
    one person alone did not choose 住みやすい and one alone gave happiness 2; 3 web and 6
    LINE respondents wrote a wish."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=True).exit_code == 0
    texts = {"web": list(WEB_TEXTS), "line": list(LINE_TEXTS)}
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for (channel, band, district), choices in GROUPS.items():
            profile = {"age_band": band, "district": district, "residency": "resident"}
            for choice in choices:
                answers: dict[str, list] = {"livability": [choice]}
                if choice == "住みにくい":
                    answers["reasons"], answers["happiness"] = ["jobs"], [2]
                else:
                    answers["happiness"] = [8]
                if texts[channel]:
                    answers["wishes"] = [texts[channel].pop()]
                store.write_response(
                    s, survey, answers, profile, NOW, "Asia/Tokyo", channel=channel
                )
        anonymous_pool.flush_survey(s, survey, store.town_day(NOW, "Asia/Tokyo"))
    with state.sessions() as s:
        assert store.response_count(s, "test-2026") == 20  # every group written, none held
    return app


@pytest.fixture
def drawn(monkeypatch):
    """What the chart route asks charts.hbar to draw: (labels, values, note) per chart."""
    calls: list[tuple[list[str], list[float], str]] = []

    def hbar(title, labels, values, note=None):
        calls.append((list(labels), list(values), note or ""))
        return b"\x89PNG\r\n\x1a\n"

    monkeypatch.setattr(charts, "hbar", hbar)
    return calls


def _chart(client, drawn, question: str, query: str = "") -> tuple[list[str], list[float], str]:
    got = client.get(f"/admin/surveys/test-2026/chart/{question}.png{query}")
    assert got.status_code == 200 and got.mimetype == "image/png"
    return drawn[-1]


def _singled_out(labels: list[str], values: list[float], note: str) -> list[str]:
    """What a reader of the chart can work out about a group under 5 (empty: nothing)."""
    found = []
    answered = re.search(r"\d+", note)
    n = int(answered.group()) if answered else None
    hidden = [i for i, label in enumerate(labels) if label.endswith(MARKS)]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        if i in hidden:
            if value:
                found.append(f"{label} drawn as {value}")
        elif n is not None and 0 < round(value * n) < 5:
            found.append(f"{label}: {round(value * n)} of {n}")
    if n is not None and hidden:
        shown = sum(round(values[i] * n) for i in range(len(labels)) if i not in hidden)
        if 0 < n - shown < 5:  # a single-answer question's bars add up to the count
            found.append(f"{n - shown} hidden, found by subtraction")
    return found


@pytest.mark.parametrize("role", ROLES)
def test_the_chart_of_a_channel_never_shows_a_group_under_5(pages, drawn, role):
    staff = as_role(pages, role)
    for question in ("livability", "happiness"):
        labels, values, note = _chart(staff, drawn, question, "?channel=web")
        assert note == "回答 10人"
        assert not _singled_out(labels, values, note), (question, labels, values)
        assert any(label.endswith(MARKS) for label in labels)  # the lone answer hidden
    # a channel with nothing written: everything hidden, even the count
    labels, values, note = _chart(staff, drawn, "livability", "?channel=paper")
    assert note == "回答 <5人" and not any(values)
    assert all(label.endswith(MARKS) for label in labels)
    # all respondents form no group: the counts per choice are drawn as they are
    labels, values, note = _chart(staff, drawn, "livability")
    assert note == "回答 20人" and not any(label.endswith(MARKS) for label in labels)
    assert values == [0.6, 0.1, 0.25, 0.05]  # 12, 2, 5, 1 of 20: the survey's own total


@pytest.mark.parametrize("role", ROLES)
def test_the_results_page_of_a_channel_hides_the_texts_of_fewer_than_5(pages, role):
    staff = as_role(pages, role)
    web = staff.get("/admin/surveys/test-2026?channel=web").get_data(as_text=True)
    assert not any(text in web for text in WEB_TEXTS)  # 3 web texts: a group under 5
    assert "回答 3人" not in web
    # LINE's 6 listed would give the web 3 as all 9 minus them, and its count 9 − 6: while
    # any channel's texts are hidden, no channel view lists texts, words or the count
    line = staff.get("/admin/surveys/test-2026?channel=line").get_data(as_text=True)
    assert not any(text in line for text in LINE_TEXTS + WEB_TEXTS)
    assert "回答 6人" not in line and "回答 ※人" in line
    everyone = staff.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert all(text in everyone for text in WEB_TEXTS + LINE_TEXTS)  # no group: all listed


def _worked_out(rows, columns=None):
    """What subtraction gives from shown row (and column) totals: [(line, people)] where one
    hidden count, or the hidden counts of a line together, hold 1 to 4 people."""
    found = []
    lines = [(g, total, cells) for g, (total, cells) in rows.items()]
    for value, total in (columns or {}).items():
        lines.append((value, total, {g: cells[value] for g, (_, cells) in rows.items()}))
    for name, total, cells in lines:
        if is_hidden(total):
            continue
        shown = [n for n in cells.values() if not is_hidden(n)]
        if 0 < len(shown) < len(cells) and 0 < total - sum(shown) < 5:  # all hidden: total only
            found.append((name, total - sum(shown)))
    return found


def test_a_cross_tab_row_and_column_give_no_hidden_count_by_subtraction(pages, state):
    from handlers import survey_report

    with state.sessions() as s:
        res = survey_report.results(s, "test-2026", by=("channel",))
    overall = {c["value"]: c["count"] for c in res["questions"][0]["choices"]}
    groups = res["crosstabs"]["channel"]["livability"]
    rows = {
        g: (r["total"], {v: c["count"] for v, c in r["cells"].items()}) for g, r in groups.items()
    }
    # web: 計 10, 住みやすい 9 → the lone other web respondent; 住みやすい 12 − 9 → LINE's 3
    assert not _worked_out(rows, overall), rows


def test_the_representativeness_split_by_channel_gives_no_count_by_subtraction():
    from handlers.population import Coverage, GroupRate
    from handlers.privacy import coverage_view

    by_channel = {
        "A": {"line": 10, "web": 10, "paper": 3},
        "B": {"line": 10, "web": 10, "paper": 9},
    }
    rows = [GroupRate("age", g, 100, sum(n.values()), by_channel=n) for g, n in by_channel.items()]
    cov = Coverage("test", 200, 52, rows, 0)
    cov.channels, cov.channel = {"line": 20, "web": 20, "paper": 12}, None
    view = coverage_view(cov, anonymous=True)
    shown = {r.group: (r.count, r.by_channel) for r in view["rows"]}
    assert view["channels"] == {"line": 20, "web": 20, "paper": 12}
    assert not _worked_out(shown, view["channels"]), shown  # 12 − 9 = A's 3 paper


def test_complementary_suppression_counts_hidden_zeros_as_nobody():
    from handlers.publishing_results import protect  # handlers.privacy.protect

    # 10 in all: the three hidden hold 1 person between them, so 9 goes too
    row = protect({"a": {"x": 9, "y": 0, "z": 0, "w": 1}}, margins=False)["a"]
    assert is_hidden(row["x"])
    # a hidden count found from one line fills in another: 8 from b's row gives a's 3
    table = protect({"a": {"x": 20, "y": 3}, "b": {"x": 9, "y": 8}})
    assert all(is_hidden(n) for r in table.values() for n in r.values())
    assert protect({"a": {"x": 6, "y": 3, "z": 2}}, margins=False)["a"]["x"] == 6  # 5: fine


@pytest.mark.parametrize("role", ROLES)
def test_the_free_text_page_shows_texts_and_nothing_about_who_wrote_them(pages, role):
    staff = as_role(pages, role)
    for query in ("", "?channel=web"):  # a channel filter makes no group of this page
        page = staff.get(f"/admin/surveys/test-2026/answers/wishes{query}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        listed = html.split('<ol class="answers"', 1)[1].split("</ol>", 1)[0]
        items = re.findall(r"<li>([^<]*)</li>", listed)
        assert sorted(items) == sorted(WEB_TEXTS + LINE_TEXTS)  # every text, nothing else
        main = html.split("<main>", 1)[1]
        for attribute in ("30代", "40代", "20代", "50代", "磐梯", "大谷", "更科", "町内在住"):
            assert attribute not in main, attribute
        for channel in ("LINE", "Web", "紙", "回答日"):
            assert channel not in main, channel
    assert staff.get("/admin/surveys/test-2026/answers/livability").status_code == 404


def test_hidden_counts_that_add_up_to_under_5_hide_one_more():
    from handlers.privacy import hide_small
    from handlers.survey_cells import ALSO_HIDDEN, HIDDEN

    # 10 in all, 9 shown: the three hidden hold 1 person between them, so 9 goes too
    assert hide_small({"a": 9, "b": 0, "c": 0, "d": 1}) == {
        "a": ALSO_HIDDEN, "b": HIDDEN, "c": HIDDEN, "d": HIDDEN,
    }  # fmt: skip
    assert hide_small({"a": 6, "b": 3, "c": 2}) == {"a": 6, "b": HIDDEN, "c": HIDDEN}  # 5: fine
    assert hide_small({"a": 6, "b": 0, "c": 0}) == {"a": 6, "b": HIDDEN, "c": HIDDEN}  # nobody
