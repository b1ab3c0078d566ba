"""/metrics for the operator's Prometheus, and Sentry reports that carry no resident's words."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from bot import create_app, errors
from tests import line

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "metrics-token-0123456789abcdef"
WORDS = "駅前の街灯が暗いです"


@pytest.fixture
def metered(state, fake_line):
    """The app with a metrics token set."""
    state.settings = state.settings.but(metrics_token=TOKEN)
    app = create_app(state=state)
    app.config["TESTING"] = True
    return app


def _scrape(client, token=TOKEN):
    return client.get("/metrics", headers={"Authorization": f"Bearer {token}"})


def test_metrics_are_off_without_a_token(app, client):
    assert client.get("/metrics").status_code == 404  # no METRICS_TOKEN: nothing to find


def test_metrics_are_refused_without_the_token(metered):
    other = metered.test_client()
    assert other.get("/metrics").status_code == 401
    assert _scrape(other, "wrong-token-0123456789abcdef").status_code == 401


def test_webhooks_replies_and_the_backlog_are_counted(metered, fake_line):
    client = metered.test_client()
    user = line.user_id("metrics")
    before = _scrape(client).get_data(as_text=True)
    event = line.text(user, WORDS, fake_line.issue_reply_token("m"))
    assert line.post(client, line.payload(event)).status_code == 200
    text = _scrape(client).get_data(as_text=True)
    assert _value(text, 'machikoe_webhook_requests_total{status="200"}') == 1 + _value(
        before, 'machikoe_webhook_requests_total{status="200"}'
    )
    assert _value(text, 'machikoe_line_calls_total{endpoint="reply",outcome="sent"}') >= 1
    assert _value(text, 'machikoe_webhook_events{status="done"}') >= 1
    assert _value(text, "machikoe_webhook_backlog_oldest_seconds") == 0
    assert user not in text and WORDS not in text


def _value(text: str, name: str) -> float:
    for row in text.splitlines():
        if row.startswith(name + " "):
            return float(row.split()[-1])
    return 0.0


def test_multiprocess_mode_sums_what_every_worker_counted(tmp_path, db_url):
    """Under gunicorn each worker writes its counts to PROMETHEUS_MULTIPROC_DIR."""
    script = f"""
import os
from bot import create_app
from bot.config import load_settings
from bot.metrics import count_line_call
app = create_app(load_settings({{**os.environ}}))
app.test_cli_runner().invoke(args=["db", "upgrade"])
count_line_call("push", "sent")
count_line_call("push", "sent")
client = app.test_client()
print(client.get("/metrics", headers={{"Authorization": "Bearer {TOKEN}"}}).get_data(as_text=True))
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
    counts = tmp_path / "prometheus"  # only prometheus_client's files: it reads every *.db
    counts.mkdir()
    env |= {
        "PROMETHEUS_MULTIPROC_DIR": str(counts),
        "METRICS_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'm.db'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _value(done.stdout, 'machikoe_line_calls_total{endpoint="push",outcome="sent"}') == 2
    assert list(counts.glob("counter_*.db"))  # the worker's own file


class _Sentry(BaseHTTPRequestHandler):
    """A stand-in for Sentry's ingest endpoint that keeps every envelope."""

    envelopes: ClassVar[list[bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        _Sentry.envelopes.append(body)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_args):
        pass


def test_an_error_reaches_sentry_without_words_cookies_or_query(state, fake_line):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://public@127.0.0.1:{server.server_port}/1"
    try:
        state.settings = state.settings.but(sentry_dsn=dsn)
        app = create_app(state=state)

        @app.post("/boom")
        def boom():
            raise ValueError(f"could not read {WORDS}")

        code = "K7QM-4T2X"
        response = app.test_client().post(
            f"/boom?code={code}", data={"text": WORDS}, headers={"Cookie": "session=secret"}
        )
        assert response.status_code == 500
        import sentry_sdk

        sentry_sdk.flush(timeout=5)
        sent = b"\n".join(_Sentry.envelopes).decode()
        assert "ValueError" in sent  # the error arrived, with its type and stack
        for private in (WORDS, code, "session=secret"):
            assert private not in sent
    finally:
        import sentry_sdk

        sentry_sdk.init()  # reporting off again for the rest of the tests
        errors._started = None
        server.shutdown()
        _Sentry.envelopes.clear()


def test_scrub_keeps_the_shape_and_drops_the_rest():
    event = {
        "request": {"method": "POST", "url": "https://t.example/s/x?code=AB", "data": WORDS},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": WORDS,
                    "stacktrace": {"frames": [{"function": "f", "vars": {"text": WORDS}}]},
                }
            ]
        },
        "user": {"ip_address": "203.0.113.9"},
        "extra": {"x": WORDS},
    }
    scrubbed = json.dumps(errors._scrub(event, {}), ensure_ascii=False)
    assert WORDS not in scrubbed and "code=AB" not in scrubbed and "203.0.113.9" not in scrubbed
    assert "ValueError" in scrubbed and "/s/x" in scrubbed
