"""GET /healthz: 200 when the database answers and is migrated; the webhook backlog."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import event_pool, inbox
from db import migrate

bp = Blueprint("health", __name__)


@cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())


@bp.get("/healthz")
def healthz():
    """A small JSON: database reachable and migrated, demo mode or not, events waiting.

    A backlog does not make it fail: taking the instance away would only make it worse.
    """
    state = current_app.extensions["machikoe"]
    try:
        with state.engine.connect() as conn:
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable or not migrated"), 503
    if versions != _heads():
        return jsonify(status="error", database="needs `flask --app wsgi db upgrade`"), 503
    try:
        backlog = event_pool.backlog(state)
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    inbox.watch_backlog(state, backlog)
    return jsonify(
        status="ok",
        database="ok",
        demo=state.settings.demo_mode,
        backlog={"pending": backlog.pending, "oldest_seconds": round(backlog.oldest_seconds, 1)},
    )
