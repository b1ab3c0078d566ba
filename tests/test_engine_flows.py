"""A flow's own entry points, fallbacks and idle timeout, through the webhook like a resident.

A small flow is registered for these tests only (after the app has loaded its registry) and
removed again; it overrides もどる and idling and idles after an hour instead of a day.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.jobs import JOBS
from db.models import Conversation, Resident
from handlers import chat, engine
from handlers.engine import Entry, Fallbacks, Flow, State, Step
from messages import common

WORD = "やまびこ"


def _ask(ctx, conv):
    return [common.text(f"echo {conv.step}", engine.nav(ctx, conv))]


def _answer(ctx, conv, inp):
    if inp.text == "next":
        return Step("second", [common.text("moving on")])
    if inp.text == "bye":
        return Step(None, [common.text("bye")])
    return Step(conv.state, [common.text(f"heard {len(inp.text or '')}")], stay=True)


def _back(ctx, conv):
    return [common.text("no going back here"), *engine.back(ctx, conv)]


def _idle(ctx, conv):
    conv.status = "paused"
    return [common.text("echo rested")]


def _over(ctx, conv):
    return [common.text(f"echo is over ({conv.status})")]


ECHO = Flow(
    name="echo_test",
    keyword="menu.menu",
    start=lambda ctx, conv, args: Step("first"),
    states={"first": State(_ask, _answer, True), "second": State(_ask, _answer, True)},
    entry_points=(Entry(keywords=(WORD,)),),
    fallbacks=Fallbacks(back=_back, idle=_idle, over=_over),
    idle_after=timedelta(hours=1),
)


@pytest.fixture
def echo(app):
    chat.flow(ECHO)
    yield ECHO
    engine.FLOWS.pop(ECHO.name)
    chat.KEYWORDS.pop(chat.normalise(WORD))


def _conv(app, uid, flow):
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(
            select(Conversation)
            .join(Resident, Resident.id == Conversation.resident_id)
            .where(Resident.line_user_id == uid, Conversation.flow == flow)
        )


def test_an_entry_point_starts_the_flow_and_its_fallbacks_answer(app, resident, echo):
    r = resident(60)
    r.follow()
    r.tap("同意しない")
    got = r.say(WORD)  # the entry point, registered from the flow's data
    assert r.texts(got) == "echo 1"
    assert "heard 5" in r.texts(r.say("hello"))
    got = r.say("next")
    assert "moving on" in r.texts(got) and "echo 3" in r.texts(got)
    got = r.tap("もどる", got)  # the flow's own もどる, then the engine's
    assert r.texts(got).splitlines() == ["no going back here", "echo 4"]
    assert _conv(app, r.id, "echo_test").state == "first"
    got = r.tap("中断", got)  # not overridden: the engine's 中断
    assert "中断しました" in r.texts(got)
    assert _conv(app, r.id, "echo_test").status == "paused"


def test_a_flow_idles_after_its_own_time(app, resident, echo, state):
    r = resident(61)
    r.follow()
    r.tap("同意しない")
    r.say(WORD)
    state.clock.fixed = state.now() + timedelta(minutes=61)
    got = r.say("hello")
    assert r.texts(got).startswith("echo rested")  # its idle fallback, after an hour
    assert _conv(app, r.id, "echo_test").status == "paused"


def test_the_expire_job_uses_each_flows_idle_time(app, resident, echo, state):
    quiet = resident(62)
    quiet.follow()
    quiet.tap("同意しない")
    quiet.say(WORD)
    onboarding = resident(63)
    onboarding.follow()  # the onboarding flow: idles after a day
    state.clock.fixed = state.now() + timedelta(minutes=61)
    assert JOBS["expire"].run(state) == 1
    assert _conv(app, quiet.id, "echo_test").status == "paused"
    assert _conv(app, onboarding.id, "onboarding").status == "active"
    state.clock.fixed = state.now() + timedelta(days=1)
    assert JOBS["expire"].run(state) == 1
    assert _conv(app, onboarding.id, "onboarding").status == "paused"


def test_a_button_of_a_finished_flow_gets_the_flows_own_answer(app, resident, echo):
    r = resident(64)
    r.follow()
    r.tap("同意しない")
    shown = r.say(WORD)
    assert r.texts(r.say("bye")) == "bye"
    got = r.tap("中断", shown)  # a button from when the flow was running
    assert r.texts(got) == "echo is over (done)"
    got = r.postback("v=1&a=pick&f=survey&n=3")  # another flow's: the engine's answer
    assert "使えなくなりました" in r.texts(got)
