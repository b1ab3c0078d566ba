"""A question with choices: quick replies when they fit, a Flex list of buttons when not."""

from __future__ import annotations

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

FLEX_LABEL_MAX = 40
ALT_TEXT_MAX = 1500


def fits_quick_reply(actions: list[PostbackAction], extra: int) -> bool:
    """True when every choice fits a quick-reply button unshortened, with room for extra."""
    return len(actions) + extra <= common.QUICK_REPLY_MAX and all(
        len(a.display_text or a.label) <= common.LABEL_MAX for a in actions
    )


def question(body: str, choices: list[PostbackAction], nav: list) -> list[Message]:
    """Ask with choices as quick replies, or as a Flex list showing every full wording."""
    if fits_quick_reply(choices, len(nav)):
        return [common.text(body, [*choices, *nav])]
    rows: list = [FlexText(text=body, wrap=True, weight="bold", size="md")]
    for action in choices:
        full = action.display_text or action.label
        rows.append(FlexSeparator(margin="md"))
        if len(full) > FLEX_LABEL_MAX:
            rows.append(FlexText(text=full, wrap=True, size="sm", margin="md"))
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
    alt = body if len(body) <= ALT_TEXT_MAX else body[: ALT_TEXT_MAX - 1] + "…"
    message = FlexMessage(altText=alt, contents=bubble)
    message.quick_reply = common.quick(nav)
    return [message]
