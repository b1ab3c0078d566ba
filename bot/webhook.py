"""POST /callback: verify, store the batch as pending in one statement, answer 200, wake the pool.

Processing is outside the request (bot/inbox.drain, run by bot/event_pool).
"""

from __future__ import annotations

import json
import logging
import re

from flask import Blueprint, current_app, jsonify, request
from linebot.v3.webhook import SignatureValidator

from bot import event_pool, inbox

log = logging.getLogger(__name__)
bp = Blueprint("webhook", __name__)


MAX_DEPTH = 32  # LINE's events nest about 6 deep (events → message → mention → mentionees)
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[{\]}]')


def _too_deep(text: str) -> bool:
    """Whether lists and objects nest deeper than MAX_DEPTH (strings skipped), before parsing."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:  # the usual body: cannot be too deep
        return False
    depth = 0
    for m in _BRACKETS.finditer(text):
        c = m.group()
        if c in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif c in "]}":
            depth -= 1
    return False


def _refuse(status: int, message: str):
    log.warning("webhook refused: %s", message)
    return jsonify(error=message), status


@bp.post("/callback")
def callback():
    """The LINE webhook: 200 once every event is stored; the pool processes them after."""
    state = current_app.extensions["machikoe"]
    limit = state.settings.max_body_bytes
    if (request.content_length or 0) > limit:
        return _refuse(413, "body too large")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        return _refuse(413, "body too large")
    signature = request.headers.get("x-line-signature", "")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(400, "body is not UTF-8")
    if not signature or not SignatureValidator(state.settings.line_channel_secret).validate(
        text, signature
    ):
        return _refuse(400, "missing or invalid signature")
    if _too_deep(text):
        return _refuse(400, "JSON nested too deeply")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        return _refuse(400, "malformed JSON")
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        return _refuse(400, "no events list")
    new = inbox.store(state, payload["events"])
    log.debug("webhook: %d events, %d new", len(payload["events"]), len(new))
    if new:
        event_pool.wake(state)  # after the commit; the answer does not wait for it
    return jsonify(ok=True), 200
