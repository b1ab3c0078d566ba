"""Make outgoing messages fit LINE's documented limits (never a request LINE refuses)."""

from __future__ import annotations

import logging
from enum import Enum

from linebot.v3.messaging import Message

log = logging.getLogger(__name__)

MAX_MESSAGES = 5
TEXT_MAX_UTF16 = 5000
ALT_TEXT_MAX = 1500
QUICK_REPLY_MAX = 13
QUICK_LABEL_MAX = 20
POSTBACK_DATA_MAX = 300


def utf16_len(s: str) -> int:
    """Length as LINE counts text: UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def split_text(s: str, limit: int = TEXT_MAX_UTF16) -> list[str]:
    """Split text into pieces of at most limit UTF-16 units, preferring line breaks."""
    pieces: list[str] = []
    while utf16_len(s) > limit:
        cut, units = 0, 0
        for i, ch in enumerate(s):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                cut = i
                break
        newline = s.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline + 1
        pieces.append(s[:cut])
        s = s[cut:]
    pieces.append(s)
    return [p for p in pieces if p] or [""]


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _fix_quick_reply(qr: dict) -> dict | None:
    items = []
    for item in qr.get("items", []):
        act = dict(item.get("action", {}))
        if act.get("type") == "postback" and len(act.get("data", "")) > POSTBACK_DATA_MAX:
            log.error("dropped a quick reply whose postback data is over %d", POSTBACK_DATA_MAX)
            continue
        label = act.get("label") or ""
        if len(label) > QUICK_LABEL_MAX:
            if act.get("type") == "postback" and not act.get("displayText") and not act.get("text"):
                act["displayText"] = label[:300]
            act["label"] = _shorten(label, QUICK_LABEL_MAX)
        items.append({**item, "action": act})
    if len(items) > QUICK_REPLY_MAX:
        log.warning("quick reply cut from %d to %d items", len(items), QUICK_REPLY_MAX)
        items = items[:QUICK_REPLY_MAX]
    return {"items": items} if items else None


def fit_one(message: dict) -> list[dict]:
    """One message as one or more messages that LINE accepts."""
    message = dict(message)
    qr = message.pop("quickReply", None)
    out: list[dict]
    if message.get("type") == "text" and utf16_len(message.get("text", "")) > TEXT_MAX_UTF16:
        out = [{**message, "text": piece} for piece in split_text(message["text"])]
        for extra in out[1:]:  # emojis refer to positions in the original text only
            extra.pop("emojis", None)
    else:
        out = [message]
    for m in out:
        if "altText" in m and len(m["altText"]) > ALT_TEXT_MAX:
            m["altText"] = _shorten(m["altText"], ALT_TEXT_MAX)
    if qr:
        fixed = _fix_quick_reply(qr)
        if fixed:
            out[-1]["quickReply"] = fixed
    return out


def wire(value):
    """An SDK model as LINE's JSON (aliases, no nulls) in one pass.

    Same result as the SDK's ``to_dict()``, which converts every nested model again at each
    level and cost more than the rest of a webhook event.
    """
    fields = getattr(value, "__fields__", None)
    if fields is not None:
        out = {}
        for name, field in fields.items():
            item = getattr(value, name)
            if item is not None:
                out[field.alias] = wire(item)
        return out
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    return value


def as_dicts(messages: list[Message | dict]) -> list[dict]:
    """SDK message objects or dicts, as dicts in LINE's wire format."""
    return [m if isinstance(m, dict) else wire(m) for m in messages]


def fit(messages: list[Message | dict]) -> list[dict]:
    """All messages, each within LINE's limits (the count may exceed 5: see batches)."""
    out: list[dict] = []
    for m in as_dicts(messages):
        out.extend(fit_one(m))
    return out


def _mergeable(a: dict, b: dict) -> bool:
    return (
        a.get("type") == b.get("type") == "text"
        and "quickReply" not in a
        and not a.get("emojis")
        and not b.get("emojis")
        and utf16_len(a["text"]) + utf16_len(b["text"]) + 2 <= TEXT_MAX_UTF16
    )


def squeeze(messages: list[dict], limit: int = MAX_MESSAGES) -> list[dict]:
    """At most `limit` messages for a single reply: plain texts are merged, the last is kept."""
    out = [dict(m) for m in messages]
    i = 0
    while len(out) > limit and i < len(out) - 1:
        if _mergeable(out[i], out[i + 1]):
            nxt = out.pop(i + 1)
            out[i]["text"] += "\n\n" + nxt["text"]
            if "quickReply" in nxt:
                out[i]["quickReply"] = nxt["quickReply"]
        else:
            i += 1
    if len(out) > limit:
        log.warning("reply cut from %d to %d messages", len(out), limit)
        out = [*out[: limit - 1], out[-1]]
    return out


def batches(messages: list[dict], size: int = MAX_MESSAGES) -> list[list[dict]]:
    """Messages in requests of at most five."""
    return [messages[i : i + size] for i in range(0, len(messages), size)] or [[]]
