"""Signing up for every open session of a series at once: one code, one mode, a summary.

Part of the RSVP flow (`handlers/rsvp.py`): cards → ask_series_mode → series_summary.
"""

from __future__ import annotations

from linebot.v3.messaging import Message

from db import events as db
from db import events_signups as signups
from db.events import Event
from handlers import rsvp_cards as cards
from handlers import seats
from handlers.context import Ctx
from handlers.engine import Input, Step
from handlers.rsvp_states import R, Turn
from messages import rsvp
from messages.catalog import t


def series_title(ctx: Ctx, first: Event) -> str:
    """The series' title, or its first session's."""
    return rsvp.local(ctx.lang, first.series_title) or cards.title(ctx, first)


def codes_of(ctx: Ctx, series_id: str) -> list[str]:
    """The codes of the resident's active sign-ups in a series, oldest first."""
    assert ctx.resident is not None  # taps come from a known resident
    return signups.series_codes_of(ctx.session, series_id, ctx.resident.id)


def open_sessions(ctx: Ctx, event: Event) -> list[Event]:
    """The sessions of the event's series still open for sign-up, in order."""
    assert event.series is not None  # offer() checks the event is in a series
    sessions = db.series_events(ctx.session, event.series, ctx.now)
    return [e for e in sessions if e.open_at(ctx.now)]


def seats_per_mode(ctx: Ctx, open_: list[Event]) -> dict[str, int]:
    """mode → the fewest seats left in any open session with that mode (never negative)."""
    counts = db.confirmed_counts(ctx.session, [e.id for e in open_])
    seats_ = {
        m: min(
            (e.capacity(m) - counts.get((e.id, m), 0) for e in open_ if m in e.modes),
            default=0,
        )
        for m in db.MODES
    }
    return {m: max(0, n) for m, n in seats_.items()}


def join(ctx: Ctx, event_id: str, mode: str) -> Message | None:
    """Sign up for every open session of the event's series: a seat, else the waitlist.

    One attendance code for all of them (`series_code`), the mode said once, and for a
    session whose reminder time has passed, its place or join link at once. None: no such
    series or mode.
    """
    event = db.get_event(ctx.session, event_id)
    if event is None or not event.series or mode not in db.MODES:
        return None
    sessions = db.series_events(ctx.session, event.series, ctx.now)
    # lock in id order, so two series sign-ups never wait on each other crosswise
    targets = sorted((e for e in sessions if mode in e.modes), key=lambda e: e.id)
    for e in targets:
        signups.lock_event(ctx.session, e.id)
    assert ctx.resident is not None  # taps come from a known resident
    code = signups.series_code(ctx.session, [e.id for e in targets], ctx.resident.id)
    results = {
        e.id: seats.join(
            ctx.session, e.id, ctx.resident.id, mode, ctx.now, waitlist=True, prefer=[code]
        )
        for e in targets
    }
    lang = ctx.lang
    mode_name = t(lang, f"events.mode.{mode}")
    lines, has_code, reminder_ahead = [], False, False
    for e in sessions:
        r = results.get(e.id)
        if r is None:
            continue
        extra = ""
        if r.status == "confirmed":
            result = t(lang, "events.series.confirmed", mode=mode_name)
            assert r.signup is not None  # a seat taken is a sign-up
            soon = cards.details_now(ctx, e, r.signup)
            if soon and mode == "online" and e.online_url:
                extra = t(lang, "events.series.now_url", day=soon, url=e.online_url)
            elif soon and mode != "online":
                extra = t(
                    lang, "events.series.now_place", day=soon, place=cards.place(lang, e, mode)
                )
        elif r.status == "waitlisted":
            result = t(lang, "events.series.waitlisted", position=r.position)
        elif r.status == "already":
            s = r.signup
            assert s is not None  # already signed up: the sign-up found
            same = s.mode == mode and s.attendance_code == code
            result = (
                t(lang, "events.series.already")
                if same
                else t(
                    lang,
                    "events.series.already_other",
                    mode=t(lang, f"events.mode.{s.mode}"),
                    code=s.attendance_code,
                )
            )
        else:
            result = t(lang, "events.series.closed")
        if r.signup is not None and r.status != "closed":
            has_code = has_code or r.signup.attendance_code == code
            ahead = r.signup.status == "confirmed" and r.signup.reminded_at is None
            reminder_ahead = reminder_ahead or ahead or r.signup.status == "waitlisted"
        # one short line a session (the series title is said once above): fits a phone screen
        when_, title = rsvp.moment(lang, e.starts_at, ctx.settings.tz), cards.title(ctx, e)
        line = t(lang, "events.series.line", when=when_, title=title, result=result)
        lines.append(line + ("\n" + extra if extra else ""))
    if not lines:
        return rsvp.with_mine(lang, t(lang, "events.series.none"))
    head = [t(lang, "events.series.done", series=series_title(ctx, sessions[0]))]
    tail = []
    if has_code:
        head.append(t(lang, "events.confirmed.mode", mode=mode_name))
        head.append(t(lang, "events.series.code", code=code))
        if reminder_ahead:
            tail.append(t(lang, f"events.series.note_{mode}"))
        else:
            tail.append(t(lang, f"events.confirmed.note_{mode}_soon"))
    body = "\n".join([*head, *lines, *tail])
    return rsvp.with_mine(lang, body)


# --- the flow's states ---------------------------------------------------------------------


def offer(ctx: Ctx, event: Event) -> Step:
    """全N回まとめて申し込む: ask the mode, unless the open sessions have only one."""
    if not event.series:
        return Step(None, [rsvp.with_mine(ctx.lang, t(ctx.lang, "events.unknown"))])
    open_ = open_sessions(ctx, event)
    if not open_:
        return Step(None, [rsvp.with_mine(ctx.lang, t(ctx.lang, "events.series.none"))])
    modes = {m for e in open_ for m in e.modes}
    if len(modes) == 1:
        return Step(R.SERIES_SUMMARY, data={"event_id": event.id, "mode": modes.pop()})
    return Step(R.ASK_SERIES_MODE, data={"event": event, "open": open_})


def ask_mode(ctx: Ctx, turn: Turn) -> list[Message]:
    """会場で参加 / オンラインで参加 for the whole series, with the fewest seats left."""
    event, open_ = turn.data["event"], turn.data["open"]
    title = series_title(ctx, open_[0])
    body = t(ctx.lang, "events.ask_mode_series", series=title, n=len(open_))
    return [rsvp.ask_mode(ctx.lang, body, "ev_series_mode", event.id, seats_per_mode(ctx, open_))]


def answer_mode(_ctx: Ctx, _turn: Turn, inp: Input) -> Step:
    """The mode chosen (ev_series_mode `event id:mode`)."""
    event_id, _, mode = inp.value.partition(":")
    return Step(R.SERIES_SUMMARY, data={"event_id": event_id, "mode": mode})


def ask_summary(ctx: Ctx, turn: Turn) -> list[Message]:
    """Sign up for every open session and say how each went."""
    summary = join(ctx, turn.data["event_id"], turn.data["mode"])
    return [summary or rsvp.with_mine(ctx.lang, t(ctx.lang, "events.unknown"))]
