"""Nothing of an anonymous survey lingers: paused answers expire, webhook events and logs forget.

Plays the one who can read every table and every log: after the retention periods, unfinished
answers are gone from `conversations`, old `webhook_events` no longer say who or exactly when,
and no log line puts a resident's LINE user id next to a survey.
"""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot import logs
from bot.config import SettingsError, load_settings
from db.models import AuditLog, Conversation, Outbox, ParkedSurvey, WebhookEvent
from tests import line
from tests.survey_helpers import NOW, SURVEY, apply_survey, onboard

DAY = timedelta(days=1)


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    result = apply_survey(runner, tmp_path)
    assert result.exit_code == 0, result.output
    return "test-2026"


def _conv(app) -> Conversation | None:
    with app.extensions["machikoe"].sessions() as s:
        conv = s.scalar(select(Conversation).where(Conversation.flow == "survey"))
        if conv is not None:
            s.expunge(conv)
        return conv


def _parked(app) -> list[ParkedSurvey]:
    with app.extensions["machikoe"].sessions() as s:
        rows = list(s.scalars(select(ParkedSurvey)))
        s.expunge_all()
        return rows


def _run(runner, name: str) -> int:
    result = runner.invoke(args=["jobs", "run", name])
    assert result.exit_code == 0, result.output
    return int(result.output.strip().rsplit(":", 1)[1])


def _pause_after_one_answer(resident):
    r = onboard(resident(1))
    r.say("アンケート")
    got = r.tap("町民アンケート（テスト）")
    assert "7日以内なら続きを回答できます" in r.texts(got)  # said before the first question
    r.tap("住みにくい")  # Q1 answered; Q2 asked
    got = r.tap("中断")
    assert "中断しました" in r.texts(got)
    return r


# --- paused answers ----------------------------------------------------------------------------


def test_paused_answers_are_purged_by_the_clock_and_the_resident_is_told(
    app, runner, resident, survey, state
):
    r = _pause_after_one_answer(resident)
    assert _conv(app).data["answers"] == {"livability": ["住みにくい"]}

    state.clock.fixed = NOW + 6 * DAY  # within the seven days: kept
    assert _run(runner, "answers") == 0
    assert _conv(app).data["answers"] == {"livability": ["住みにくい"]}

    state.clock.fixed = NOW + 7 * DAY + timedelta(hours=1)
    assert _run(runner, "answers") == 1
    conv = _conv(app)
    assert conv.data == {"expired": True} and conv.history == [] and conv.status == "done"
    assert "住みにくい" not in json.dumps(conv.data, ensure_ascii=False)
    assert _run(runner, "answers") == 0  # safe to run twice

    got = r.say("アンケート")
    text = r.texts(got)
    assert "7日間操作がなかったため" in text and "はじめから" in text
    assert "回答の途中です" not in text  # no longer offered as a resume
    assert "expired" not in _conv(app).data  # told once
    again = r.texts(r.say("アンケート"))
    assert "7日間操作がなかった" not in again

    got = r.tap("町民アンケート（テスト）")
    assert "Q1/4" in r.texts(got)  # a fresh start


def test_a_resident_back_before_the_clock_ran_is_told_and_starts_afresh(
    app, resident, survey, state
):
    r = _pause_after_one_answer(resident)
    state.clock.fixed = NOW + 8 * DAY  # no job ran (the clock process was down)
    got = r.tap("町民アンケート（テスト）", r.inbox[:-1])  # the list's button, from before
    text = r.texts(got)
    assert "7日間操作がなかったため" in text and "Q1/4" in text
    assert _conv(app).data["answers"] == {}


def test_an_old_question_button_tapped_late_ends_kindly_and_keeps_nothing(
    app, resident, survey, state
):
    r = onboard(resident(1))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.tap("住みにくい")  # Q2 is on screen, the conversation active
    state.clock.fixed = NOW + 8 * DAY
    got = r.tap("買い物が不便", got)
    assert "7日間操作がなかったため" in r.texts(got)
    conv = _conv(app)
    assert conv.data == {} and conv.history == [] and conv.status == "done"


def test_a_parked_survey_expires_on_its_own_while_another_is_in_use(
    app, runner, resident, survey, state, tmp_path
):
    second = SURVEY.replace("test-2026", "second-2026").replace("（テスト）", "（第二）")
    assert apply_survey(runner, tmp_path, second, name="second.yml").exit_code == 0
    r = onboard(resident(1))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みにくい")
    got = r.say("アンケート")
    r.tap("町民アンケート（第二）", got)  # the first is parked
    assert [p.survey_id for p in _parked(app)] == ["test-2026"]
    assert _parked(app)[0].data["answers"] == {"livability": ["住みにくい"]}

    state.clock.fixed = NOW + 5 * DAY
    r.tap("住みやすい")  # activity on the second survey only
    state.clock.fixed = NOW + 7 * DAY + timedelta(hours=1)
    assert _run(runner, "answers") == 1
    conv = _conv(app)
    assert _parked(app) == [] and conv.data["expired"] is True
    assert conv.data["answers"] == {"livability": ["住みやすい"]}  # the fresh one stays
    text = r.texts(r.say("アンケート"))
    assert "7日間操作がなかったため" in text


def test_answers_are_deleted_on_completion_and_the_finished_row_goes(
    app, runner, resident, survey, state
):
    r = onboard(resident(1))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    r.tap("7")
    got = r.say("公園がほしい")
    assert "ご回答ありがとうございました" in r.texts(got)
    conv = _conv(app)
    assert conv.data == {} and conv.history == [] and conv.state == ""
    state.clock.fixed = NOW + timedelta(hours=1)
    assert _run(runner, "answers") == 1
    assert _conv(app) is None  # nor the moment it ended
    got = r.say("アンケート")  # the resident carries on as before
    assert "7日間" not in r.texts(got)


def test_paused_answers_days_is_a_checked_setting():
    assert load_settings({}).survey_paused_answers_days == 7
    assert load_settings({"SURVEY_PAUSED_ANSWERS_DAYS": "3"}).survey_paused_answers_days == 3
    for bad in ("0", "91", "seven", "７", "-1"):
        with pytest.raises(SettingsError, match="SURVEY_PAUSED_ANSWERS_DAYS"):
            load_settings({"SURVEY_PAUSED_ANSWERS_DAYS": bad})


# --- webhook events ----------------------------------------------------------------------------


def _events(app) -> list[WebhookEvent]:
    with app.extensions["machikoe"].sessions() as s:
        rows = list(s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))
        s.expunge_all()
        return rows


def test_old_webhook_events_lose_user_ids_and_exact_times(
    app, client, runner, resident, fake_line, state
):
    state.clock.fixed = NOW
    r = resident(1)
    r.follow()
    old_event = line.text(r.id, "メニュー", r.token())
    assert line.post(client, line.payload(old_event)).status_code == 200
    stuck = line.text(r.id, "こんにちは", "never-used-token")  # stored, never processed
    with app.extensions["machikoe"].sessions.begin() as s:
        s.add(Outbox(retry_key="late-1", line_user_id=r.id, kind="late-reply",
                     messages=[{"type": "text", "text": "Q2/4"}], status="sent"))  # fmt: skip
        s.add(Outbox(retry_key="remind-1", line_user_id=r.id, kind="reminder",
                     messages=[{"type": "text", "text": "明日"}], status="sent"))  # fmt: skip

    state.clock.fixed = NOW + 29 * DAY  # not yet
    assert _run(runner, "retention") == 0
    assert all(e.line_user_id == r.id for e in _events(app))

    state.clock.fixed = NOW + 30 * DAY + timedelta(hours=1)
    recent = line.text(r.id, "メニュー", r.token())
    assert line.post(client, line.payload(recent)).status_code == 200
    with app.extensions["machikoe"].engine.begin() as conn:  # after the last drain: stays
        from db import webhook_queue

        row = webhook_queue.row(stuck, NOW)
        conn.execute(WebhookEvent.__table__.insert().values(**row))
    assert _run(runner, "retention") == 3  # the follow, the message, the stuck one
    rows = {e.event_id: e for e in _events(app)}
    midnight_jst = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 11月28日 0:00 JST
    for event_id in (old_event["webhookEventId"], stuck["webhookEventId"]):
        e = rows[event_id]
        assert e.line_user_id is None and e.payload is None
        assert e.received_at == midnight_jst and e.occurred_at.astimezone(UTC).hour == 15
        assert e.occurred_at.minute == e.occurred_at.second == 0
    assert rows[stuck["webhookEventId"]].status == "failed"
    assert rows[recent["webhookEventId"]].line_user_id == r.id  # within the period: kept
    with app.extensions["machikoe"].sessions() as s:
        assert list(s.scalars(select(Outbox.kind))) == ["reminder"]  # the reply copy went
    assert _run(runner, "retention") == 0  # safe to run twice

    replies = fake_line.count("reply")
    assert line.post(client, line.payload(old_event)).status_code == 200  # a late redelivery
    assert fake_line.count("reply") == replies  # still recognised: no second effect
    assert len(_events(app)) == 4  # the follow, the two old ones, the recent one


def test_webhook_event_retention_days_is_a_checked_setting():
    assert load_settings({}).webhook_event_retention_days == 30
    env = {"WEBHOOK_EVENT_RETENTION_DAYS": "90"}
    assert load_settings(env).webhook_event_retention_days == 90
    for bad in ("0", "7", "3651", "thirty", "３０"):
        with pytest.raises(SettingsError, match="WEBHOOK_EVENT_RETENTION_DAYS"):
            load_settings({"WEBHOOK_EVENT_RETENTION_DAYS": bad})


# --- logs and other tables ---------------------------------------------------------------------


@pytest.fixture
def json_log():
    """The app's own log handler (JSON, DEBUG), writing into a buffer."""
    logs.configure("DEBUG", "json")
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_machikoe", False)]
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    logs.configure("INFO", "text")


def test_no_log_line_or_table_ties_the_user_id_to_an_anonymous_survey(
    app, runner, resident, survey, state, caplog, json_log
):
    caplog.set_level(logging.DEBUG)
    r = onboard(resident("logs-anon"))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みにくい")
    r.tap("中断")
    r.say("アンケート")
    r.tap("続き: 町民アンケート（テスト）")
    r.tap("交通が不便")
    r.tap("決定")
    r.tap("3")
    got = r.say("街灯がほしい")
    assert "ご回答ありがとうございました" in r.texts(got)
    _run(runner, "answers")

    lines = [r.getMessage() for r in caplog.records] + json_log.getvalue().splitlines()
    assert len(lines) > 10, "DEBUG logs every webhook"
    for text in lines:
        assert r.id not in text, text
        assert "街灯がほしい" not in text and "交通が不便" not in text
    with app.extensions["machikoe"].sessions() as s:
        audit = [json.dumps([a.target, a.detail], ensure_ascii=False) for a in s.scalars(
            select(AuditLog))]  # fmt: skip
        assert not any(r.id in a for a in audit)
        pushed = json.dumps(
            list(s.scalars(select(Outbox.messages).where(Outbox.line_user_id == r.id))),
            ensure_ascii=False,
        )
        assert "町民アンケート" not in pushed and "ありがとうございました" not in pushed
        assert s.scalar(select(Conversation).where(Conversation.flow == "survey")) is None
