"""Attacks on the simulator, as scripts: each should fail.

With a real LINE channel the app refuses to start with the simulator on. In demo mode a
POST needs this browser session's own token and a same-origin Origin or Referer, and
signed events go to this server's own /callback whatever ``Host:`` says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from bot.config import SettingsError, load_settings
from bot.simulator import views
from db.models import WebhookEvent
from tests.test_simulator_browser import live  # noqa: F401  (the demo served on loopback)

ROOT = Path(__file__).resolve().parents[1]
CONFIG_RE = re.compile(r'id="sim-config"[^>]*>(.*?)</script>')


@pytest.fixture
def settings(settings):
    """The test settings with the simulator enabled."""
    return settings.but(simulator_enabled=True)


@pytest.fixture
def sim(app, fake_line):
    return views.install(app, fake_line)


def page_token(client) -> str:
    """The token the simulator page hands this browser session."""
    html = client.get("/simulator").get_data(as_text=True)
    return json.loads(CONFIG_RE.search(html).group(1))["csrf"]


# --- a real channel: no simulator -----------------------------------------------------------

REAL = {"LINE_CHANNEL_SECRET": "s" * 32, "LINE_CHANNEL_ACCESS_TOKEN": "t", "SECRET_KEY": "k"}


@pytest.mark.parametrize("flag", ["1", "true", "yes", "on"])
def test_a_real_channel_with_the_simulator_is_refused(flag):
    with pytest.raises(SettingsError, match=r"SIMULATOR_ENABLED.*real channel secret"):
        load_settings({**REAL, "SIMULATOR_ENABLED": flag})


def test_a_real_channel_without_the_simulator_starts_and_demo_keeps_it():
    assert not load_settings({**REAL, "SIMULATOR_ENABLED": "0"}).simulator_enabled
    assert not load_settings(REAL).simulator_enabled
    assert load_settings({}).simulator_enabled  # demo mode: on
    assert not load_settings({"SIMULATOR_ENABLED": "0"}).simulator_enabled


def test_the_app_does_not_start(tmp_path):
    """gunicorn/flask import wsgi:app: it stops with the message, before serving anything."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "SIMULATOR"))},
        **REAL,
        "SIMULATOR_ENABLED": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    run = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode != 0
    assert "SettingsError" in run.stderr and "Unset SIMULATOR_ENABLED" in run.stderr
    assert not (tmp_path / "x.db").exists()  # nothing was opened


# --- demo mode: the token is this session's ---------------------------------------------------


def test_each_browser_gets_its_own_token(app, sim):
    alice, mallory = app.test_client(), app.test_client()
    token_a, token_m = page_token(alice), page_token(mallory)
    assert token_a != token_m
    assert page_token(alice) == token_a  # stable within the session
    body = {"name": "x", "language": "ja"}
    origin = {"Origin": "http://localhost"}
    # Mallory's own session with Alice's token, and Alice's with Mallory's: refused
    for client, token in ((mallory, token_a), (alice, token_m)):
        got = client.post(
            "/simulator/api/residents", json=body, headers={"X-CSRF-Token": token, **origin}
        )
        assert got.status_code == 403
    assert sim.fake.profiles == {}
    ok = alice.post(
        "/simulator/api/residents", json=body, headers={"X-CSRF-Token": token_a, **origin}
    )
    assert ok.status_code == 200


def test_the_old_fixed_token_no_longer_works(app, sim, settings):
    fixed = hmac.new(
        settings.secret_key.encode(), b"machikoe-simulator-csrf", hashlib.sha256
    ).hexdigest()[:40]
    client = app.test_client()
    page_token(client)
    got = client.post(
        "/simulator/api/residents",
        json={"name": "x"},
        headers={"X-CSRF-Token": fixed, "Origin": "http://localhost"},
    )
    assert got.status_code == 403 and sim.fake.profiles == {}
    fresh = app.test_client()  # no session at all: no token can match
    got = fresh.post(
        "/simulator/api/residents",
        json={"name": "x"},
        headers={"X-CSRF-Token": "", "Origin": "http://localhost"},
    )
    assert got.status_code == 403


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),  # neither Origin nor Referer
        ({"Origin": "null"}, 403),  # a sandboxed frame or a file
        ({"Origin": "http://evil.example"}, 403),
        ({"Referer": "http://evil.example/simulator"}, 403),
        ({"Origin": "https://localhost"}, 403),  # another scheme is another origin
        ({"Referer": "http://localhost/simulator"}, 200),
        ({"Origin": "http://localhost"}, 200),
    ],
)
def test_state_changes_need_a_same_origin_header(app, sim, headers, status):
    client = app.test_client()
    token = page_token(client)
    got = client.post(
        "/simulator/api/residents",
        json={"name": "x", "language": "ja"},
        headers={"X-CSRF-Token": token, **headers},
    )
    assert got.status_code == status, got.json
    assert bool(sim.fake.profiles) == (status == 200)


def test_a_test_client_has_no_socket_so_no_http_target(app):
    with app.test_request_context():
        from flask import request

        assert views.callback_url(request.environ) is None


# --- a forged Host never chooses where signed bodies go ---------------------------------------


class Listener:
    """An attacker's server on another loopback port: records every connection it gets."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.got: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    self.got.append(conn.recv(65536))
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()


def test_a_forged_host_does_not_redirect_signed_webhooks(live, caplog):  # noqa: F811
    attacker = Listener()
    try:
        evil = f"127.0.0.1:{attacker.port}"
        http = requests.Session()
        html = http.get(live.url + "/simulator", timeout=10).text
        token = json.loads(CONFIG_RE.search(html).group(1))["csrf"]
        # a script (no browser) can make Host and Origin agree; that must not matter
        forged = {"X-CSRF-Token": token, "Host": evil, "Origin": f"http://{evil}"}
        uid = http.post(
            live.url + "/simulator/api/residents",
            json={"name": "Mallory", "language": "ja"},
            headers=forged,
            timeout=10,
        ).json()["resident"]["id"]
        got = http.post(
            live.url + "/simulator/api/send",
            json={"user": uid, "kind": "follow"},
            headers=forged,
            timeout=30,
        )
        assert got.status_code == 200 and got.json()["status"] == 200
    finally:
        attacker.close()
    assert attacker.got == []  # nothing signed reached the attacker's address
    with live.state.sessions() as s:
        events = s.scalars(select(WebhookEvent.event_id)).all()
    assert got.json()["event"]["webhookEventId"] in events  # our own /callback had it
    assert "unreachable" not in caplog.text  # over HTTP to this server, not a fallback
