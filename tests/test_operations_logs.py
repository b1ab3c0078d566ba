"""What an operator sees: JSON logs with ids, a request id on every request, the proxy setting."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot import create_app, logs
from bot.config import SettingsError, load_settings
from tests import line

WORDS = "駅前の街灯が暗いです"  # a resident's words: never in any log line


@pytest.fixture
def json_lines(state):
    """The app's own log handler in JSON mode, writing into a buffer we can read."""
    logs.configure("DEBUG", "json")
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_machikoe", False)]
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield lambda: [json.loads(x) for x in buffer.getvalue().splitlines() if x.strip()]
    logs.configure("INFO", "text")


def test_webhook_logs_are_json_with_request_ids_and_no_words(app, client, fake_line, json_lines):
    event = line.text(line.user_id("logs"), WORDS, fake_line.issue_reply_token("logs"))
    response = line.post(client, line.payload(event))
    assert response.status_code == 200
    request_id = response.headers["X-Request-Id"]
    records = json_lines()
    assert records, "DEBUG logs every webhook"
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)
    assert any(r.get("request_id") == request_id for r in records)
    assert WORDS not in json.dumps(records, ensure_ascii=False)


def test_a_safe_request_id_from_the_proxy_is_kept_and_a_bad_one_replaced(app, client):
    given = client.get("/healthz", headers={"X-Request-Id": "proxy-abc123XYZ"})
    assert given.headers["X-Request-Id"] == "proxy-abc123XYZ"
    for bad in ("short", "x" * 65, "has spaces and ; semicolons", "名前付きのID12345"):
        made = client.get("/healthz", headers={"X-Request-Id": bad}).headers["X-Request-Id"]
        assert made != bad and len(made) == 32 and made.isalnum()
    assert (
        client.get("/admin/login").headers["X-Request-Id"]
        != client.get("/admin/login").headers["X-Request-Id"]
    )


def test_text_format_adds_the_ids_at_the_end():
    record = logging.LogRecord("bot.x", logging.INFO, __file__, 1, "reply sent", None, None)
    record.request_id, record.webhook_event_id = "abc", "01HX"
    text = logs.TextFormatter().format(record)
    assert text.endswith("reply sent [request_id=abc webhook_event_id=01HX]")


def test_forwarded_scheme_counts_only_behind_a_trusted_proxy(state, fake_line):
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
    direct = create_app(state=state).test_client()
    assert "Strict-Transport-Security" not in direct.get("/healthz", headers=forwarded).headers
    behind = state.settings.but(trusted_proxies=1)
    proxied = create_app(settings=behind, state=state).test_client()
    assert "Strict-Transport-Security" in proxied.get("/healthz", headers=forwarded).headers


@pytest.mark.parametrize(
    ("name", "value"), [("LOG_FORMAT", "xml"), ("TRUSTED_PROXIES", "-1"), ("TRUSTED_PROXIES", "²")]
)
def test_bad_operations_settings_are_refused_with_a_clear_message(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})
