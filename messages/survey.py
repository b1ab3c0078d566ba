"""Survey messages: the list of surveys, one question per message, scale grids. Pure builders."""

from __future__ import annotations

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexMessage,
    FlexText,
    Message,
    PostbackAction,
)

from messages import common
from messages.catalog import t
from messages.choices import alt_text, finishing_first, question
from messages.text import pick
from messages.text import when as when  # re-exported: callers read msg.when

SCALE_ROW = 6
local = pick  # a content text in the resident's language (messages/text.py)


def heading(progress: str, text: str, hint: str, optional: str = "") -> str:
    """`Q3/8` on its own line, then the question, then how to answer."""
    first = f"{progress} {optional}".strip()
    return f"{first}\n{text}\n\n{hint}"


def choice_question(body: str, choices: list[PostbackAction], nav: list) -> list[Message]:
    """Choices as quick replies, or as Flex buttons showing the full wording."""
    return question(body, choices, nav)


def scale_question(body: str, numbers: list[PostbackAction], nav: list) -> list[Message]:
    """Up to SCALE_ROW numbers as quick replies (スキップ first), more as a Flex grid."""
    first, rest = finishing_first(nav)
    if len(numbers) <= SCALE_ROW and len(numbers) + len(nav) <= common.QUICK_REPLY_MAX:
        return [common.text(body, [*first, *numbers, *rest])]
    rows: list = [FlexText(text=body, wrap=True, size="md")]
    for i in range(0, len(numbers), SCALE_ROW):
        rows.append(
            FlexBox(
                layout="horizontal",
                spacing="xs",
                margin="md",
                contents=[
                    FlexButton(action=a, style="secondary", height="md")
                    for a in numbers[i : i + SCALE_ROW]
                ],
            )
        )
    bubble = FlexBubble(size="giga", body=FlexBox(layout="vertical", contents=rows, spacing="sm"))
    message = FlexMessage(altText=alt_text(body), contents=bubble)
    message.quick_reply = common.quick([*first, *rest])
    return [message]


def text_question(body: str, nav: list) -> list[Message]:
    """A free-text question: the navigation as quick replies."""
    return [common.text(body, nav)]


def survey_list(lang: str, items: list[str], buttons: list[PostbackAction]) -> list[Message]:
    """The open surveys, one button each, with the menu words too."""
    body = t(lang, "survey.list_intro", items="\n".join(items))
    return question(body, buttons, [])


def closing(lang: str, key: str, **values) -> Message:
    """A closing line (thanks, refusal) with the menu."""
    return common.with_menu(lang, t(lang, key, **values))
