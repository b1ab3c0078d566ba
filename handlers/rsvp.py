"""Workshops and meetings in chat, as a flow: list, sign up (per mode), waitlist, cancel.

The RSVP flow is data (`FLOW`: a state per node of docs/flows/rsvp.mmd, each an ask and
an answer), but unlike a survey it keeps no conversation row: every button carries the
event id and names the state it answers (`TAPS`), and everything is checked again when
tapped (seats, closing time, my sign-up). An old card is as good as a new one, and a
survey in progress is not interrupted. One tap is one `Turn`: the answer of the state the
button belongs to decides the next state, whose ask is said; states that decide without
asking (take_seat, cancelled) answer at once (`PASSING`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from linebot.v3.messaging import Message

from db import events as db
from db.models import Conversation
from handlers import chat, engine, seats
from handlers import rsvp_cards as cards
from handlers import rsvp_door_name as door_name
from handlers import rsvp_series as series
from handlers.context import Ctx, Outcome
from handlers.engine import Entry, Flow, Input, State, Step
from handlers.rsvp_cards import promotion_message as promotion_message  # (callers)
from handlers.rsvp_cards import queue_promotions as queue_promotions
from handlers.rsvp_door_name import (  # noqa: F401 (bot/ reads the LINE profile for はい)
    DISPLAY_NAME,
    NAME_NO,
    NAME_YES,
    clean_door_name,
    wants_display_name,
)
from handlers.rsvp_states import R, Turn
from messages import common, rsvp
from messages.catalog import t
from messages.postback import Postback, ascii_int


def _value(inp: Input) -> tuple[str, str]:
    """`event id:mode` (or a bare event id) from a button."""
    event_id, _, mode = inp.value.partition(":")
    return event_id, mode


def _unknown(ctx: Ctx) -> Step:
    return Step(None, [rsvp.with_mine(ctx.lang, t(ctx.lang, "events.unknown"))])


def _end(ctx: Ctx, key: str, **values: Any) -> Step:
    return Step(None, [rsvp.with_mine(ctx.lang, t(ctx.lang, key, **values))])


def _nothing(_ctx: Ctx, _turn: Turn) -> list[Message]:
    return []


def _done(_ctx: Ctx, _turn: Turn, _inp: Input) -> Step:
    return Step(None)


# --- cards, details, my sign-ups -----------------------------------------------------------


def _ask_cards(ctx: Ctx, turn: Turn) -> list[Message]:
    """Upcoming events as a carousel, PAGE at a time from data offset."""
    offset = turn.data.get("offset", 0)
    total = db.count_upcoming(ctx.session, ctx.now)
    if total == 0 or offset >= total:
        return [common.with_menu(ctx.lang, t(ctx.lang, "events.list.none"))]
    page = db.upcoming_events(ctx.session, ctx.now, limit=rsvp.PAGE, offset=offset)
    nxt = offset + len(page)
    intro = t(ctx.lang, "events.list.intro")
    cards_ = cards.cards(ctx, page)
    return [rsvp.carousel(ctx.lang, intro, cards_, remaining=total - nxt, next_offset=nxt)]


def _ask_mine(ctx: Ctx, _turn: Turn) -> list[Message]:
    assert ctx.resident is not None  # taps and typed words come from a known resident
    mine = db.my_upcoming(ctx.session, ctx.resident.id, ctx.now)
    if not mine:
        return [common.with_menu(ctx.lang, t(ctx.lang, "events.mine.none"))]
    return [rsvp.carousel(ctx.lang, t(ctx.lang, "events.mine.intro"), cards.cards(ctx, mine))]


def _ask_details(ctx: Ctx, turn: Turn) -> list[Message]:
    return [rsvp.details(ctx.lang, cards.cards(ctx, [turn.data["event"]])[0])]


def _answer_card(ctx: Ctx, turn: Turn, inp: Input) -> Step:
    """A button on an event card (or its details): more, details, join, series, cancel."""
    if inp.action == "ev_list":
        return Step(R.CARDS, data={"offset": ascii_int(inp.value) or 0})
    event = db.get_event(ctx.session, inp.value)
    if event is None:
        return _unknown(ctx)
    assert ctx.resident is not None  # taps come from a known resident
    if inp.action == "ev_info":
        return Step(R.DETAILS, data={"event": event})
    if inp.action == "ev_cancel":
        mine = db.signup_for(ctx.session, event.id, ctx.resident.id)
        if mine is None or mine.status not in db.ACTIVE:
            return _end(ctx, "events.cancel.none")
        return Step(R.CANCEL_ASK, data={"event": event})
    if inp.action == "ev_series":
        return series.offer(ctx, event)
    # ev_join: one mode (or closed, or signed up already) goes straight to the seat
    if event.format != "hybrid":
        return Step(R.TAKE_SEAT, data={"event_id": event.id, "mode": event.format})
    if not event.open_at(ctx.now):
        return Step(R.TAKE_SEAT, data={"event_id": event.id, "mode": "onsite"})  # closed
    mine = db.signup_for(ctx.session, event.id, ctx.resident.id)
    if mine is not None and mine.status in db.ACTIVE:
        return Step(R.TAKE_SEAT, data={"event_id": event.id, "mode": mine.mode})  # already
    return Step(R.ASK_MODE, data={"event": event})


# --- one event: mode, seat, outcome ----------------------------------------------------------


def _ask_mode(ctx: Ctx, turn: Turn) -> list[Message]:
    event = turn.data["event"]
    body = t(
        ctx.lang, "events.ask_mode", title=cards.title(ctx, event), when=cards.when(ctx, event)
    )
    seats_ = db.seats_left(ctx.session, event)
    return [rsvp.ask_mode(ctx.lang, body, "ev_mode", event.id, seats_)]


def _answer_mode(_ctx: Ctx, _turn: Turn, inp: Input) -> Step:
    """会場で参加 / オンラインで参加 (ev_mode), or キャンセル待ちに登録 when full (ev_wait)."""
    event_id, mode = _value(inp)
    return Step(
        R.TAKE_SEAT, data={"event_id": event_id, "mode": mode, "waitlist": inp.action == "ev_wait"}
    )


def _take_seat(ctx: Ctx, turn: Turn, _inp: Input) -> Step:
    """A seat, a waitlist place, or why not (handlers/seats.py decides, under the lock).

    In a series, the resident's code from its other sessions is kept (one receipt number).
    """
    d = turn.data
    found = db.get_event(ctx.session, d["event_id"])
    prefer = series.codes_of(ctx, found.series) if found is not None and found.series else []
    assert ctx.resident is not None  # taps come from a known resident
    result = seats.join(
        ctx.session,
        d["event_id"],
        ctx.resident.id,
        d["mode"],
        ctx.now,
        waitlist=d.get("waitlist", False),
        prefer=prefer,
    )
    if result.status in {"unknown", "bad_mode"}:
        return _unknown(ctx)
    return Step(R(result.status), data={"result": result})


def _ask_confirmed(ctx: Ctx, turn: Turn) -> list[Message]:
    r = turn.data["result"]
    soon = cards.details_now(ctx, r.event, r.signup)
    return [cards.confirmation(ctx, r.event, r.signup, soon), door_name.question(ctx, r.signup)]


def _answer_door_name(ctx: Ctx, _turn: Turn, inp: Input) -> Step:
    """はい / いいえ to the name on the door list."""
    return Step(None, [door_name.answer(ctx, inp.value, inp.action == NAME_YES, inp.params)])


def _ask_full(ctx: Ctx, turn: Turn) -> list[Message]:
    r = turn.data["result"]
    mode = turn.data["mode"]
    return [rsvp.full(ctx.lang, cards.title(ctx, r.event), r.event.id, mode, r.seats_other)]


def _ask_closed(ctx: Ctx, turn: Turn) -> list[Message]:
    title = cards.title(ctx, turn.data["result"].event)
    return [rsvp.with_mine(ctx.lang, t(ctx.lang, "events.closed", title=title))]


def _ask_already(ctx: Ctx, turn: Turn) -> list[Message]:
    r = turn.data["result"]
    status = cards.status_text(ctx, r.signup, r.position)
    body = t(ctx.lang, "events.already", title=cards.title(ctx, r.event), status=status)
    return [rsvp.with_mine(ctx.lang, body)]


def _ask_waitlisted(ctx: Ctx, turn: Turn) -> list[Message]:
    r = turn.data["result"]
    body = t(
        ctx.lang,
        "events.waitlisted",
        mode=t(ctx.lang, f"events.mode.{turn.data['mode']}"),
        position=r.position,
        title=cards.title(ctx, r.event),
        when=cards.when(ctx, r.event),
    )
    return [rsvp.with_mine(ctx.lang, body)]


# --- cancel and promotion ------------------------------------------------------------------


def _ask_cancel(ctx: Ctx, turn: Turn) -> list[Message]:
    event = turn.data["event"]
    title, when_ = cards.title(ctx, event), cards.when(ctx, event)
    return [rsvp.cancel_question(ctx.lang, title, when_, event.id)]


def _answer_cancel(ctx: Ctx, _turn: Turn, inp: Input) -> Step:
    """キャンセルする (ev_cancel_yes) or やめておく (ev_cancel_no)."""
    if inp.action == "ev_cancel_no":
        return _end(ctx, "events.cancel.kept")
    return Step(R.CANCELLED, data={"event_id": inp.value})


def _cancel(ctx: Ctx, turn: Turn, _inp: Input) -> Step:
    assert ctx.resident is not None  # taps come from a known resident
    result = seats.cancel(ctx.session, turn.data["event_id"], ctx.resident.id, ctx.now)
    if result.status == "unknown":
        return _unknown(ctx)
    if result.status == "not_signed_up":
        return _end(ctx, "events.cancel.none")
    if result.status == "started":
        return _end(ctx, "events.cancel.started")
    done = [rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.done"))]
    if not result.promoted:
        return Step(None, done)
    return Step(R.PROMOTED, done, data={"promoted": result.promoted})


def _ask_promoted(ctx: Ctx, turn: Turn) -> list[Message]:
    """The first people waiting have the freed seat: each is told by push (after commit)."""
    promoted = turn.data["promoted"]
    turn.outbox_ids.extend(queue_promotions(ctx.session, promoted, ctx.settings.tz))
    return []


def _start(ctx: Ctx, _conv: object, _args: dict[str, Any]) -> Step:
    """Started as a conversation, the flow shows the cards and ends (it keeps no row)."""
    return Step(None, run(ctx, R.CARDS).replies)


PASSING = {R.TAKE_SEAT, R.CANCELLED}  # states that decide at once, without asking

# The engine types a state's ask and answer for a stored Conversation; this flow keeps no row
# and hands its states a Turn, which has the fields they read (state, flow, step, data).
TurnAsk = Callable[[Ctx, Turn], list[Message]]
TurnAnswer = Callable[[Ctx, Turn, Input], Step]


def _as_conversation(turn: Turn) -> Conversation:
    return cast(Conversation, turn)


def _state(ask: TurnAsk, answer: TurnAnswer) -> State:
    """A state of Turns, as the engine's State."""
    return State(
        ask=cast(Callable[[Ctx, Conversation], list[Message]], ask),
        answer=cast(Callable[[Ctx, Conversation, Input], Step], answer),
    )


# the state each button answers (the button carries the event; the state is known from it)
TAPS: dict[str, R] = {
    "ev_list": R.CARDS,
    "ev_info": R.CARDS,
    "ev_join": R.CARDS,
    "ev_series": R.CARDS,
    "ev_cancel": R.CARDS,
    "ev_mode": R.ASK_MODE,
    "ev_wait": R.FULL,
    "ev_series_mode": R.ASK_SERIES_MODE,
    "ev_cancel_yes": R.CANCEL_ASK,
    "ev_cancel_no": R.CANCEL_ASK,
    NAME_YES: R.CONFIRMED,
    NAME_NO: R.CONFIRMED,
}


def _go(ctx: Ctx, turn: Turn, step: Step) -> list[Message]:
    """Say the step, move to its state and ask it; a passing state answers at once."""
    say = list(step.say)
    conv = _as_conversation(turn)
    while step.next is not None:
        turn.state = step.next
        engine.update(conv, **step.data)
        say += FLOW.states[turn.state].ask(ctx, conv)
        if turn.state not in PASSING:
            break
        step = FLOW.states[turn.state].answer(ctx, conv, Input())
        say += step.say
    return say


def run(ctx: Ctx, state: R, inp: Input | None = None, **data: Any) -> Outcome:
    """Enter the flow at a state (with data), or answer it with a tap (`inp`)."""
    turn = Turn(state=state, data=dict(data))
    if inp is None:
        say = _go(ctx, turn, Step(state, data=data))
    else:
        say = _go(ctx, turn, FLOW.states[state].answer(ctx, _as_conversation(turn), inp))
    out = Outcome().add(*say)
    out.outbox_ids.extend(turn.outbox_ids)
    return out


def _tap(state: R) -> Callable[[Ctx, Postback, dict[str, str]], Outcome]:
    def handle(ctx: Ctx, pb: Postback, params: dict[str, str]) -> Outcome:
        """A button of the state: its answer, then what follows."""
        return run(ctx, state, engine.from_postback(pb, params))

    return handle


# --- ways in -------------------------------------------------------------------------------


def list_events(ctx: Ctx, offset: int = 0) -> Outcome:
    """Upcoming events as a carousel, PAGE at a time."""
    return run(ctx, R.CARDS, offset=offset)


def show_events(ctx: Ctx, _text: str = "") -> Outcome:
    """ワークショップ (the menu entry): the upcoming events."""
    return list_events(ctx)


def show_events_word(ctx: Ctx, text: str) -> Outcome:
    """イベント: the events; but inside a conversation it is an answer (it is also a topic)."""
    conv = engine.active(ctx)
    if conv is not None:
        return Outcome().add(*engine.handle(ctx, conv, engine.from_text(text)))
    return list_events(ctx)


def my_signups(ctx: Ctx, _text: str = "") -> Outcome:
    """予約の確認: my upcoming sign-ups as cards, with the attendance code and キャンセル."""
    return run(ctx, R.MINE)


FLOW = chat.flow(
    Flow(
        name="rsvp",
        keyword="menu.events",
        start=_start,
        pausable=False,
        states={
            R.CARDS: _state(ask=_ask_cards, answer=_answer_card),
            R.MINE: _state(ask=_ask_mine, answer=_answer_card),
            R.DETAILS: _state(ask=_ask_details, answer=_answer_card),
            R.ASK_MODE: _state(ask=_ask_mode, answer=_answer_mode),
            R.TAKE_SEAT: _state(ask=_nothing, answer=_take_seat),
            R.CONFIRMED: _state(ask=_ask_confirmed, answer=_answer_door_name),
            R.FULL: _state(ask=_ask_full, answer=_answer_mode),
            R.CLOSED: _state(ask=_ask_closed, answer=_done),
            R.ALREADY: _state(ask=_ask_already, answer=_done),
            R.WAITLISTED: _state(ask=_ask_waitlisted, answer=_done),
            R.ASK_SERIES_MODE: _state(ask=series.ask_mode, answer=series.answer_mode),
            R.SERIES_SUMMARY: _state(ask=series.ask_summary, answer=_done),
            R.CANCEL_ASK: _state(ask=_ask_cancel, answer=_answer_cancel),
            R.CANCELLED: _state(ask=_nothing, answer=_cancel),
            R.PROMOTED: _state(ask=_ask_promoted, answer=_done),
        },
        entry_points=(
            Entry(keywords=("menu.events",), run=show_events),
            Entry(keywords=(rsvp.EVENT_WORD,), run=show_events_word),
            Entry(keywords=("events.keyword.mine",), run=my_signups),
            *(Entry(action=action, run=_tap(state)) for action, state in TAPS.items()),
        ),
    )
)
