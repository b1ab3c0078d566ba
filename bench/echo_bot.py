"""The simplest stateless LINE bot: verify, parse, reply. The benchmark's baseline.

Serve it exactly like the app (``gunicorn … bench.echo_bot:app`` from the project root);
it reads LINE_CHANNEL_SECRET, LINE_CHANNEL_ACCESS_TOKEN and LINE_API_BASE_URL. A text
message is echoed; any other event with a reply token gets one short text, so every event
the benchmark sends costs both bots one verified, parsed webhook and one reply.
"""

from __future__ import annotations

import os

from flask import Flask, abort, request
from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    ReplyMessageRequest,
    TextMessage,
)
from linebot.v3.webhooks import MessageEvent, TextMessageContent

TIMEOUT = (2.0, 5.0)  # the same (connect, read) timeouts as bot/line_gateway.py

app = Flask(__name__)
parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
_api: tuple[int, MessagingApi] | None = None


def api() -> MessagingApi:
    """One client per process, created after gunicorn forks."""
    global _api
    if _api is None or _api[0] != os.getpid():
        config = Configuration(
            host=os.environ.get("LINE_API_BASE_URL", "https://api.line.me"),
            access_token=os.environ["LINE_CHANNEL_ACCESS_TOKEN"],
        )
        _api = (os.getpid(), MessagingApi(ApiClient(config)))
    return _api[1]


@app.post("/callback")
def callback():
    """Echo each text; answer other events with their type."""
    signature = request.headers.get("x-line-signature", "")
    body = request.get_data(as_text=True)
    try:
        events = parser.parse(body, signature)
    except InvalidSignatureError:
        abort(400)
    for event in events:
        token = getattr(event, "reply_token", None)
        if not token:
            continue
        if isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent):
            words = event.message.text
        else:
            words = f"({event.type})"
        api().reply_message(
            ReplyMessageRequest(reply_token=token, messages=[TextMessage(text=words)]),
            _request_timeout=TIMEOUT,
        )
    return "OK"
