"""The free-text words are counted by the clock (`words` job) and read by the web worker.

The Japanese analyser (Sudachi, about 80 MB) never loads in a web worker: the results page and
the console's workbooks read the words the job stored (db/survey_words.py), under the same
small-cell rule as before; until the first count the page says so (docs/performance.md).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot import jobs
from db import surveys as store
from db.session import transaction
from db.survey_words import ALL, SurveyWords
from tests.conftest import ROOT
from tests.survey_helpers import NOW, apply_survey, flush
from tests.test_console import PASSWORD, as_role, make_staff

SURVEY = "test-2026"
WAITING = "よく使われた言葉は数分ごとに集計します。まだ集計されていません。"
LIKED = {"livability": ["住みやすい"], "happiness": [7]}
# LINE: 5 responses, all with a wish; web: 5 responses, 2 with a wish (a small group)
LINE_WISHES = ["バスの本数が少ない"] * 3 + ["公園が欲しい"] * 2
WEB_WISHES = ["図書館を増やしてほしい"] * 2 + [None] * 3
PROFILE = {"age_band": "30代", "district": "大谷", "residency": "resident"}


def answer(state, channel: str, wish: str | None) -> None:
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, SURVEY)
        answers = {**LIKED, "wishes": [wish]} if wish else LIKED
        store.write_response(
            s, survey, answers, PROFILE, state.now(), "Asia/Tokyo", channel=channel
        )


@pytest.fixture
def answered(app, runner, tmp_path, state):
    """The anonymous test survey with 5 LINE and 5 web answers, written (as at its close)."""
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    for wish in LINE_WISHES:
        answer(state, "line", wish)
    for wish in WEB_WISHES:
        answer(state, "web", wish)
    flush(app)
    return app


def stored(state) -> dict[tuple[str, str], tuple[dict[str, int], int, object]]:
    with state.sessions() as s:
        rows = s.scalars(select(SurveyWords).where(SurveyWords.survey_id == SURVEY))
        return {
            (r.question_id, r.channel): ({w: n for w, n in r.words}, r.answers, r.counted_at)
            for r in rows
        }


def words_section(html: str) -> str:
    """The free-text question's words, as the results page shows them."""
    return html.split('id="q-wishes"', 1)[1].split("<h4>回答", 1)[0]


def summary(book_bytes: bytes) -> set[str]:
    sheet = load_workbook(io.BytesIO(book_bytes))["集計"]
    return {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}


def test_the_job_stores_words_per_channel_and_for_all(answered, runner, state):
    result = runner.invoke(args=["jobs", "run", "words"])
    assert result.exit_code == 0, result.output
    rows = stored(state)
    assert set(rows) == {("wishes", ch) for ch in ("line", "web", "paper", ALL)}
    words, answers, at = rows[("wishes", ALL)]
    assert answers == 7 and at == NOW
    assert words["バス"] == 3 and words["公園"] == 2 and words["図書館"] == 2
    assert rows[("wishes", "line")][:2] == ({"バス": 3, "本数": 3, "少ない": 3, "公園": 2}, 5)
    assert rows[("wishes", "web")][0] == {"図書館": 2} and rows[("wishes", "web")][1] == 2
    assert rows[("wishes", "paper")][:2] == ({}, 0)


def test_running_again_without_new_answers_changes_nothing(answered, state):
    assert jobs.count_words(state) == 1  # one free-text question counted
    before = stored(state)
    state.clock.fixed = NOW + timedelta(minutes=10)
    assert jobs.count_words(state) == 0
    assert stored(state) == before  # not even the time


def test_a_new_answer_is_counted_on_the_next_run(answered, state, app):
    jobs.count_words(state)
    later = NOW + timedelta(minutes=10)
    state.clock.fixed = later
    for _ in range(5):  # a full group of web answers, written as the pool releases it
        answer(state, "web", "図書館が遠い")
    flush(app)
    assert jobs.count_words(state) == 1
    rows = stored(state)
    words, answers, at = rows[("wishes", ALL)]
    assert answers == 12 and words["図書館"] == 7 and at == later
    assert rows[("wishes", "web")][:2] == ({"図書館": 7, "遠い": 5}, 7)
    page = as_role(app, "viewer").get(f"/admin/surveys/{SURVEY}").get_data(as_text=True)
    assert "図書館（7）" in words_section(page)
    assert "11月28日(土) 12:10 時点（回答 12件から集計" in words_section(page)  # JST


def test_the_page_before_the_first_count_says_so_and_then_shows_the_words(answered, state):
    viewer = as_role(answered, "viewer")
    page = viewer.get(f"/admin/surveys/{SURVEY}")
    assert page.status_code == 200
    section = words_section(page.get_data(as_text=True))
    assert WAITING in section and "バス" not in section and "時点" not in section
    book = viewer.get(f"/admin/surveys/{SURVEY}/results.xlsx")
    cells = summary(book.data)
    assert "頻出語は数分ごとに集計します。まだ集計されていません。" in cells
    assert not [c for c in cells if c.startswith("頻出語: ")]

    jobs.count_words(state)
    section = words_section(viewer.get(f"/admin/surveys/{SURVEY}").get_data(as_text=True))
    assert WAITING not in section and "バス（3）" in section
    assert "11月28日(土) 12:00 時点（回答 7件から集計" in section  # NOW in JST
    cells = summary(viewer.get(f"/admin/surveys/{SURVEY}/results.xlsx").data)
    assert "頻出語: バス" in cells and "頻出語の集計時点" in cells


def test_a_hidden_question_shows_no_stored_words(answered, state):
    """Web has 5 responses but only 2 answers to the free-text question: filtered to web,
    the question's counts are hidden (anonymous), and so are its stored words."""
    jobs.count_words(state)
    assert stored(state)[("wishes", "web")][0] == {"図書館": 2}  # counted, kept, not shown
    editor = as_role(answered, "editor")
    web = editor.get(f"/admin/surveys/{SURVEY}?channel=web").get_data(as_text=True)
    section = words_section(web)
    assert "図書館" not in section and WAITING not in section and "時点" not in section
    for url in ("results.xlsx?channel=web", "export.xlsx?channel=web"):
        got = editor.get(f"/admin/surveys/{SURVEY}/{url}")
        assert got.status_code == 200, url
        cells = summary(got.data)
        assert not [c for c in cells if c.startswith("頻出語")], url
    everyone = editor.get(f"/admin/surveys/{SURVEY}").get_data(as_text=True)
    assert "図書館（2）" in words_section(everyone)  # over all channels: no group is formed
    line = editor.get(f"/admin/surveys/{SURVEY}?channel=line").get_data(as_text=True)
    # LINE's words beside all channels' would give web's by subtraction: hidden too
    assert "バス" not in words_section(line) and "図書館" not in words_section(line)


PROBE = r"""
import io, json, re, sys
ANALYSER = ("sudachipy", "sudachidict_core")
import wsgi
from openpyxl import load_workbook

client = wsgi.app.test_client()
page = client.get("/admin/login").get_data(as_text=True)
token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
signed = client.post("/admin/login", data={"email": EMAIL, "password": PASSWORD,
                                            "csrf_token": token})
results = client.get("/admin/surveys/test-2026")
web = client.get("/admin/surveys/test-2026?channel=web")
book = client.get("/admin/surveys/test-2026/results.xlsx")
rows = client.get("/admin/surveys/test-2026/export.xlsx")
chart = client.get("/admin/surveys/test-2026/chart/livability.png")
digest = client.get("/admin/digest?day=2026-11-30")  # the week of the answers
sheet = load_workbook(io.BytesIO(book.data))["集計"]
cells = {str(c) for r in sheet.iter_rows(values_only=True) for c in r if c is not None}
print(json.dumps({
    "status": [signed.status_code, results.status_code, web.status_code, book.status_code,
               rows.status_code, chart.status_code, digest.status_code],
    "digest_words": "バス" in digest.get_data(as_text=True),
    "words_shown": "バス（3）" in results.get_data(as_text=True),
    "words_in_book": "頻出語: バス" in cells,
    "analyser": sorted(m for m in sys.modules if m.split(".")[0] in ANALYSER),
}))
"""


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_web_worker_serves_words_and_workbooks_without_loading_the_analyser(
    answered, state, db_url
):
    """A fresh process, as a gunicorn worker: the results page, the channel view, both
    workbooks, a chart and the digest page, with the words the job stored, and sudachipy
    never imported."""
    jobs.count_words(state)  # the clock's job, here in the test's process
    make_staff(answered, "editor@example.jp", "editor")
    state.engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
    env.update(DATABASE_URL=db_url, SECRET_KEY="test-secret-key")
    probe = f"EMAIL, PASSWORD = 'editor@example.jp', {PASSWORD!r}\n" + PROBE
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["status"] == [302, 200, 200, 200, 200, 200, 200], found
    assert found["words_shown"] and found["words_in_book"] and found["digest_words"], found
    assert found["analyser"] == [], found
