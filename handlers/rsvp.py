"""Workshops and meetings in chat: list, sign up (per mode), waitlist, cancel, my sign-ups.

Every button carries the event id and is checked again when tapped (seats, closing time,
my current sign-up), so the exchange needs no conversation state: an old card is as good
as a new one, and a survey in progress is not interrupted. Diagram: docs/flows/rsvp.mmd
"""

from __future__ import annotations

import unicodedata
from datetime import tzinfo
from zoneinfo import ZoneInfo

from linebot.v3.messaging import Message
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import events as db
from db.events import Event, Signup
from handlers import chat, engine, pushes, reminders
from handlers.context import Ctx, Outcome
from messages import common, rsvp
from messages.catalog import t
from messages.postback import Postback, ascii_int, decode

DEFAULT_TZ = ZoneInfo("Asia/Tokyo")


# --- cards -------------------------------------------------------------------------------


def open_series_counts(session: Session, series: set[str], now) -> dict[str, int]:
    """series → sessions still open for sign-up."""
    if not series:
        return {}
    closes = func.coalesce(Event.signup_closes_at, Event.starts_at)
    rows = session.execute(
        select(Event.series, func.count())
        .where(Event.series.in_(series), Event.starts_at > now, closes > now)
        .group_by(Event.series)
    )
    return dict(rows.all())


def cards(ctx: Ctx, events: list[Event]) -> list[rsvp.Card]:
    """Cards for events, with seats (one GROUP BY) and the resident's own sign-ups."""
    ids = [e.id for e in events]
    counts = db.confirmed_counts(ctx.session, ids)
    mine = db.signups_of(ctx.session, ctx.resident.id, ids) if ctx.resident else {}
    series = open_series_counts(ctx.session, {e.series for e in events if e.series}, ctx.now)
    tz = ctx.settings.tz
    out = []
    for e in events:
        s = mine.get(e.id)
        out.append(
            rsvp.Card(
                id=e.id,
                title=rsvp.local(ctx.lang, e.title),
                when=rsvp.when(ctx.lang, e.starts_at, e.ends_at, tz),
                venue=rsvp.local(ctx.lang, e.venue),
                format=e.format,
                seats={m: max(0, e.capacity(m) - counts.get((e.id, m), 0)) for m in e.modes},
                open=e.open_at(ctx.now),
                closes=rsvp.moment(ctx.lang, e.signup_closes_at, tz) if e.signup_closes_at else "",
                description=rsvp.local(ctx.lang, e.description),
                series=e.series or "",
                series_count=series.get(e.series, 0) if e.series else 0,
                my_status=s.status if s else None,
                my_mode=s.mode if s else None,
                my_position=db.waitlist_position(ctx.session, s) if s else None,
                my_code=s.attendance_code if s else None,
                modes=e.modes,
            )
        )
    return out


def list_events(ctx: Ctx, offset: int = 0) -> Outcome:
    """Upcoming events as a carousel, PAGE at a time."""
    total = db.count_upcoming(ctx.session, ctx.now)
    if total == 0 or offset >= total:
        return Outcome().add(common.with_menu(ctx.lang, t(ctx.lang, "events.list.none")))
    page = db.upcoming_events(ctx.session, ctx.now, limit=rsvp.PAGE, offset=offset)
    nxt = offset + len(page)
    message = rsvp.carousel(
        ctx.lang,
        t(ctx.lang, "events.list.intro"),
        cards(ctx, page),
        remaining=total - nxt,
        next_offset=nxt,
    )
    return Outcome().add(message)


@chat.keyword("menu.events")
def show_events(ctx: Ctx, _text: str = "") -> Outcome:
    """ワークショップ (the menu entry): the upcoming events."""
    return list_events(ctx)


@chat.keyword("イベント")
def show_events_word(ctx: Ctx, text: str) -> Outcome:
    """イベント: the events; but inside a conversation it is an answer (it is also a topic)."""
    conv = engine.active(ctx)
    if conv is not None:
        return Outcome().add(*engine.handle(ctx, conv, engine.from_text(text)))
    return list_events(ctx)


@chat.keyword("events.keyword.mine")
def my_signups(ctx: Ctx, _text: str = "") -> Outcome:
    """予約の確認: my upcoming sign-ups as cards, with the attendance code and キャンセル."""
    mine = db.my_upcoming(ctx.session, ctx.resident.id, ctx.now)
    if not mine:
        return Outcome().add(common.with_menu(ctx.lang, t(ctx.lang, "events.mine.none")))
    return Outcome().add(
        rsvp.carousel(ctx.lang, t(ctx.lang, "events.mine.intro"), cards(ctx, mine))
    )


@chat.action("ev_list")
def _more(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    offset = ascii_int(pb.value) or 0
    return list_events(ctx, offset)


@chat.action("ev_info")
def _info(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event = db.get_event(ctx.session, pb.value)
    if event is None:
        return _unknown(ctx)
    return Outcome().add(rsvp.details(ctx.lang, cards(ctx, [event])[0]))


def _unknown(ctx: Ctx) -> Outcome:
    return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.unknown")))


def _split(value: str) -> tuple[str, str]:
    event_id, _, mode = value.partition(":")
    return event_id, mode


# --- sign-up -----------------------------------------------------------------------------


def _title(ctx: Ctx, event: Event) -> str:
    return rsvp.local(ctx.lang, event.title)


def _when(ctx: Ctx, event: Event) -> str:
    return rsvp.when(ctx.lang, event.starts_at, event.ends_at, ctx.settings.tz)


def _status_text(ctx: Ctx, signup: Signup, position: int | None) -> str:
    mode = t(ctx.lang, f"events.mode.{signup.mode}")
    if signup.status == "waitlisted":
        return t(ctx.lang, "events.status.waitlisted", mode=mode, position=position or "-")
    return t(ctx.lang, "events.status.confirmed", mode=mode)


def calendar_url(ctx: Ctx, event: Event) -> str:
    """The .ics link served by bot/calendar.py, in the resident's language."""
    url = f"{ctx.settings.public_base_url}/events/{event.id}.ics"
    return url + "?lang=en" if ctx.lang == "en" else url


def _place(lang: str, event: Event, mode: str) -> str:
    return t(lang, "events.place.online") if mode == "online" else rsvp.local(lang, event.venue)


def confirmation(ctx: Ctx, event: Event, signup: Signup, soon: str = "") -> Message:
    """The confirmation card; the online URL only for an online attendee."""
    online = signup.mode == "online"
    place = _place(ctx.lang, event, signup.mode)
    return rsvp.confirmation(
        ctx.lang,
        rsvp.Confirmation(
            event_id=event.id,
            title=_title(ctx, event),
            when=_when(ctx, event),
            place=place,
            mode=signup.mode,
            code=signup.attendance_code,
            calendar_url=calendar_url(ctx, event),
            online_url=event.online_url if online else None,
            soon=soon,
        ),
    )


def details_now(ctx: Ctx, event: Event, signup: Signup) -> str:
    """Past the reminder time: mark the seat reminded and return 本日 / 明日 (else "").

    The confirmation then carries the practical details itself and promises no reminder.
    """
    if signup.status != "confirmed" or not reminders.is_due(event, ctx.now, ctx.settings.tz):
        return ""
    db.mark_reminded(signup, ctx.now)
    return reminders.day_word(ctx.lang, event.starts_at, ctx.now, ctx.settings.tz)


def sign_up(ctx: Ctx, event_id: str, mode: str, *, waitlist: bool = False) -> Outcome:
    """Take a seat (or a waitlist place) and say what happened.

    In a series, the resident's code from its other sessions is kept (one receipt number).
    """
    found = db.get_event(ctx.session, event_id)
    in_series = found is not None and found.series
    prefer = db.series_codes_of(ctx.session, found.series, ctx.resident.id) if in_series else []
    result = db.join(
        ctx.session, event_id, ctx.resident.id, mode, ctx.now, waitlist=waitlist, prefer=prefer
    )
    event = result.event
    if result.status in {"unknown", "bad_mode"}:
        return _unknown(ctx)
    if result.status == "closed":
        return Outcome().add(
            rsvp.with_mine(ctx.lang, t(ctx.lang, "events.closed", title=_title(ctx, event)))
        )
    if result.status == "already":
        status = _status_text(ctx, result.signup, result.position)
        return Outcome().add(
            rsvp.with_mine(
                ctx.lang, t(ctx.lang, "events.already", title=_title(ctx, event), status=status)
            )
        )
    if result.status == "full":
        return Outcome().add(
            rsvp.full(ctx.lang, _title(ctx, event), event.id, mode, result.seats_other)
        )
    if result.status == "waitlisted":
        body = t(
            ctx.lang,
            "events.waitlisted",
            mode=t(ctx.lang, f"events.mode.{mode}"),
            position=result.position,
            title=_title(ctx, event),
            when=_when(ctx, event),
        )
        return Outcome().add(rsvp.with_mine(ctx.lang, body))
    soon = details_now(ctx, event, result.signup)
    return Outcome().add(
        confirmation(ctx, event, result.signup, soon), door_name_question(ctx, result.signup)
    )


# --- the name on the door list (asked once, when a seat is confirmed) -----------------------

NAME_YES, NAME_NO = "ev_name_yes", "ev_name_no"
DISPLAY_NAME = "line_display_name"  # the postback param bot/ fills from LINE's profile
DOOR_NAME_MAX = 40
_DROP = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}  # control, format, unassigned, separators


def wants_display_name(data: str | None) -> bool:
    """Whether a postback is はい to the door-list name (bot/ then reads the LINE profile)."""
    pb = decode(data)
    return pb is not None and not pb.flow and pb.action == NAME_YES


def clean_door_name(raw: object) -> str | None:
    """A display name fit for the door list: NFKC, no control characters, at most 40; or None."""
    if not isinstance(raw, str):
        return None
    text = unicodedata.normalize("NFKC", raw)
    text = "".join(" " if ch.isspace() else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP)
    text = " ".join(text.split())[:DOOR_NAME_MAX].strip()
    return text or None


def door_name_question(ctx: Ctx, signup: Signup) -> Message:
    """May the LINE display name go on the door list? はい / いいえ, tied to this sign-up."""
    value = f"{signup.event_id}:{signup.id}"
    return common.text(
        t(ctx.lang, "events.door_name.ask"),
        [
            common.button(t(ctx.lang, "events.label.door_name_yes"), Postback(NAME_YES, value)),
            common.button(t(ctx.lang, "events.label.door_name_no"), Postback(NAME_NO, value)),
        ],
    )


def _my_signup_for_name(ctx: Ctx, value: str) -> Signup | None:
    """The sign-up a はい / いいえ button was for, if it is still the resident's own and active."""
    event_id, _, signup_id = value.partition(":")
    number = ascii_int(signup_id)
    if number is None or not event_id:
        return None
    mine = db.signup_for(ctx.session, event_id, ctx.resident.id)
    if mine is None or mine.id != number or mine.status not in db.ACTIVE:
        return None
    if mine.event.starts_at <= ctx.now:
        return None
    return mine


@chat.action(NAME_YES)
def _name_yes(ctx: Ctx, pb: Postback, params: dict) -> Outcome:
    mine = _my_signup_for_name(ctx, pb.value)
    if mine is None:
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.stale")))
    name = clean_door_name(params.get(DISPLAY_NAME))
    if name is None:  # no profile (or nothing usable in it): the name is written at the door
        db.set_door_name(mine, None, ctx.now)
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.unavailable")))
    db.set_door_name(mine, name, ctx.now)
    return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.saved")))


@chat.action(NAME_NO)
def _name_no(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    mine = _my_signup_for_name(ctx, pb.value)
    if mine is None:
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.stale")))
    db.set_door_name(mine, None, ctx.now)
    return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.declined")))


@chat.action("ev_join")
def _join(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event = db.get_event(ctx.session, pb.value)
    if event is None:
        return _unknown(ctx)
    if event.format != "hybrid":
        return sign_up(ctx, event.id, event.format)
    if not event.open_at(ctx.now):
        return sign_up(ctx, event.id, "onsite")  # says it has closed
    mine = db.signup_for(ctx.session, event.id, ctx.resident.id)
    if mine is not None and mine.status in db.ACTIVE:
        return sign_up(ctx, event.id, mine.mode)  # says it is already taken
    body = t(ctx.lang, "events.ask_mode", title=_title(ctx, event), when=_when(ctx, event))
    seats = db.seats_left(ctx.session, event)
    return Outcome().add(rsvp.ask_mode(ctx.lang, body, "ev_mode", event.id, seats))


@chat.action("ev_mode")
def _mode(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event_id, mode = _split(pb.value)
    return sign_up(ctx, event_id, mode)


@chat.action("ev_wait")
def _wait(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event_id, mode = _split(pb.value)
    return sign_up(ctx, event_id, mode, waitlist=True)


# --- series ------------------------------------------------------------------------------


def _series_title(ctx: Ctx, first: Event) -> str:
    return rsvp.local(ctx.lang, first.series_title) or _title(ctx, first)


@chat.action("ev_series")
def _series(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event = db.get_event(ctx.session, pb.value)
    if event is None or not event.series:
        return _unknown(ctx)
    sessions = db.series_events(ctx.session, event.series, ctx.now)
    open_ = [e for e in sessions if e.open_at(ctx.now)]
    if not open_:
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.series.none")))
    modes = {m for e in open_ for m in e.modes}
    if len(modes) == 1:
        return join_series(ctx, event.id, modes.pop())
    counts = db.confirmed_counts(ctx.session, [e.id for e in open_])
    seats = {
        m: min(
            (e.capacity(m) - counts.get((e.id, m), 0) for e in open_ if m in e.modes),
            default=0,
        )
        for m in db.MODES
    }
    body = t(ctx.lang, "events.ask_mode_series", series=_series_title(ctx, open_[0]), n=len(open_))
    seats = {m: max(0, n) for m, n in seats.items()}
    return Outcome().add(rsvp.ask_mode(ctx.lang, body, "ev_series_mode", event.id, seats))


@chat.action("ev_series_mode")
def _series_mode(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event_id, mode = _split(pb.value)
    return join_series(ctx, event_id, mode)


def join_series(ctx: Ctx, event_id: str, mode: str) -> Outcome:
    """Sign up for every open session of the event's series: a seat, else the waitlist.

    One attendance code for all of them (`db.series_code`), the mode said once, and for a
    session whose reminder time has passed, its place or join link at once.
    """
    event = db.get_event(ctx.session, event_id)
    if event is None or not event.series or mode not in db.MODES:
        return _unknown(ctx)
    sessions = db.series_events(ctx.session, event.series, ctx.now)
    # lock in id order, so two series sign-ups never wait on each other crosswise
    targets = sorted((e for e in sessions if mode in e.modes), key=lambda e: e.id)
    for e in targets:
        db.lock_event(ctx.session, e.id)
    code = db.series_code(ctx.session, [e.id for e in targets], ctx.resident.id)
    results = {
        e.id: db.join(
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
            soon = details_now(ctx, e, r.signup)
            if soon and mode == "online" and e.online_url:
                extra = t(lang, "events.series.now_url", day=soon, url=e.online_url)
            elif soon and mode != "online":
                extra = t(lang, "events.series.now_place", day=soon, place=_place(lang, e, mode))
        elif r.status == "waitlisted":
            result = t(lang, "events.series.waitlisted", position=r.position)
        elif r.status == "already":
            s = r.signup
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
        when_, title = rsvp.moment(lang, e.starts_at, ctx.settings.tz), _title(ctx, e)
        line = t(lang, "events.series.line", when=when_, title=title, result=result)
        lines.append(line + ("\n" + extra if extra else ""))
    if not lines:
        return Outcome().add(rsvp.with_mine(lang, t(lang, "events.series.none")))
    head = [t(lang, "events.series.done", series=_series_title(ctx, sessions[0]))]
    tail = []
    if has_code:
        head.append(t(lang, "events.confirmed.mode", mode=mode_name))
        head.append(t(lang, "events.series.code", code=code))
        if reminder_ahead:
            tail.append(t(lang, f"events.series.note_{mode}"))
        else:
            tail.append(t(lang, f"events.confirmed.note_{mode}_soon"))
    body = "\n".join([*head, *lines, *tail])
    return Outcome().add(rsvp.with_mine(lang, body))


# --- cancel and promotion ------------------------------------------------------------------


@chat.action("ev_cancel")
def _cancel(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    event = db.get_event(ctx.session, pb.value)
    if event is None:
        return _unknown(ctx)
    mine = db.signup_for(ctx.session, event.id, ctx.resident.id)
    if mine is None or mine.status not in db.ACTIVE:
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.none")))
    return Outcome().add(
        rsvp.cancel_question(ctx.lang, _title(ctx, event), _when(ctx, event), event.id)
    )


@chat.action("ev_cancel_no")
def _cancel_no(ctx: Ctx, _pb: Postback, _params: dict) -> Outcome:
    return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.kept")))


@chat.action("ev_cancel_yes")
def _cancel_yes(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    result = db.cancel(ctx.session, pb.value, ctx.resident.id, ctx.now)
    if result.status == "unknown":
        return _unknown(ctx)
    if result.status == "not_signed_up":
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.none")))
    if result.status == "started":
        return Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.started")))
    out = Outcome().add(rsvp.with_mine(ctx.lang, t(ctx.lang, "events.cancel.done")))
    out.outbox_ids.extend(queue_promotions(ctx.session, result.promoted, ctx.settings.tz))
    return out


def promotion_message(
    lang: str, event: Event, signup: Signup, tz: tzinfo, soon: str = ""
) -> Message:
    """The push telling a waitlisted person they have a seat (online URL for online only).

    `soon` (本日 / 明日): promoted after the reminder time, so the place is said here too.
    """
    body = t(
        lang,
        "events.promoted",
        title=rsvp.local(lang, event.title),
        when=rsvp.when(lang, event.starts_at, event.ends_at, tz),
        mode=t(lang, f"events.mode.{signup.mode}"),
        code=signup.attendance_code,
    )
    if soon:
        body += "\n" + t(lang, "events.confirmed.soon", day=soon)
        if signup.mode != "online":
            body += "\n" + t(lang, "events.confirmed.place", place=_place(lang, event, "onsite"))
    if signup.mode == "online" and event.online_url:
        body += "\n" + t(lang, "events.confirmed.url", url=event.online_url)
    return rsvp.with_mine(lang, body)


def queue_promotions(
    session: Session, promoted: list[Signup], tz: tzinfo = DEFAULT_TZ
) -> list[int]:
    """Queue one push per promoted sign-up (retry key from the sign-up and its promotion).

    Promoted after the reminder time: the push carries the details and no reminder follows.
    """
    ids = []
    for signup in promoted:
        resident, event, at = signup.resident, signup.event, signup.confirmed_at
        soon = ""
        if reminders.is_due(event, at, tz):
            db.mark_reminded(signup, at)
            soon = reminders.day_word(resident.language, event.starts_at, at, tz)
        message = promotion_message(resident.language, event, signup, tz, soon)
        ids.append(
            pushes.queue(
                session,
                resident.line_user_id,
                [message],
                "promotion",
                (signup.id, signup.confirmed_at.isoformat()),
            )
        )
    return ids
