"""お知らせ設定: residents switch announcement topics on and off, or stop all non-urgent ones.

The same stored choice as onboarding's 分野 and プロフィール (handlers/topics.py): a topic is
received unless stopped; STOP_ALL stops every announcement except urgent ones.
Every change is saved at once. Diagram: docs/flows/notify.mmd
"""

from __future__ import annotations

from enum import StrEnum

from linebot.v3.messaging import Message

from db.broadcasts import STOP_ALL
from db.models import Conversation
from handlers import chat, engine, onboarding
from handlers import topics as topic_choice
from handlers.context import Ctx
from handlers.engine import Entry, Flow, Input, State, Step
from messages import common
from messages.catalog import every, t
from messages.choices import question
from messages.postback import ascii_int


class S(StrEnum):
    """States of お知らせ設定."""

    SETTINGS = "settings"


def stopped(ctx: Ctx) -> set[str]:
    """Topics the resident stopped (and STOP_ALL when everything non-urgent is stopped)."""
    return topic_choice.stopped(ctx)


def _status(ctx: Ctx, off: set[str]) -> str:
    return t(ctx.lang, "notify.status_stopped" if STOP_ALL in off else "notify.status_on")


def _ask(ctx: Ctx, conv: Conversation) -> list[Message]:
    off = stopped(ctx)
    toggles = [
        engine.button(conv, ("" if topic in off else "✓ ") + label, "toggle", str(i))
        for i, (topic, label) in enumerate(ctx.town.options("topic", ctx.lang))
    ]
    all_key = "label.notify_resume_all" if STOP_ALL in off else "label.notify_stop_all"
    extra = [
        engine.button(conv, t(ctx.lang, all_key), "all"),
        engine.button(conv, t(ctx.lang, "label.done"), "done"),
    ]
    key = "notify.ask" if ctx.town.topics else "notify.ask_no_topics"
    return question(t(ctx.lang, key, status=_status(ctx, off)), toggles, extra)


def _set(ctx: Ctx, topic: str, receive: bool) -> None:
    if topic == STOP_ALL:
        topic_choice.stop_all(ctx, stop=not receive)
    else:
        topic_choice.switch(ctx, topic, receive)


def _answer(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    topics = list(ctx.town.topics)
    off = stopped(ctx)
    if inp.action == "done" or inp.text in every("label.done"):
        receiving = onboarding.topic_list(ctx, [x for x in topics if x not in off])
        body = t(ctx.lang, "notify.saved", topics=receiving, status=_status(ctx, off))
        return Step(None, [common.with_menu(ctx.lang, body)])
    if inp.action == "all" or inp.text in every("label.notify_stop_all") | every(
        "label.notify_resume_all"
    ):
        now_off = STOP_ALL not in off
        _set(ctx, STOP_ALL, receive=not now_off)
        said = "notify.stopped_all" if now_off else "notify.resumed_all"
        return Step(S.SETTINGS, [common.text(t(ctx.lang, said))], stay=True)
    picked = None
    if inp.action == "toggle" and ascii_int(inp.value) in range(len(topics)):
        picked = topics[int(inp.value)]
    elif inp.text:
        picked = ctx.town.find("topic", inp.text.removeprefix("✓"))
    if picked is None:
        return Step(S.SETTINGS, [common.text(t(ctx.lang, "notify.choose"))], stay=True)
    receive = picked in off
    _set(ctx, picked, receive=receive)
    said = "notify.toggled_on" if receive else "notify.toggled_off"
    topic = ctx.town.label("topic", picked, ctx.lang)
    return Step(S.SETTINGS, [common.text(t(ctx.lang, said, topic=topic))], stay=True)


FLOW = chat.flow(
    Flow(
        name="notify",
        keyword="menu.notify",
        start=lambda ctx, conv, args: Step(S.SETTINGS),
        states={S.SETTINGS: State(ask=_ask, answer=_answer)},
        pausable=False,
        # the settings, a toggle per topic
        entry_points=(Entry(keywords=("menu.notify",)),),
    )
)
