"""Announcement messages: the staff's text (split within LINE's limits), image, link, footer."""

from __future__ import annotations

from urllib.parse import urlparse

from messages.catalog import t
from messages.limits import MAX_MESSAGES, split_text

LINK_LABEL_MAX = 20
URL_MAX = 1000
TEMPLATE_TEXT_MAX = 160


class AnnouncementError(ValueError):
    """The announcement cannot be sent as it is; the message says why."""


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
) -> list[dict]:
    """The message objects (LINE wire format) one resident receives; at most five.

    Order: the text (split at line breaks when longer than 5,000 UTF-16 units), the image,
    the link button; the last message ends with one line on how to change the settings.
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
    if extras:
        texts = [{"type": "text", "text": p} for p in split_text(body)]
        out = [*texts, *extras, {"type": "text", "text": footer}]
    else:
        out = [{"type": "text", "text": p} for p in split_text(f"{body}\n\n{footer}")]
    if len(out) > MAX_MESSAGES:
        raise AnnouncementError(
            f"the announcement needs {len(out)} messages; LINE allows {MAX_MESSAGES} per send "
            "(shorten the text, or drop the image or link)"
        )
    return out
