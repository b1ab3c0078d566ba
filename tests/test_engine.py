"""The conversation engine's edges: idling, expiry, expired buttons, language, pushes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import outbox
from bot.jobs import JOBS
from db.models import Conversation, Outbox, Resident
from db.session import transaction
from handlers.pushes import queue
from messages import common
from messages.postback import Postback, decode


def conversation(app, uid):
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(
            select(Conversation)
            .join(Resident, Resident.id == Conversation.resident_id)
            .where(Resident.line_user_id == uid)
        )


def test_idle_conversation_is_paused_politely_and_resumable(app, resident, state):
    r = resident(40)
    r.follow()
    r.tap("同意する")
    state.clock.fixed = state.now() + timedelta(days=2)
    got = r.say("こんにちは")
    text = r.texts(got)
    assert "中断しています" in text and "プロフィール" in text
    assert conversation(app, r.id).status == "paused"


def test_expire_job_pauses_idle_conversations_once(app, resident, state):
    r = resident(41)
    r.follow()
    r.tap("同意する")
    state.clock.fixed = state.now() + timedelta(days=1, minutes=1)
    assert JOBS["expire"].run(state) == 1
    assert JOBS["expire"].run(state) == 0
    got = r.tap("20代", messages=r.inbox[-1:])
    assert "使えなくなりました" in r.texts(got)  # a button of a paused conversation
    assert conversation(app, r.id).status == "paused"


def test_forged_or_foreign_postbacks_are_refused_politely(app, resident):
    r = resident(42)
    r.follow()
    r.tap("同意しない")
    for data in (
        "garbage",
        "v=1&a=profile_edit&n=x",
        "v=9&a=x",
        "v=1&a=unknown",
        "v=1&a=pick&f=survey&n=3",
    ):
        got = r.postback(data)
        assert "使えなくなりました" in r.texts(got) or "保存していません" in r.texts(got), data


def test_language_can_be_switched(app, resident):
    r = resident(43)
    r.follow()
    r.tap("同意しない")
    got = r.say("English")
    assert "What would you like to do?" in r.texts(got)
    got = r.say("日本語")
    assert "ご用件を選んでください" in r.texts(got)


def test_postback_codec_round_trip_and_limits():
    pb = Postback(action="pick", value="3", flow="survey", step=12)
    assert decode(pb.encode()) == pb
    assert decode("v=1&a=" + "x" * 400) is None
    try:
        Postback(action="x", value="y" * 400).encode()
    except ValueError as exc:
        assert "300" in str(exc)
    else:
        raise AssertionError("an over-long postback must be refused")


def test_pushes_skip_residents_who_blocked_us(app, resident, state, fake_line):
    r = resident(44)
    r.follow()
    r.tap("同意しない")
    with transaction(state.sessions) as s:
        first = queue(s, r.id, [common.text("お知らせ")], "test", ("a",))
        again = queue(s, r.id, [common.text("お知らせ")], "test", ("a",))
    assert first == again  # same logical push, same row and retry key
    r.unfollow()
    assert outbox.deliver(state, first) == "skipped"
    assert fake_line.count("push") == 0
    r.follow(unblocked=True)
    with transaction(state.sessions) as s:
        second = queue(s, r.id, [common.text("お知らせ2")], "test", ("b",))
    assert JOBS["outbox"].run(state) == 1
    assert outbox.deliver(state, second) == "skipped"  # already sent: never twice
    assert fake_line.texts_for(r.id)[-1] == "お知らせ2"
    with app.extensions["machikoe"].sessions() as s:
        key = s.get(Outbox, second).retry_key
    assert [
        q["headers"]["x-line-retry-key"] for q in fake_line.requests if q["path"].endswith("/push")
    ] == [key]
