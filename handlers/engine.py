"""The conversation engine: flows as data, state in the database.

A flow is a map of state name → (ask, answer). `ask` builds the question for the
current step; `answer` takes the resident's input and returns a Step naming the
next state. A flow also names its entry points (what starts it: typed words, a button's
action, a pattern; handlers/chat.py registers them), its fallbacks (what any state does with
もどる, 中断, a stale button, an unknown state, idling; `Fallbacks()` is the engine's default)
and `idle_after`. Diagrams: docs/flows/ (docs/flows/README.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import bindparam, select

from db.models import Conversation
from handlers.context import Ctx, Outcome
from messages import common
from messages.catalog import every, t
from messages.postback import Postback

IDLE_AFTER = timedelta(days=1)
NAV_ACTIONS = {
    "back": "label.back",
    "pause": "label.pause",
    "skip": "label.skip",
    "done": "label.done",
}


@dataclass(frozen=True)
class Input:
    """A resident's input, typed or tapped, normalised."""

    text: str | None = None
    action: str | None = None
    value: str = ""
    flow: str = ""
    step: int | None = None
    params: dict[str, str] = field(default_factory=dict)

    @property
    def tapped(self) -> bool:
        """True when it came from one of our buttons (a postback)."""
        return self.step is not None or bool(self.flow)


def from_text(text: str) -> Input:
    """Typed text; the navigation words become actions."""
    clean = text.strip()
    for action, key in NAV_ACTIONS.items():
        if clean in every(key):
            return Input(text=clean, action=action)
    return Input(text=clean)


def from_postback(pb: Postback, params: dict[str, str] | None = None) -> Input:
    """A tapped button."""
    return Input(
        action=pb.action, value=pb.value, flow=pb.flow, step=pb.step, params=dict(params or {})
    )


@dataclass
class Step:
    """What an answer leads to: say something, then go to `next` (None ends the flow).

    `data`: values for the flow's position keys (`Flow.keeps`) in the next state, e.g. the
    question id of a survey's fixed `question` state; moving with new data is a move even to
    the same state (the old position goes to the history, もどる brings it back).
    """

    next: str | None
    say: list[Message] = field(default_factory=list)
    stay: bool = False
    pause: bool = False  # the flow handed over to another (e.g. an opinion): say, then rest
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class State:
    """One state of a flow."""

    ask: Callable[[Ctx, Conversation], list[Message]]
    answer: Callable[[Ctx, Conversation, Input], Step]
    free_text: bool = False  # typed keywords are answers here, not menu commands


@dataclass(frozen=True)
class Entry:
    """One way into a flow: typed words (catalog keys or words), a button's action, or a regex.

    `run` is the entry function: `(ctx, text)` for words and patterns, `(ctx, postback,
    params)` for an action. None starts the flow afresh (`start(ctx, flow)`).
    handlers/chat.py registers entries with its keywords and actions (`chat.flow`).
    """

    keywords: tuple[str, ...] = ()
    action: str = ""
    pattern: str = ""
    run: Callable[..., Outcome] | None = None


Fallback = Callable[[Ctx, Conversation], list[Message]]


def back(ctx: Ctx, conv: Conversation) -> list[Message]:
    """もどる: the previous state (and its position) is asked again."""
    if not conv.history:
        return [common.text(t(ctx.lang, "flow.cannot_back")), *_ask(ctx, conv)]
    history = list(conv.history)
    entry = history.pop()
    conv.history = history
    if isinstance(entry, dict):  # a state with its position (Flow.keeps)
        conv.state = entry["state"]
        update(conv, **entry.get("data", {}))
    else:
        conv.state = entry
    return _ask(ctx, conv)


def pause(ctx: Ctx, conv: Conversation) -> list[Message]:
    """中断: the conversation rests; its keyword resumes it."""
    conv.status = "paused"
    conv.updated_at = ctx.now
    keyword = t(ctx.lang, FLOWS[conv.flow].keyword)
    return [common.with_menu(ctx.lang, t(ctx.lang, "flow.paused", keyword=keyword))]


def stale(ctx: Ctx, conv: Conversation) -> list[Message]:
    """A button from an earlier step: say so and ask the current question again."""
    return [common.text(t(ctx.lang, "flow.stale_button")), *_ask(ctx, conv)]


def unknown(_ctx: Ctx, conv: Conversation) -> list[Message]:
    """A stored state the flow no longer has: the conversation ends quietly."""
    conv.status = "done"
    return []


def idle(ctx: Ctx, conv: Conversation) -> list[Message]:
    """Idle past `idle_after`: the conversation is paused, and the resident told how to resume."""
    conv.status = "paused"
    flow = FLOWS[conv.flow]
    name = t(ctx.lang, f"flow.name.{flow.name}")
    return [
        common.text(t(ctx.lang, "flow.idle_paused", name=name, keyword=t(ctx.lang, flow.keyword)))
    ]


def over(ctx: Ctx, _conv: Conversation | None) -> list[Message]:
    """A button of this flow when its conversation is over (or another one is active)."""
    return expired_button(ctx)


@dataclass(frozen=True)
class Fallbacks:
    """What every state of a flow does with もどる, 中断, stale buttons, unknown states, idling.

    `over`: a button of the flow tapped when its conversation is no longer the active one.
    Input a state does not take is its `answer`'s to refuse (menu keywords win unless the
    state is `free_text`: `wants`).
    """

    back: Fallback = back
    pause: Fallback = pause
    stale: Fallback = stale
    unknown: Fallback = unknown
    idle: Fallback = idle
    over: Callable[[Ctx, Conversation | None], list[Message]] = over


def tapped_over(ctx: Ctx, flow_name: str) -> list[Message]:
    """A button of a flow whose conversation is over: that flow's `over` fallback."""
    flow = FLOWS.get(flow_name)
    if flow is None:
        return expired_button(ctx)
    return flow.fallbacks.over(ctx, find(ctx, flow_name) if ctx.resident else None)


@dataclass(frozen=True)
class Flow:
    """A conversation as data: entry points, states, fallbacks and an idle timeout."""

    name: str
    states: dict[str, State]
    keyword: str  # catalog key of the word that resumes it
    start: Callable[[Ctx, Conversation, dict[str, Any]], Step]
    pausable: bool = True
    entry_points: tuple[Entry, ...] = ()
    fallbacks: Fallbacks = Fallbacks()
    idle_after: timedelta = IDLE_AFTER
    keeps: tuple[str, ...] = ()  # data keys that belong to the state (history keeps them)


FLOWS: dict[str, Flow] = {}


def register(flow: Flow) -> Flow:
    """Add a flow to the registry; a name may be registered once."""
    if flow.name in FLOWS:
        raise ValueError(f"flow {flow.name!r} is registered twice")
    FLOWS[flow.name] = flow
    return flow


def update(conv: Conversation, **values: Any) -> None:
    """Change conversation data (reassigned, so the change is saved)."""
    conv.data = {**conv.data, **values}


def button(conv: Conversation, label: str, action: str, value: str = "") -> object:
    """A button that belongs to the conversation's current step."""
    pb = Postback(action=action, value=value, flow=conv.flow, step=conv.step)
    return common.button(label, pb)


def nav(ctx: Ctx, conv: Conversation, *, back: bool = True, skip: bool = False) -> list[object]:
    """The navigation buttons: スキップ, もどる, 中断."""
    out: list[object] = []
    if skip:
        out.append(button(conv, t(ctx.lang, "label.skip"), "skip"))
    if back and conv.history:
        out.append(button(conv, t(ctx.lang, "label.back"), "back"))
    if FLOWS[conv.flow].pausable:
        out.append(button(conv, t(ctx.lang, "label.pause"), "pause"))
    return out


# Built once: most events ask it (a reused statement skips construction and caching).
_MINE = select(Conversation).where(Conversation.resident_id == bindparam("resident_id"))


def conversations(ctx: Ctx) -> dict[str, Conversation]:
    """The resident's conversations by flow, read once per event (their row is locked)."""
    if ctx.conversations is None:
        assert ctx.resident is not None  # only asked for a known resident (`active` checks)
        rows = ctx.session.scalars(_MINE, {"resident_id": ctx.resident.id})
        ctx.conversations = {conv.flow: conv for conv in rows}
    return ctx.conversations


def active(ctx: Ctx) -> Conversation | None:
    """The resident's active conversation, if any."""
    if ctx.resident is None:
        return None
    return next((c for c in conversations(ctx).values() if c.status == "active"), None)


def find(ctx: Ctx, flow: str) -> Conversation | None:
    """The resident's conversation in a flow, whatever its status."""
    return conversations(ctx).get(flow)


def _pause_others(ctx: Ctx, keep: str) -> None:
    for conv in conversations(ctx).values():
        if conv.status == "active" and conv.flow != keep:
            conv.status = "paused"
            conv.updated_at = ctx.now


def _ask(ctx: Ctx, conv: Conversation) -> list[Message]:
    conv.step += 1
    conv.updated_at = ctx.now
    return FLOWS[conv.flow].states[conv.state].ask(ctx, conv)


def start(ctx: Ctx, flow_name: str, args: dict[str, Any] | None = None) -> list[Message]:
    """Start a flow afresh and ask its first question (`resume` carries one on)."""
    flow = FLOWS[flow_name]
    _pause_others(ctx, flow_name)
    conv = find(ctx, flow_name)
    if conv is None:
        assert ctx.resident is not None  # find() has read the resident's conversations
        conv = Conversation(
            resident_id=ctx.resident.id, flow=flow_name, state="", data={}, history=[], step=0
        )
        ctx.session.add(conv)
        conversations(ctx)[flow_name] = conv
    conv.status = "active"
    conv.data = {}
    conv.history = []
    first = flow.start(ctx, conv, dict(args or {}))
    if first.next is None:  # start decided there is nothing to ask
        conv.status = "done"
        conv.state = ""
        return first.say
    enter(conv, first)
    return first.say + _ask(ctx, conv)


def resume(ctx: Ctx, flow_name: str) -> list[Message] | None:
    """Re-ask the current question of a paused or active flow; None if there is none."""
    conv = find(ctx, flow_name)
    if conv is None or conv.status == "done" or conv.state not in FLOWS[flow_name].states:
        return None
    _pause_others(ctx, flow_name)
    conv.status = "active"
    return _ask(ctx, conv)


def idle_check(ctx: Ctx, conv: Conversation | None) -> list[Message]:
    """Pause the active conversation if it has been idle for its flow's `idle_after`."""
    if conv is None or conv.status != "active":
        return []
    flow = FLOWS[conv.flow]
    if ctx.now - conv.updated_at < flow.idle_after:
        return []
    return flow.fallbacks.idle(ctx, conv)


def wants(ctx: Ctx, conv: Conversation, inp: Input, is_keyword: bool) -> bool:
    """Whether the active conversation takes this input (menu keywords win, except in free text)."""
    if inp.tapped:
        return inp.flow == conv.flow
    if inp.action in NAV_ACTIONS:
        return True
    state = FLOWS[conv.flow].states.get(conv.state)
    return state is not None and (state.free_text or not is_keyword)


def handle(ctx: Ctx, conv: Conversation, inp: Input) -> list[Message]:
    """Feed one input to the conversation and return what to say."""
    flow = FLOWS[conv.flow]
    state = flow.states.get(conv.state)
    if state is None:
        return flow.fallbacks.unknown(ctx, conv)
    if inp.tapped and inp.step != conv.step:
        return flow.fallbacks.stale(ctx, conv)
    if inp.action == "back":
        return flow.fallbacks.back(ctx, conv)
    if inp.action == "pause" and flow.pausable:
        return flow.fallbacks.pause(ctx, conv)
    step = state.answer(ctx, conv, inp)
    if step.pause:
        conv.status = "paused"
        conv.updated_at = ctx.now
        return step.say
    if step.next is None:
        conv.status = "done"
        conv.updated_at = ctx.now
        return step.say
    if step.stay or (step.next == conv.state and not step.data):
        return step.say + _ask(ctx, conv)
    conv.history = [*conv.history, position(flow, conv)]
    enter(conv, step)
    return step.say + _ask(ctx, conv)


def position(flow: Flow, conv: Conversation) -> str | dict[str, Any]:
    """The current state as the history keeps it (with its `keeps` data, if the flow has any)."""
    if not flow.keeps:
        return conv.state
    return {"state": conv.state, "data": {k: conv.data.get(k) for k in flow.keeps}}


def enter(conv: Conversation, step: Step) -> None:
    """Move to the step's next state, with its position data."""
    assert step.next is not None  # callers end the flow on a None next first
    conv.state = step.next
    if step.data:
        update(conv, **step.data)


def expired_button(ctx: Ctx) -> list[Message]:
    """The answer to a button of a conversation that is over."""
    return [common.with_menu(ctx.lang, t(ctx.lang, "flow.expired_button"))]
