"""Builders for 結果・報告 in chat: published results and reports as Flex cards; the
summary of a report quoted in its announcement."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexButton,
    FlexCarousel,
    FlexMessage,
    FlexText,
    Message,
    URIAction,
)

from messages.catalog import t
from messages.common import text, with_menu
from messages.limits import ALT_TEXT_MAX, QUICK_LABEL_MAX
from messages.plan import local

MAX_BUBBLES = 12  # LINE: a carousel holds at most 12 bubbles
TITLE_MAX = 120
SUMMARY_MAX = 120  # characters of the report quoted in its announcement (LINE allows 5,000)
SUMMARY_SENTENCES = 2
SENTENCE_END = re.compile(r"(?<=[。！？!?])\s*|(?<=[.])\s+|\n+")


def summary(text: str, limit: int = SUMMARY_MAX) -> str:
    """The first sentence(s) of a report: up to two whole ones that fit in `limit` characters;
    a first sentence longer than that is cut with "…"."""
    flat = " ".join(p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip())
    sentences = [p.strip() for p in SENTENCE_END.split(flat) if p and p.strip()]
    out = ""
    for sentence in sentences[:SUMMARY_SENTENCES]:
        spaced = out and not out.endswith(("。", "！", "？"))
        joined = f"{out} {sentence}" if spaced else out + sentence
        if len(joined) > limit:
            break
        out = joined
    if not out and sentences:
        out = sentences[0][: limit - 1].rstrip() + "…"
    return out


def _day(moment: datetime, lang: str, tz: str) -> str:
    m = moment.astimezone(ZoneInfo(tz))
    return f"{m.day} {m:%b %Y}" if lang == "en" else f"{m.year}年{m.month}月{m.day}日"


def card(item: dict, lang: str, base_url: str, tz: str) -> FlexBubble:
    """One published result or report: what it is, its title, the day, a button to the page."""
    title = local(item["title"], lang)[:TITLE_MAX] or item["id"]
    url = f"{base_url.rstrip('/')}{item['path']}?lang={lang}"
    label = t(lang, "label.pub.open")[:QUICK_LABEL_MAX]
    return FlexBubble(
        size="kilo",
        body=FlexBox(
            layout="vertical",
            spacing="sm",
            contents=[
                FlexText(text=t(lang, f"pub.kind.{item['kind']}"), size="sm", color="#0B5A32"),
                FlexText(text=title, weight="bold", size="md", wrap=True),
                FlexText(
                    text=t(lang, "pub.published_on", day=_day(item["published_at"], lang, tz)),
                    size="sm",
                    color="#555555",
                    wrap=True,
                ),
            ],
        ),
        footer=FlexBox(
            layout="vertical",
            contents=[
                FlexButton(style="primary", color="#0B5A32", action=URIAction(label=label, uri=url))
            ],
        ),
    )


def results_cards(items: list[dict], lang: str, base_url: str, tz: str) -> list[Message]:
    """The intro, the cards (newest first, at most 12), and how many more, with the menu."""
    if not items:
        return [with_menu(lang, t(lang, "pub.chat_none"))]
    shown = items[:MAX_BUBBLES]
    alt = "\n".join(local(i["title"], lang) for i in shown)[:ALT_TEXT_MAX]
    out: list[Message] = [
        text(t(lang, "pub.chat_intro", n=len(items))),
        FlexMessage(
            altText=alt or t(lang, "label.pub.results"),
            contents=FlexCarousel(contents=[card(i, lang, base_url, tz) for i in shown]),
        ),
    ]
    if len(items) > MAX_BUBBLES:
        url = f"{base_url.rstrip('/')}/results/?lang={lang}"
        out.append(with_menu(lang, t(lang, "pub.chat_more", n=len(items) - MAX_BUBBLES, url=url)))
    return out
