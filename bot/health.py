"""GET /healthz: 200 when the database answers and is migrated to the newest revision."""

from __future__ import annotations

from functools import cache

from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from db import migrate

bp = Blueprint("health", __name__)


@cache
def _heads() -> frozenset[str]:
    return frozenset(ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads())


@bp.get("/healthz")
def healthz():
    """A small JSON: database reachable and migrated, demo mode or not."""
    state = current_app.extensions["machikoe"]
    try:
        with state.engine.connect() as conn:
            versions = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable or not migrated"), 503
    if versions != _heads():
        return jsonify(status="error", database="needs `flask --app wsgi db upgrade`"), 503
    return jsonify(status="ok", database="ok", demo=state.settings.demo_mode)
