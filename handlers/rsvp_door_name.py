"""The name on the door list: asked once, when a seat is confirmed (はい / いいえ).

はい stores the LINE display name (bot/ reads the profile and passes it as a postback
param); いいえ, no profile, or cancelling leaves the list blank for staff to write in.
"""

from __future__ import annotations

import unicodedata

from linebot.v3.messaging import Message

from db import events as db
from db import events_signups as signups
from db.events import Signup
from handlers.context import Ctx
from messages import common, rsvp
from messages.catalog import t
from messages.postback import Postback, ascii_int, decode
from messages.text import nfkc

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
    text = nfkc(raw)
    text = "".join(" " if ch.isspace() else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in _DROP)
    text = " ".join(text.split())[:DOOR_NAME_MAX].strip()
    return text or None


def question(ctx: Ctx, signup: Signup) -> Message:
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
    assert ctx.resident is not None  # taps come from a known resident
    mine = db.signup_for(ctx.session, event_id, ctx.resident.id)
    if mine is None or mine.id != number or mine.status not in db.ACTIVE:
        return None
    if mine.event.starts_at <= ctx.now:
        return None
    return mine


def answer(ctx: Ctx, value: str, yes: bool, params: dict[str, str]) -> Message:
    """Store the display name (はい) or clear it (いいえ) and say so; refuse a stale button."""
    mine = _my_signup_for_name(ctx, value)
    if mine is None:
        return rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.stale"))
    if not yes:
        signups.set_door_name(mine, None, ctx.now)
        return rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.declined"))
    name = clean_door_name(params.get(DISPLAY_NAME))
    if name is None:  # no profile (or nothing usable in it): the name is written at the door
        signups.set_door_name(mine, None, ctx.now)
        return rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.unavailable"))
    signups.set_door_name(mine, name, ctx.now)
    return rsvp.with_mine(ctx.lang, t(ctx.lang, "events.door_name.saved"))
