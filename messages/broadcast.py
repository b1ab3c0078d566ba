"""Announcement messages: the staff's text (split within LINE's limits), image, link, footer."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

from messages.catalog import CATALOGS, t
from messages.common import menu_actions
from messages.limits import MAX_MESSAGES, split_text
from messages.postback import Postback

LINK_LABEL_MAX = 20
URL_MAX = 1000
TEMPLATE_TEXT_MAX = 160


ACTION_KINDS = ("event", "survey", "url")
SEGMENT_EXAMPLE = "district=七ツ森,磐梯 age=20代,30代"  # shown in the CLI's help


class AnnouncementError(ValueError):
    """The announcement cannot be sent as it is: `code` says why, `params` the values.

    The words are the edge's (handlers/broadcast_errors.py renders them); `field` names
    what was wrong: `image`, `link` or `action`.
    """

    def __init__(self, code: str, **params: object) -> None:
        self.code, self.params = code, params
        super().__init__(code, params)


@dataclass(frozen=True)
class ActionCard:
    """What an announcement offers, resolved for each language (handlers/broadcast.py).

    kind `event` (申し込む: value is the event id), `survey` (回答する: the survey id) or
    `url` (a link: the https address). `title` and `when` map a language to its text.
    """

    kind: str
    value: str
    title: dict = field(default_factory=dict)
    when: dict = field(default_factory=dict)
    label: str | None = None  # a url action's button label, when staff gave one

    def button_label(self, lang: str) -> str:
        """The button's label in this language."""
        return self.label or t(lang, f"announce.label.{self.kind}")

    def action(self, lang: str) -> dict:
        """The LINE action object of the button (wire format)."""
        label = self.button_label(lang)
        if self.kind == "url":
            return {"type": "uri", "label": label, "uri": self.value}
        what = "ev_join" if self.kind == "event" else "survey_open"
        return {
            "type": "postback",
            "label": label,
            "data": Postback(action=what, value=self.value).encode(),
            "displayText": label,
        }

    def message(self, lang: str) -> dict:
        """A buttons template: the event or survey in a few words, and the button."""
        title = self.title.get(lang) or self.title.get("ja") or ""
        when = self.when.get(lang) or self.when.get("ja") or ""
        if self.kind == "event":
            body = t(lang, "announce.event", title=title, when=when)
        elif self.kind == "survey":
            body = t(lang, "announce.survey", title=title, closes=when)
        else:
            body = t(lang, "announce.link")
        if len(body) > TEMPLATE_TEXT_MAX:  # a long title is cut, the instructions kept
            cut = len(body) - TEMPLATE_TEXT_MAX + 1
            body = body.replace(title, title[: max(1, len(title) - cut)] + "…", 1)
        alt = f"{title} {when} {self.button_label(lang)}".strip()
        return {
            "type": "template",
            "altText": alt[:400],
            "template": {"type": "buttons", "text": body, "actions": [self.action(lang)]},
        }


def _menu_quick_reply(lang: str, card: ActionCard | None) -> dict:
    """The action first (when there is one), then the menu: an announcement is no dead end."""
    items = [{"type": "action", "action": card.action(lang)}] if card else []
    for a in menu_actions(lang):
        message = {"type": "message", "label": a.label, "text": a.text}
        items.append({"type": "action", "action": message})
    return {"items": items[:13]}


def localized_label(label: str, lang: str) -> str:
    """A link label as staff gave it, or "@KEY" for the catalog's `label.KEY` in the
    resident's language (the app's own announcements, e.g. "@pub.see_report")."""
    label = label.strip()
    if label.startswith("@") and f"label.{label[1:]}" in CATALOGS["ja"]:
        return t(lang, f"label.{label[1:]}")
    return label


def check_https(url: str, field: str) -> str:
    """An https URL (LINE refuses others for images and links); `field` names it."""
    parsed = urlparse(url or "")
    if parsed.scheme != "https" or not parsed.netloc:
        raise AnnouncementError("not_https", field=field, url=url)
    if len(url) > URL_MAX:
        raise AnnouncementError("url_too_long", field=field, max=URL_MAX)
    return url


def announcement(
    text: str,
    lang: str,
    *,
    image_url: str | None = None,
    link_url: str | None = None,
    link_label: str | None = None,
    card: ActionCard | None = None,
) -> list[dict]:
    """The message objects (LINE wire format) one resident receives; at most five.

    Order: the text (split at line breaks when longer than 5,000 UTF-16 units), the image,
    the link button, the action (申し込む, 回答する or a link); the last message ends with
    one line on how to change the settings and carries the action and the menu as quick
    replies.
    """
    footer = t(lang, "notify.footer")
    body = (text or "").strip()
    if not body:
        raise AnnouncementError("text_empty")
    extras: list[dict] = []
    if image_url:
        url = check_https(image_url, "image")
        extras.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
    if link_url or link_label:
        if not (link_url and link_label):
            raise AnnouncementError("link_pair")
        label = localized_label(link_label, lang)
        if not label or len(label) > LINK_LABEL_MAX:
            raise AnnouncementError("link_label_length", max=LINK_LABEL_MAX)
        url = check_https(link_url, "link")
        intro = t(lang, "notify.link_intro")
        extras.append(
            {
                "type": "template",
                "altText": f"{label} {url}"[:1500],
                "template": {
                    "type": "buttons",
                    "text": intro[:TEMPLATE_TEXT_MAX],
                    "actions": [{"type": "uri", "label": label, "uri": url}],
                },
            }
        )
    if card is not None:
        extras.append(card.message(lang))
    if extras:
        texts = [{"type": "text", "text": p} for p in split_text(body)]
        out = [*texts, *extras, {"type": "text", "text": footer}]
    else:
        out = [{"type": "text", "text": p} for p in split_text(f"{body}\n\n{footer}")]
    out[-1]["quickReply"] = _menu_quick_reply(lang, card)
    if len(out) > MAX_MESSAGES:
        raise AnnouncementError("too_many_messages", n=len(out), max=MAX_MESSAGES)
    return out
