"""LINE's wire protocol for tests: events with every required field, signed for real."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import os
import time

SECRET = "test-channel-secret-0123456789abcdef"
BOT_ID = "U" + "0" * 32
_counter = itertools.count()


def event_id() -> str:
    """A fresh ULID-shaped webhookEventId (26 Crockford base32 characters)."""
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    n = int(time.time() * 1000) << 80 | next(_counter) << 40 | int.from_bytes(os.urandom(5))
    return "".join(alphabet[(n >> (5 * i)) & 31] for i in reversed(range(26)))


def user_id(n: int | str) -> str:
    """A LINE-shaped user id (U + 32 hex digits)."""
    return "U" + hashlib.md5(str(n).encode()).hexdigest()  # noqa: S324 - an id, not security


def sign(body: bytes, secret: str = SECRET) -> str:
    """The x-line-signature LINE would send: base64(HMAC-SHA256(secret, body))."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def base(kind: str, user: str | None, reply_token: str | None = None, **extra) -> dict:
    """The common fields of every event."""
    event = {
        "type": kind,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "webhookEventId": event_id(),
        "deliveryContext": {"isRedelivery": False},
    }
    if user is not None:
        event["source"] = {"type": "user", "userId": user}
    if reply_token is not None:
        event["replyToken"] = reply_token
    event.update(extra)
    return event


def text(user: str, words: str, reply_token: str) -> dict:
    """A text message event."""
    return base(
        "message",
        user,
        reply_token,
        message={
            "id": str(next(_counter) + 10**12),
            "type": "text",
            "text": words,
            "quoteToken": "q" + event_id(),
        },
    )


def sticker(user: str, reply_token: str) -> dict:
    """A sticker message event."""
    return base(
        "message",
        user,
        reply_token,
        message={
            "id": str(next(_counter) + 10**12),
            "type": "sticker",
            "packageId": "1",
            "stickerId": "1",
            "stickerResourceType": "STATIC",
            "quoteToken": "q" + event_id(),
        },
    )


def follow(user: str, reply_token: str, unblocked: bool = False) -> dict:
    """A follow (friend added, or unblocked) event."""
    return base("follow", user, reply_token, follow={"isUnblocked": unblocked})


def unfollow(user: str) -> dict:
    """An unfollow (blocked) event: no reply token."""
    return base("unfollow", user)


def postback(user: str, data: str, reply_token: str, params: dict | None = None) -> dict:
    """A postback event (a tapped button)."""
    pb: dict = {"data": data}
    if params:
        pb["params"] = params
    return base("postback", user, reply_token, postback=pb)


def payload(*events: dict) -> bytes:
    """A webhook body as LINE sends it."""
    return json.dumps({"destination": BOT_ID, "events": list(events)},
                      ensure_ascii=False).encode("utf-8")  # fmt: skip


def post(client, body: bytes, secret: str = SECRET, signature: str | None = None):
    """POST a body to /callback, signed like LINE unless a signature is given.

    After the answer, the queue is drained in this thread (tests run without pool
    threads), so replies can be asserted right after posting.
    """
    response = client.post(
        "/callback",
        data=body,
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "x-line-signature": sign(body, secret) if signature is None else signature,
        },
    )
    state = client.application.extensions.get("machikoe")
    if state is not None and response.status_code == 200:
        from bot import inbox

        inbox.drain(state)
    return response


ACTION_TYPES = frozenset({"postback", "message", "uri", "datetimepicker"})


def actions(node, types=ACTION_TYPES):
    """Every action object of these types inside a message (quick replies, Flex, templates)."""
    if isinstance(node, dict):
        if node.get("type") in types and "label" in node:
            yield node
        for value in node.values():
            yield from actions(value, types)
    elif isinstance(node, list):
        for value in node:
            yield from actions(value, types)


def process_env(settings, **extra: str) -> dict:
    """The environment for a child process (gunicorn, the CLI) of these test settings."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=settings.database_url,
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN="test-token",
        LINE_API_BASE_URL=settings.line_api_base_url,
        LINE_DATA_API_BASE_URL=settings.line_data_api_base_url,
        SECRET_KEY="test-secret-key",
        SIMULATOR_ENABLED="0",
        **extra,
    )
    return env
