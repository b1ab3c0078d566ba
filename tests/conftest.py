"""Fixtures: the app on SQLite and PostgreSQL, a fake LINE, residents who talk."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import create_app
from bot.config import Settings
from bot.simulator.line_api import FakeLineServer
from bot.state import build_state
from db import migrate, models
from tests import line
from tests.pg import PgServer

ROOT = Path(__file__).resolve().parents[1]
TOWN = ROOT / "content" / "demo" / "town.yml"
ARTIFACTS = ROOT / "test-artifacts"


# --- databases -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pg_url():
    """A PostgreSQL server for the session: MACHIKOE_PG_URL, or a throwaway one."""
    url = os.environ.get("MACHIKOE_PG_URL")
    if url:
        yield url
        return
    try:
        server = PgServer().start()
    except Exception as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available ({exc}); CI runs this pass")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def pg_migrated(pg_url):
    """The PostgreSQL test database, migrated once."""
    migrate.upgrade(pg_url)
    return pg_url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template):
    """Every database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("pg_migrated")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    tables = ", ".join(t.name for t in models.metadata().sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


# --- LINE -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def line_server():
    """The fake Messaging API, served on loopback for the whole session."""
    server = FakeLineServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_line(line_server):
    """The fake, emptied before each test; a test fails if LINE would have refused a request."""
    assert line_server.serving, f"the fake LINE API stopped serving: {line_server.crashed!r}"
    fake = line_server.fake
    fake.reset()
    yield fake
    assert not fake.violations, f"requests LINE would refuse: {fake.violations}"


# --- the app -----------------------------------------------------------------------------


class Clock:
    """A clock tests can hold still or move."""

    def __init__(self, now: datetime | None = None) -> None:
        self.fixed = now

    def __call__(self) -> datetime:
        return self.fixed or datetime.now(UTC)


@pytest.fixture
def settings(db_url, line_server):
    """Settings for a real channel, pointed at the fake LINE and the test database."""
    return Settings(
        line_channel_secret=line.SECRET,
        line_channel_access_token="test-token",
        line_api_base_url=line_server.url,
        line_data_api_base_url=line_server.url,
        database_url=db_url,
        secret_key="test-secret-key",
        simulator_enabled=False,
        demo_mode=False,
        line_timeout=(2.0, 4.0),  # generous: a loaded CI machine must not time out a reply
        inbox_threads=0,  # no pool threads: tests.line.post drains in the test's own thread
    )


@pytest.fixture
def state(settings):
    """The app state with a fast-retrying gateway and a controllable clock."""
    st = build_state(settings)
    st.gateway.backoff = 0.01
    st.gateway.max_backoff = 0.05
    st.clock = Clock()
    yield st
    st.engine.dispose()


@pytest.fixture
def app(state, fake_line):
    """The Flask app with the demo town applied."""
    application = create_app(state=state)
    application.config["TESTING"] = True
    result = application.test_cli_runner().invoke(args=["content", "apply", str(TOWN)])
    assert result.exit_code == 0, result.output
    return application


@pytest.fixture
def client(app):
    """The test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """The CLI runner."""
    return app.test_cli_runner()


# --- residents that talk -------------------------------------------------------------------


class Resident:
    """A pretend resident who follows, types and taps, and reads what the bot sent."""

    def __init__(self, client, fake, uid: str, language: str = "ja") -> None:
        self.client, self.fake, self.id = client, fake, uid
        fake.profiles[uid] = {"userId": uid, "displayName": "テスト", "language": language}
        self.inbox: list[dict] = []
        self._seen = 0

    def _send(self, event: dict) -> list[dict]:
        response = line.post(self.client, line.payload(event))
        assert response.status_code == 200, response.data
        return self.news()

    def news(self) -> list[dict]:
        """Messages delivered to this resident since last asked."""
        got = self.fake.messages_for(self.id)
        new = got[self._seen :]
        self._seen = len(got)
        self.inbox.extend(new)
        return new

    def token(self) -> str:
        """A fresh reply token issued by the fake."""
        return self.fake.issue_reply_token(self.id)

    def follow(self, unblocked: bool = False) -> list[dict]:
        """Add the account as a friend (or unblock it)."""
        return self._send(line.follow(self.id, self.token(), unblocked))

    def unfollow(self) -> list[dict]:
        """Block the account."""
        return self._send(line.unfollow(self.id))

    def say(self, words: str) -> list[dict]:
        """Type a message."""
        return self._send(line.text(self.id, words, self.token()))

    def postback(self, data: str, params: dict | None = None) -> list[dict]:
        """Send postback data directly (e.g. a stale or forged button)."""
        return self._send(line.postback(self.id, data, self.token(), params))

    def buttons(self, messages: list[dict] | None = None) -> dict[str, dict]:
        """label/displayText → action, for the buttons in the given (or last) messages."""
        found: dict[str, dict] = {}
        for message in reversed(messages if messages is not None else self.inbox[-5:]):
            for action in line.actions(message):
                found.setdefault(action["label"], action)
                if action.get("displayText"):
                    found.setdefault(action["displayText"], action)
        return found

    def tap(self, label: str, messages: list[dict] | None = None) -> list[dict]:
        """Tap the button with this label in the latest messages."""
        buttons = self.buttons(messages)
        assert label in buttons, f"no button {label!r}; have {sorted(buttons)}"
        action = buttons[label]
        if action["type"] == "message":
            return self.say(action["text"])
        assert action["type"] == "postback", action
        return self.postback(action["data"])

    def texts(self, messages: list[dict]) -> str:
        """All text (and alt text) of messages, joined, for assertions."""
        out = []
        for m in messages:
            out.append(m.get("text") or m.get("altText") or "")
            if m.get("type") == "flex":
                out.extend(_flex_texts(m["contents"]))
        return "\n".join(out)


def _flex_texts(node) -> list[str]:
    if isinstance(node, dict):
        found = [node["text"]] if node.get("type") == "text" and "text" in node else []
        for v in node.values():
            found.extend(_flex_texts(v))
        return found
    if isinstance(node, list):
        return [t for v in node for t in _flex_texts(v)]
    return []


@pytest.fixture
def resident(client, fake_line):
    """A factory of residents: resident(n, language='ja')."""

    def make(n: int | str = 1, language: str = "ja") -> Resident:
        return Resident(client, fake_line, line.user_id(n), language)

    return make


@pytest.fixture(scope="session")
def artifacts():
    """A folder for screenshots and other test artifacts."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
