"""The benchmark's reference bots do what bench/webhook.py says they do."""

from __future__ import annotations

import importlib
import sys

import pytest
from sqlalchemy import create_engine, text

from tests import line


def _load(module: str, monkeypatch, line_server, db_url: str = "sqlite://"):
    """Import a bench bot afresh, configured by the environment as gunicorn would do."""
    monkeypatch.setenv("LINE_CHANNEL_SECRET", line.SECRET)
    monkeypatch.setenv("LINE_CHANNEL_ACCESS_TOKEN", "test-token")
    monkeypatch.setenv("LINE_API_BASE_URL", line_server.url)
    monkeypatch.setenv("LINE_DATA_API_BASE_URL", line_server.url)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("SIMULATOR_ENABLED", "0")
    sys.modules.pop(module, None)
    return importlib.import_module(module).app.test_client()


def test_floor_bot_stores_each_event_once_and_replies_with_the_menu(
    db_url, fake_line, line_server, monkeypatch
):
    client = _load("bench.floor_bot", monkeypatch, line_server, db_url)
    uid = line.user_id("floor")
    fake_line.add_user(uid)
    event = line.text(uid, "こんにちは", fake_line.issue_reply_token(uid))
    body = line.payload(event)
    assert line.post(client, body).status_code == 200
    assert line.post(client, body).status_code == 200  # a redelivery: no effect, no reply
    assert line.post(client, body, signature="forged").status_code == 400
    engine = create_engine(db_url)
    with engine.connect() as conn:
        events = conn.execute(text("SELECT status, payload FROM webhook_events")).all()
        residents = conn.execute(text("SELECT line_user_id FROM residents")).scalars().all()
    engine.dispose()
    assert events == [("done", None)]
    assert residents == [uid]
    [batch] = fake_line.batches_for(uid)
    assert len(batch.messages) == 1
    assert len(batch.messages[0]["quickReply"]["items"]) == 8  # the menu


def test_echo_bot_echoes_text(fake_line, line_server, monkeypatch):
    client = _load("bench.echo_bot", monkeypatch, line_server)
    uid = line.user_id("echo")
    fake_line.add_user(uid)
    body = line.payload(line.text(uid, "こんにちは", fake_line.issue_reply_token(uid)))
    assert line.post(client, body).status_code == 200
    assert fake_line.texts_for(uid) == ["こんにちは"]
    assert line.post(client, body, signature="forged").status_code == 400


@pytest.fixture(autouse=True)
def _forget_bench_modules():
    """The bots read the environment on import: no later test sees this one's."""
    yield
    for name in ("bench.floor_bot", "bench.echo_bot"):
        sys.modules.pop(name, None)
