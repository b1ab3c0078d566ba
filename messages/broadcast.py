"""Announcement messages: the staff's text (split within LINE's limits), image, link, footer."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlparse

from messages.catalog import t
from messages.common import menu_actions
from messages.limits import MAX_MESSAGES, split_text
from messages.postback import Postback

LINK_LABEL_MAX = 20
URL_MAX = 1000
TEMPLATE_TEXT_MAX = 160


ACTION_KINDS = ("event", "survey", "url")


class AnnouncementError(ValueError):
    """The announcement cannot be sent as it is; the message says why."""


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


def check_https(url: str, what: str) -> str:
    """An https URL (LINE refuses others for images and links)."""
    parsed = urlparse(url or "")
    if parsed.scheme != "https" or not parsed.netloc:
        raise AnnouncementError(f"{what} must be an https:// URL (got {url!r})")
    if len(url) > URL_MAX:
        raise AnnouncementError(f"{what} is longer than {URL_MAX} characters")
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
        raise AnnouncementError("the announcement text is empty")
    extras: list[dict] = []
    if image_url:
        url = check_https(image_url, "--image")
        extras.append({"type": "image", "originalContentUrl": url, "previewImageUrl": url})
    if link_url or link_label:
        if not (link_url and link_label):
            raise AnnouncementError("--link and --link-label go together")
        label = link_label.strip()
        if not label or len(label) > LINK_LABEL_MAX:
            raise AnnouncementError(f"--link-label must be 1 to {LINK_LABEL_MAX} characters")
        url = check_https(link_url, "--link")
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
        raise AnnouncementError(
            f"the announcement needs {len(out)} messages; LINE allows {MAX_MESSAGES} per send "
            "(shorten the text, or drop the image or link)"
        )
    return out
