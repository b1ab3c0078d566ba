"""A question with choices: a short row of quick replies, or a Flex card of large buttons.

The action that finishes a step (決定, スキップ) always comes first in the quick-reply bar;
long lists (more than LIST_MAX choices, or a bar wider than BAR_MAX) become a card, so no
choice hides off-screen in a row to swipe.
"""

from __future__ import annotations

from typing import Any

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexSeparator,
    FlexText,
    Message,
    PostbackAction,
)

from messages import common
from messages.postback import decode

FLEX_LABEL_MAX = 40
ALT_TEXT_MAX = 1500
LIST_MAX = 4  # more choices than this: a card
BAR_MAX = 6  # more quick replies than this (choices and navigation): a card
FINISHING = {"done", "skip"}  # postback actions that finish a step: first in the bar


def fits_quick_reply(actions: list[PostbackAction], extra: int) -> bool:
    """True when every choice fits a quick-reply button unshortened, with room for extra."""
    return len(actions) + extra <= common.QUICK_REPLY_MAX and all(
        len(a.display_text or a.label) <= common.LABEL_MAX for a in actions
    )


def finishing_first(nav: list) -> tuple[list, list]:
    """Split navigation into the actions that finish a step (決定, スキップ) and the rest."""
    first: list[Any] = []
    rest: list[Any] = []
    for action in nav:
        pb = decode(getattr(action, "data", None))
        (first if pb is not None and pb.action in FINISHING else rest).append(action)
    return first, rest


def as_card(choices: list[PostbackAction], nav: list) -> bool:
    """True when the choices are too many or too long for a row of quick replies."""
    return (
        len(choices) > LIST_MAX
        or len(choices) + len(nav) > BAR_MAX
        or not fits_quick_reply(choices, len(nav))
    )


def question(body: str, choices: list[PostbackAction], nav: list) -> list[Message]:
    """Ask with choices as quick replies, or as a Flex card showing every full wording."""
    first, rest = finishing_first(nav)
    if not as_card(choices, nav):
        return [common.text(body, [*first, *choices, *rest])]
    rows: list = [FlexText(text=body, wrap=True, weight="bold", size="md")]
    for action in choices:
        full = action.display_text or action.label
        rows.append(FlexSeparator(margin="md"))
        if len(full) > FLEX_LABEL_MAX:
            rows.append(FlexText(text=full, wrap=True, size="md", margin="md"))
            label = full[: FLEX_LABEL_MAX - 1] + "…"
        else:
            label = full
        rows.append(
            FlexButton(
                action=PostbackAction(label=label, data=action.data, displayText=full[:300]),
                style="secondary",
                height="md",
                margin="sm",
            )
        )
    bubble = FlexBubble(size="giga", body=FlexBox(layout="vertical", contents=rows, spacing="sm"))
    message = FlexMessage(altText=alt_text(body), contents=bubble)
    message.quick_reply = common.quick([*first, *rest])
    return [message]


def alt_text(body: str) -> str:
    """A Flex message's alt text: the body, cut to LINE's limit."""
    return body if len(body) <= ALT_TEXT_MAX else body[: ALT_TEXT_MAX - 1] + "…"
