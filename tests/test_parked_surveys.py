"""A survey left for another is parked in its own row, resumed where it was, and expires.

Also the migration that moved parked surveys out of the conversation's data (0019): a
database at 0018 with a `parked` dict and per-question states is upgraded into rows and
fixed states, on SQLite and PostgreSQL, and downgraded back.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text

from db import migrate
from db.models import Conversation, ParkedSurvey, Resident
from tests.survey_helpers import NOW, SURVEY, apply_survey, onboard

SECOND = SURVEY.replace("test-2026", "second-2026").replace("（テスト）", "（第二）")
FIRST_TITLE, SECOND_TITLE = "町民アンケート（テスト）", "町民アンケート（第二）"


@pytest.fixture
def surveys(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    assert apply_survey(runner, tmp_path, SECOND, name="second.yml").exit_code == 0


def _rows(app, model) -> list:
    with app.extensions["machikoe"].sessions() as s:
        rows = list(s.scalars(select(model).order_by(model.id)))
        s.expunge_all()
        return rows


def _survey_conv(app) -> Conversation:
    return next(c for c in _rows(app, Conversation) if c.flow == "survey")


def test_a_parked_survey_is_its_own_row_and_resumes_where_it_was(app, resident, surveys):
    r = onboard(resident(1))
    r.say("アンケート")
    r.tap(FIRST_TITLE)
    got = r.tap("住みにくい")  # Q1 answered: Q2 (reasons) asked
    assert "Q2/4" in r.texts(got)
    conv = _survey_conv(app)
    assert (conv.state, conv.data["q"]) == ("question", "reasons")

    got = r.tap(SECOND_TITLE, r.say("アンケート"))  # the first is parked
    assert "Q1/4" in r.texts(got) and "第二" in r.texts(got)  # the second, afresh
    (row,) = _rows(app, ParkedSurvey)
    assert (row.survey_id, row.state, row.data["q"]) == ("test-2026", "question", "reasons")
    assert row.data["answers"] == {"livability": ["住みにくい"]} and row.parked_at == NOW
    assert "住みにくい" not in json.dumps(_survey_conv(app).data, ensure_ascii=False)
    assert "Q2/3" in r.texts(r.tap("住みやすい"))  # the second's Q1: no reasons asked

    listing = r.say("アンケート")
    assert f"続き: {FIRST_TITLE}" in r.buttons(listing)
    assert f"続き: {SECOND_TITLE}" in r.buttons(listing)
    got = r.tap(f"続き: {FIRST_TITLE}", listing)
    assert "Q2/4" in r.texts(got) and "住みにくいと感じる理由" in r.texts(got)
    assert [p.survey_id for p in _rows(app, ParkedSurvey)] == ["second-2026"]

    got = r.tap("もどる", got)  # the history came back with it
    assert "Q1/" in r.texts(got) and "住みやすいと思いますか" in r.texts(got)
    r.tap("住みやすい", got)
    r.tap("7")
    got = r.tap("スキップ")
    assert "ご回答ありがとうございました" in r.texts(got)

    got = r.tap(f"続き: {SECOND_TITLE}", r.say("アンケート"))
    assert "Q2/3" in r.texts(got) and "幸せ" in r.texts(got)  # where the second was left
    assert _rows(app, ParkedSurvey) == []


def test_parked_rows_go_with_the_resident(app, resident, surveys):
    r = onboard(resident(2))
    r.say("アンケート")
    r.tap(FIRST_TITLE)
    r.tap("住みにくい")
    r.tap(SECOND_TITLE, r.say("アンケート"))
    assert len(_rows(app, ParkedSurvey)) == 1
    r.say("私のデータ")
    r.tap("削除する")
    r.tap("削除する（確定）")
    assert _rows(app, Resident) == [] and _rows(app, ParkedSurvey) == []


def test_a_parked_survey_expires_even_when_its_conversation_is_gone(
    app, runner, resident, surveys, state
):
    r = onboard(resident(3))
    r.say("アンケート")
    r.tap(FIRST_TITLE)
    r.tap("住みにくい")
    r.tap(SECOND_TITLE, r.say("アンケート"))
    with app.extensions["machikoe"].sessions.begin() as s:  # e.g. removed by hand
        s.execute(Conversation.__table__.delete().where(Conversation.flow == "survey"))
    state.clock.fixed = NOW + timedelta(days=7, hours=1)
    result = runner.invoke(args=["jobs", "run", "answers"])
    assert result.exit_code == 0, result.output
    assert _rows(app, ParkedSurvey) == []
    assert "7日間操作がなかったため" in r.texts(r.say("アンケート"))  # told once


# --- the migration -----------------------------------------------------------------------------

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
PARKED = {
    "test-2026": {
        "answers": {"livability": ["住みにくい"]},
        "profile": {"residency": "resident"},
        "state": "q.reasons",
        "history": ["age", "q.livability"],
        "code_hash": "abc",
        "at": AT.isoformat(),
    }
}


@pytest.fixture(params=["sqlite", "postgresql"])
def at_0018(request, tmp_path):
    """An empty database migrated to 0018 (before parked rows)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        migrate.upgrade(url, "0018_event_queue")
        yield url
        return
    base = request.getfixturevalue("pg_url")
    name = f"parked_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    url = base.rsplit("/", 1)[0] + "/" + name
    migrate.upgrade(url, "0018_event_queue")
    yield url
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
    admin.dispose()


def _insert_old(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO residents (id, line_user_id, language, consent, blocked, created_at)"
            " VALUES (1, 'U1', 'ja', 'agreed', false, :at)"
        ),
        {"at": AT},
    )
    conn.execute(
        Conversation.__table__.insert().values(
            resident_id=1,
            flow="survey",
            state="t.wishes",
            status="paused",
            step=5,
            data={"survey": "second-2026", "answers": {"happiness": [7]}, "parked": PARKED},
            history=["q.livability", "q.happiness"],
            updated_at=AT + timedelta(days=1),
        )
    )


def test_the_migration_moves_parked_dicts_into_rows_and_fixes_states(at_0018):
    engine = create_engine(at_0018)
    with engine.begin() as conn:
        _insert_old(conn)
    migrate.upgrade(at_0018)
    with engine.connect() as conn:
        conv = conn.execute(select(Conversation.__table__)).one()
        (row,) = conn.execute(select(ParkedSurvey.__table__)).all()
    assert conv.state == "free_text" and conv.data["q"] == "wishes"
    assert "parked" not in conv.data and conv.data["answers"] == {"happiness": [7]}
    assert conv.history == [
        {"state": "question", "data": {"q": "livability"}},
        {"state": "question", "data": {"q": "happiness"}},
    ]
    assert (row.resident_id, row.survey_id, row.state) == (1, "test-2026", "question")
    assert row.data == {
        "q": "reasons",
        "answers": {"livability": ["住みにくい"]},
        "profile": {"residency": "resident"},
        "code_hash": "abc",
    }
    assert row.history == ["age", {"state": "question", "data": {"q": "livability"}}]
    parked_at = row.parked_at if row.parked_at.tzinfo else row.parked_at.replace(tzinfo=UTC)
    assert parked_at == AT

    command.downgrade(migrate.alembic_config(at_0018), "0018_event_queue")
    with engine.connect() as conn:
        conv = conn.execute(select(Conversation.__table__)).one()
    assert conv.state == "t.wishes" and conv.history == ["q.livability", "q.happiness"]
    assert conv.data["parked"] == PARKED and "q" not in conv.data
    engine.dispose()
