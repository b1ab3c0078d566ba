"""The least a bot can do and keep the webhook's guarantees: the benchmark's floor.

Built from the app's own parts (settings, engine, statements, gateway, menu), without
handlers or an ORM session. Per event, in one transaction: store its webhookEventId as done
(a redelivery has no effect), lock the resident's row and note them seen (a first-time
resident is stored); after COMMIT, reply with the menu. ``bench/webhook.py`` serves it
beside the app and the echo bot, so the report tells how much of the gap to the echo bot
the guarantees themselves cost on this machine, and how much our handlers add.

Serve it like the app, on a migrated database: ``gunicorn … bench.floor_bot:app``.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from flask import Flask, abort, request
from linebot.v3.webhook import SignatureValidator
from sqlalchemy import insert

from bot.config import load_settings
from bot.inbox import _SEEN, RESIDENTS, parse_event
from bot.line_gateway import LineGateway
from db.session import make_engine
from db.webhook_queue import INSERT_ONE
from db.webhook_queue import row as event_row
from messages import common
from messages.catalog import t

settings = load_settings()
engine = make_engine(settings.database_url)
gateway = LineGateway(settings)
validator = SignatureValidator(settings.line_channel_secret)
store_event = INSERT_ONE[engine.dialect.name]
app = Flask(__name__)


def _effect(raw: dict, user_id: str | None, now: datetime) -> str | None:
    """Store the event as done, note its resident seen; their language (None: seen before)."""
    row = event_row(raw, now)
    if row is None:
        return None
    row.update(status="done", processed_at=now, payload=None, sender=None)
    with engine.begin() as conn:
        if conn.execute(store_event, row).first() is None:
            return None  # a redelivery: its effect is already stored
        if not user_id:
            return "ja"
        resident = conn.execute(_SEEN, {"seen_user": user_id, "seen_at": now}).first()
        if resident is None:
            times = {"created_at": now, "followed_at": now, "last_seen_at": now}
            conn.execute(insert(RESIDENTS), {"line_user_id": user_id, **times})
            return "ja"
        return resident.language


@app.post("/callback")
def callback():
    """Verify, then one transaction and one reply per event."""
    body = request.get_data(as_text=True)
    if not validator.validate(body, request.headers.get("x-line-signature", "")):
        abort(400)
    for raw in json.loads(body)["events"]:
        event = parse_event(raw)
        user_id = getattr(getattr(event, "source", None), "user_id", None)
        lang = _effect(raw, user_id, datetime.now(UTC))
        token = getattr(event, "reply_token", None)
        if lang and token:
            gateway.reply(token, [common.with_menu(lang, t(lang, "fallback.unknown"))])
    return "OK"
