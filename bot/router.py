"""An explicit registry from webhook event type to the handler that decides."""

from __future__ import annotations

import logging
from collections.abc import Callable

from linebot.v3.webhooks import (
    Event,
    FollowEvent,
    JoinEvent,
    MessageEvent,
    PostbackEvent,
    TextMessageContent,
    UnfollowEvent,
)

from handlers import chat, onboarding
from handlers.context import Ctx, Outcome
from handlers.rsvp_door_name import DISPLAY_NAME
from messages import common
from messages.catalog import t

log = logging.getLogger(__name__)
Route = Callable[[Ctx, Event, dict], Outcome]


def routes(*pairs: tuple[type, Route]) -> dict[type, Route]:
    """Event class → route; an event class may be routed once."""
    out: dict[type, Route] = {}
    for event_type, fn in pairs:
        if event_type in out:
            raise ValueError(f"{event_type.__name__} is routed twice")
        out[event_type] = fn
    return out


def dispatch(ctx: Ctx, event: Event, extras: dict) -> Outcome:
    """Run the route for an event; unknown types get no reply."""
    fn = ROUTES.get(type(event))
    if fn is None:
        log.info("no route for event type %s", getattr(event, "type", "?"))
        return Outcome()
    return fn(ctx, event, extras)


def one_to_one(event: Event) -> bool:
    """True for events from a user in a 1:1 chat."""
    return getattr(event.source, "type", None) == "user"


def _follow(ctx: Ctx, event: FollowEvent, extras: dict) -> Outcome:
    if getattr(event.source, "user_id", None) is None:
        return Outcome()  # no one to welcome: LINE's schema lets `source` go missing
    return onboarding.on_follow(
        ctx, event.source.user_id, bool(event.follow.is_unblocked), extras.get("language")
    )


def _unfollow(ctx: Ctx, event: UnfollowEvent, extras: dict) -> Outcome:
    return onboarding.on_unfollow(ctx)


def _message(ctx: Ctx, event: MessageEvent, extras: dict) -> Outcome:
    if not one_to_one(event) or ctx.resident is None:
        return Outcome()  # groups and rooms: stay quiet
    if isinstance(event.message, TextMessageContent):
        return chat.on_text(ctx, event.message.text)
    return chat.on_other_message(ctx)


def _postback(ctx: Ctx, event: PostbackEvent, extras: dict) -> Outcome:
    if not one_to_one(event) or ctx.resident is None:
        return Outcome()
    params = dict(event.postback.params or {})
    if "display_name" in extras:  # read from LINE's profile for this tap (bot/inbox.py)
        params[DISPLAY_NAME] = extras["display_name"]
    return chat.on_postback(ctx, event.postback.data, params)


def _join(ctx: Ctx, event: JoinEvent, extras: dict) -> Outcome:
    return Outcome().add(common.text(t("ja", "group.hello")))


# Every webhook event type the bot answers; others get no reply (logged).
ROUTES: dict[type, Route] = routes(
    (FollowEvent, _follow),
    (UnfollowEvent, _unfollow),
    (MessageEvent, _message),
    (PostbackEvent, _postback),
    (JoinEvent, _join),
)
