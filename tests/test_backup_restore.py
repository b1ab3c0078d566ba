"""Backups: pg_dump → restore into an empty database → the app serves the same data.

The commands are the ones docs/operations.md ("Backups and restore") gives the operator.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from bot import create_app
from bot.state import build_state
from tests.test_console import Console, make_staff

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),  # pg_dump is PostgreSQL's
]


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI")
        pytest.skip(f"{name} is not installed; CI runs this test")
    return found


def _new_database(server_url: str) -> str:
    name = f"restore_{uuid.uuid4().hex[:10]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _libpq(url: str) -> list[str]:
    """pg_dump/pg_restore connection options for a SQLAlchemy URL."""
    u = make_url(url)
    return ["-h", u.host or "127.0.0.1", "-p", str(u.port or 5432), "-U", u.username or "postgres"]


def _contents(url: str) -> dict[str, list]:
    """Every table's rows, sorted, so two databases can be compared whole."""
    engine = create_engine(url)
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        out = {
            t: sorted(map(repr, conn.execute(text(f'SELECT * FROM "{t}"')).all())) for t in tables
        }
    engine.dispose()
    return out


def test_a_dump_restored_into_an_empty_database_serves_the_same_data(
    pg_url, settings, fake_line, resident, app
):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    # some of everything: content (applied by the fixture), a resident with a profile, staff
    someone = resident(1)
    someone.follow()
    someone.tap("同意する")
    make_staff(app, "kikaku@town.example.jp", "admin")
    source = settings.database_url
    dump = f"/tmp/machikoe-{uuid.uuid4().hex}.dump"
    try:
        subprocess.run(
            [
                pg_dump,
                *_libpq(source),
                "--format=custom",
                "--no-owner",
                "-f",
                dump,
                make_url(source).database,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
        target = _new_database(pg_url)
        subprocess.run(
            [
                pg_restore,
                *_libpq(target),
                "--no-owner",
                "--exit-on-error",
                "-d",
                make_url(target).database,
                dump,
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    finally:
        if os.path.exists(dump):
            os.remove(dump)
    assert _contents(target) == _contents(source)
    restored = build_state(settings.but(database_url=target))
    try:
        served = create_app(state=restored)
        client = served.test_client()
        assert client.get("/healthz").get_json()["status"] == "ok"
        staff = Console(served, client)
        assert staff.login("kikaku@town.example.jp").status_code == 302  # the password hash too
        page = staff.get("/admin/").get_data(as_text=True)
        assert "kikaku@town.example.jp" in page
    finally:
        restored.engine.dispose()
