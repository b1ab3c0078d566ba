"""The day-before reminder: one push per confirmed attendee, never twice.

An attendee is due from REMIND_AT (town time) on the day before the event's date in the
town's time zone until the event starts. Marking `reminded_at` and queueing the push happen
in one transaction, in one UPDATE … RETURNING, so a second run (or a second clock) finds
nothing to do; the push's retry key comes from the sign-up id as well.

The reminder names the day as the town sees it when it is queued: 本日, 明日, or the date.
A seat taken once the reminder time has passed is marked reminded at once (`is_due`): the
confirmation itself carries the practical details, and promises no reminder.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, tzinfo

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from db import events_signups as signups
from db.events import Event, Signup
from handlers import pushes
from messages import rsvp
from messages.catalog import t

REMIND_AT = time(10, 0)  # on the day before, from 10:00 town time


def due_before(now: datetime, tz: tzinfo) -> datetime:
    """Events starting before this instant (and after now) are due for their reminder."""
    shifted = (now.astimezone(tz) - _since_midnight(REMIND_AT)).date()
    midnight = datetime.combine(shifted + timedelta(days=2), time(0, 0), tzinfo=tz)
    return midnight


def _since_midnight(at: time) -> timedelta:
    return timedelta(hours=at.hour, minutes=at.minute)


def remind_from(event: Event, tz: tzinfo) -> datetime:
    """REMIND_AT on the day before the event's date in the town's time zone."""
    day_before = event.starts_at.astimezone(tz).date() - timedelta(days=1)
    return datetime.combine(day_before, REMIND_AT, tzinfo=tz)


def is_due(event: Event, now: datetime, tz: tzinfo) -> bool:
    """Whether the reminder time for the event has come (and the event has not started)."""
    return remind_from(event, tz) <= now < event.starts_at


def day_word(lang: str, starts_at: datetime, now: datetime, tz: tzinfo) -> str:
    """本日 / 明日 / 12月2日(水), for the event's date as seen at `now`, in town time."""
    days = (starts_at.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        return t(lang, "events.day.today")
    if days == 1:
        return t(lang, "events.day.tomorrow")
    return rsvp.date_label(lang, starts_at, tz)


def reminder_message(lang: str, event: Event, signup: Signup, tz: tzinfo, now: datetime) -> Message:
    """The reminder, naming the day as seen at `now`; the online URL only for online."""
    online = signup.mode == "online"
    place = t(lang, "events.place.online") if online else rsvp.local(lang, event.venue)
    parts = [
        t(
            lang,
            "events.reminder",
            day=day_word(lang, event.starts_at, now, tz),
            title=rsvp.local(lang, event.title),
            when=rsvp.when(lang, event.starts_at, event.ends_at, tz),
            place=place,
            code=signup.attendance_code,
        )
    ]
    if online and event.online_url:
        parts.append(t(lang, "events.reminder.online", url=event.online_url))
    parts.append(t(lang, "events.reminder.cancel"))
    return rsvp.with_mine(lang, "\n".join(parts))


def queue_due(session: Session, now: datetime, tz: tzinfo) -> list[int]:
    """Mark every due, unreminded, confirmed sign-up of a resident who has not blocked us, and
    queue its push in the same transaction; returns the outbox ids."""
    out = []
    for signup in signups.mark_due_reminders(session, now, due_before(now, tz)):
        resident = signup.resident
        message = reminder_message(resident.language, signup.event, signup, tz, now)
        out.append(
            pushes.queue(session, resident.line_user_id, [message], "reminder", (signup.id,))
        )
    return out
