"""What the RSVP flow shows about events: cards, confirmations and the promotion push.

Each function reads the events and the resident's own sign-ups and fills a builder's data
(`messages/rsvp.py`); the flow itself is `handlers/rsvp.py`.
"""

from __future__ import annotations

from datetime import tzinfo

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from db import events as db
from db import events_signups as signups
from db.events import Event, Signup
from handlers import pushes, reminders
from handlers.context import Ctx
from messages import rsvp
from messages.catalog import t
from messages.text import TOWN_TZ


def title(ctx: Ctx, event: Event) -> str:
    """The event's title in the resident's language."""
    return rsvp.local(ctx.lang, event.title)


def when(ctx: Ctx, event: Event) -> str:
    """`11月8日(土) 18:30〜20:30` in town time."""
    return rsvp.when(ctx.lang, event.starts_at, event.ends_at, ctx.settings.tz)


def place(lang: str, event: Event, mode: str) -> str:
    """Where one attends in a mode: オンライン, or the venue."""
    return t(lang, "events.place.online") if mode == "online" else rsvp.local(lang, event.venue)


def status_text(ctx: Ctx, signup: Signup, position: int | None) -> str:
    """申込済み（会場） / キャンセル待ち N番目（会場）."""
    mode = t(ctx.lang, f"events.mode.{signup.mode}")
    if signup.status == "waitlisted":
        return t(ctx.lang, "events.status.waitlisted", mode=mode, position=position or "-")
    return t(ctx.lang, "events.status.confirmed", mode=mode)


def cards(ctx: Ctx, events: list[Event]) -> list[rsvp.Card]:
    """Cards for events, with seats (one GROUP BY) and the resident's own sign-ups."""
    ids = [e.id for e in events]
    counts = db.confirmed_counts(ctx.session, ids)
    mine = db.signups_of(ctx.session, ctx.resident.id, ids) if ctx.resident else {}
    series = db.open_series_counts(ctx.session, {e.series for e in events if e.series}, ctx.now)
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


def calendar_url(ctx: Ctx, event: Event) -> str:
    """The .ics link served by bot/calendar.py, in the resident's language."""
    url = f"{ctx.settings.public_base_url}/events/{event.id}.ics"
    return url + "?lang=en" if ctx.lang == "en" else url


def confirmation(ctx: Ctx, event: Event, signup: Signup, soon: str = "") -> Message:
    """The confirmation card; the online URL only for an online attendee."""
    online = signup.mode == "online"
    return rsvp.confirmation(
        ctx.lang,
        rsvp.Confirmation(
            event_id=event.id,
            title=title(ctx, event),
            when=when(ctx, event),
            place=place(ctx.lang, event, signup.mode),
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
    signups.mark_reminded(signup, ctx.now)
    return reminders.day_word(ctx.lang, event.starts_at, ctx.now, ctx.settings.tz)


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
            body += "\n" + t(lang, "events.confirmed.place", place=place(lang, event, "onsite"))
    if signup.mode == "online" and event.online_url:
        body += "\n" + t(lang, "events.confirmed.url", url=event.online_url)
    return rsvp.with_mine(lang, body)


def queue_promotions(session: Session, promoted: list[Signup], tz: tzinfo = TOWN_TZ) -> list[int]:
    """Queue one push per promoted sign-up (retry key from the sign-up and its promotion).

    Promoted after the reminder time: the push carries the details and no reminder follows.
    """
    ids = []
    for signup in promoted:
        resident, event, at = signup.resident, signup.event, signup.confirmed_at
        assert at is not None  # a promoted sign-up has its seat confirmed
        soon = ""
        if reminders.is_due(event, at, tz):
            signups.mark_reminded(signup, at)
            soon = reminders.day_word(resident.language, event.starts_at, at, tz)
        message = promotion_message(resident.language, event, signup, tz, soon)
        ids.append(
            pushes.queue(
                session,
                resident.line_user_id,
                [message],
                "promotion",
                (signup.id, at.isoformat()),
            )
        )
    return ids
