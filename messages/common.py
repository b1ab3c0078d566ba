"""Small builders shared by every flow: text, quick replies, postback buttons."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from linebot.v3.messaging import (
    MessageAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from messages.catalog import t
from messages.postback import Postback

QUICK_REPLY_MAX = 13
LABEL_MAX = 20

MENU_KEYS = (
    "menu.survey",
    "menu.events",
    "menu.notify",
    "menu.progress",
    "menu.opinion",
    "menu.profile",
    "menu.mydata",
    "menu.help",
)


def shorten(label: str, limit: int = LABEL_MAX) -> str:
    """A label that fits LINE's limit, ending in … when cut."""
    return label if len(label) <= limit else label[: limit - 1] + "…"


def button(label: str, postback: Postback, display: str | None = None) -> PostbackAction:
    """A postback button; the chat shows the full label when it is tapped."""
    return PostbackAction(
        label=shorten(label), data=postback.encode(), displayText=(display or label)[:300]
    )


def say(label: str) -> MessageAction:
    """A button that sends its label as text, like typing it."""
    return MessageAction(label=shorten(label), text=label)


def quick(actions: Iterable) -> QuickReply | None:
    """A quick-reply bar of at most 13 buttons (None when there are none)."""
    items = [QuickReplyItem(action=a) for a in actions][:QUICK_REPLY_MAX]
    return QuickReply(items=items) if items else None


def text(body: str, actions: Iterable | None = None) -> TextMessage:
    """A text message, with quick-reply buttons when actions are given."""
    return TextMessage(text=body, quickReply=quick(actions) if actions else None)


def menu_actions(lang: str) -> list[MessageAction]:
    """One button per capability, sending the keyword a resident could type."""
    return [say(t(lang, key)) for key in MENU_KEYS]


@cache
def _menu_bar(lang: str) -> QuickReply:
    """The menu quick-reply bar, built once per language (it never changes)."""
    return quick(menu_actions(lang))


def with_menu(lang: str, body: str) -> TextMessage:
    """A text followed by the menu as quick replies."""
    return TextMessage(text=body, quickReply=_menu_bar(lang))
