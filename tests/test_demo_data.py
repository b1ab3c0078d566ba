"""The demo's residents and answers: seeded and reproducible, removable, never messaged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from bot import create_app, demo_answers, demo_data, outbox
from bot.state import build_state
from db import surveys as store
from db.events import Signup
from db.models import Resident
from db.opinions import Opinion
from db.outbox import retry_key
from db.session import transaction
from db.surveys import SurveyAnswer, SurveyResponse
from handlers import survey_report
from handlers.pushes import queue
from tests.conftest import Clock
from tests.test_console import as_role

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def demo_app(settings, fake_line):
    """The app in demo mode (no LINE channel of its own), its clock at NOW."""
    st = build_state(settings.but(demo_mode=True))
    st.gateway.backoff = 0.01
    st.clock = Clock(NOW)
    application = create_app(state=st)
    application.config["TESTING"] = True
    yield application
    st.engine.dispose()


def _figures(app) -> dict:
    """Every count the demo produces: residents, responses by channel, answers by value."""
    with app.extensions["machikoe"].sessions() as s:
        demo = Resident.line_user_id.startswith(demo_data.DEMO_PREFIX)
        return {
            "residents": s.scalar(select(func.count()).where(demo)),
            "agreed": s.scalar(select(func.count()).where(demo, Resident.consent == "agreed")),
            "blocked": s.scalar(select(func.count()).where(demo, Resident.blocked.is_(True))),
            "channels": dict(
                s.execute(
                    select(SurveyResponse.channel, func.count()).group_by(SurveyResponse.channel)
                ).all()
            ),
            "answers": {
                (sv, q, v): n
                for sv, q, v, n in s.execute(
                    select(
                        SurveyAnswer.survey_id,
                        SurveyAnswer.question_id,
                        SurveyAnswer.value,
                        func.count(),
                    ).group_by(SurveyAnswer.survey_id, SurveyAnswer.question_id, SurveyAnswer.value)
                )
            },
            "signups": s.scalar(select(func.count()).select_from(Signup)),
            "opinions": s.scalar(select(func.count()).select_from(Opinion)),
            "open": s.scalar(select(func.count()).where(Opinion.status == "open")),
        }


def test_demo_loads_seeded_reproducible_data_and_removes_it(demo_app, resident, fake_line):
    runner = demo_app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "loaded demo residents: 320" in result.output and "seed 2026" in result.output
    first = _figures(demo_app)
    assert first["residents"] == 320 and 240 <= first["agreed"] < 320 and first["blocked"] > 0
    assert set(first["channels"]) == {"line", "web", "paper"}
    assert first["channels"]["web"] == 64 and first["channels"]["paper"] == 48
    assert first["channels"]["line"] > 150
    assert first["signups"] > 50 and first["opinions"] == len(demo_answers.OPINIONS)
    assert 0 < first["open"] < first["opinions"]

    with demo_app.extensions["machikoe"].sessions() as s:  # cross-tabs show numbers, not ‹5
        survey = store.get_survey(s, "resident-2026")
        table = survey_report.crosstab(s, survey, "age_band")
        cells = [c for q in table.values() if isinstance(q, dict) for c in _cells(q)]
        assert any(isinstance(c, int) and c >= 5 for c in cells), table

    # running it again replaces the data with the same figures (same seed, same clock)
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _figures(demo_app) == first

    # a real resident's data is not the demo's: removal leaves it alone
    real = resident(90)
    real.follow()
    real.tap("同意しない")
    removed = runner.invoke(args=["demo", "--remove"])
    assert removed.exit_code == 0, removed.output
    assert "removed demo residents: 320" in removed.output
    after = _figures(demo_app)
    assert after["residents"] == 0 and after["channels"] == {} and after["answers"] == {}
    assert after["signups"] == 0 and after["opinions"] == 0
    with demo_app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(Resident.id).where(Resident.line_user_id == real.id))
    assert "removed demo residents: 0" in runner.invoke(args=["demo", "--remove"]).output

    # and loading it once more gives the same figures again
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert _figures(demo_app) == first
    assert fake_line.batches_for(demo_data.demo_user_id(0)) == []  # loading sends nothing


def _cells(node):
    """Every count in a cross-tab structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("n", "count", "total") and isinstance(value, (int, str)):
                yield value
            else:
                yield from _cells(value)
    elif isinstance(node, list):
        for item in node:
            yield from _cells(item)


def test_no_demo_residents_with_a_real_channel(app, state, runner, resident, fake_line):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "demo residents not loaded: a LINE channel is set" in result.output
    with state.sessions() as s:
        demo = Resident.line_user_id.startswith(demo_data.DEMO_PREFIX)
        assert s.scalar(select(func.count()).where(demo)) == 0

    # a database that holds demo data and is then given a real channel: still never messaged
    state.clock.fixed = NOW
    with transaction(state.sessions) as s:
        demo_data.load(s, NOW)
    real = resident(91)
    real.follow()
    uid = demo_data.demo_user_id(1)
    with transaction(state.sessions) as s:
        pushed = queue(s, uid, [{"type": "text", "text": "テスト"}], "test", ("demo", 1))
    assert outbox.deliver(state, pushed) != "sent"
    news = [{"type": "text", "text": "お知らせ"}]
    sent = state.gateway.multicast([uid, real.id], news, retry_key("test", "k-1"))
    assert sent.ok
    assert fake_line.batches_for(uid) == []
    assert [b.endpoint for b in fake_line.batches_for(real.id)][-1] == "multicast"
    demo_only = state.gateway.multicast([uid], news, retry_key("test", "k-2"))
    assert fake_line.batches_for(uid) == [] and demo_only.error


def test_the_digest_as_a_console_page(demo_app, fake_line):
    assert demo_app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    viewer = as_role(demo_app, "viewer")
    page = viewer.get("/admin/digest")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "週次ダイジェスト 11/24〜11/30" in html
    assert "アンケート「町民アンケート 2026」" in html and "未対応のご意見" in html
    assert "友だち数: " in html and 'src="data:image/png;base64,' in html
    older = viewer.get("/admin/digest?day=2026-11-24").get_data(as_text=True)
    assert "11/17〜11/23" in older
    assert viewer.get("/admin/digest?day=someday").status_code == 404
    assert viewer.get("/admin/digest?day=2030-01-01").status_code == 404


def test_demo_door_names_check_ins_and_banner(demo_app, fake_line):
    import io

    from openpyxl import load_workbook

    from db.events import Event

    runner = demo_app.test_cli_runner()
    assert runner.invoke(args=["demo"]).exit_code == 0
    editor, viewer = as_role(demo_app, "editor"), as_role(demo_app, "viewer")
    door = editor.get("/admin/events/district-otani/door.xlsx")
    rows = list(load_workbook(io.BytesIO(door.data)).active.iter_rows(values_only=True))[4:]
    names = [r[1] for r in rows]
    assert any(names) and None in names  # consented names shown, the others left blank
    with demo_app.extensions["machikoe"].sessions() as s:
        held = s.get(Event, demo_data.DEMO_PAST_EVENT)
        assert held is not None and held.starts_at < NOW
        came = s.scalar(
            select(func.count()).where(Signup.event_id == held.id, Signup.attended_at.is_not(None))
        )
        assert came >= 5
        named = select(func.count()).where(Signup.door_name.is_not(None))
        assert 0 < s.scalar(named) < s.scalar(select(func.count()).select_from(Signup))
    assert editor.get(f"/admin/events/{demo_data.DEMO_PAST_EVENT}/edit").status_code == 200
    report = editor.get(f"/admin/events/{demo_data.DEMO_PAST_EVENT}/report")
    assert report.status_code == 200
    notice = "デモ用のデータです（実在の住民ではありません）"
    for url in ("/admin/", "/admin/surveys/resident-2026", "/admin/events/district-otani"):
        assert notice in viewer.get(url).get_data(as_text=True), url
    english = viewer.get("/admin/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Demo data (these are not real residents)" in english
    assert runner.invoke(args=["demo", "--remove"]).exit_code == 0
    assert notice not in viewer.get("/admin/").get_data(as_text=True)
    with demo_app.extensions["machikoe"].sessions() as s:
        assert s.get(Event, demo_data.DEMO_PAST_EVENT) is None
    assert editor.get(f"/admin/events/{demo_data.DEMO_PAST_EVENT}/edit").status_code == 404
