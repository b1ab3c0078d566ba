"""Alembic environment: the app's metadata and the URL from Settings."""

from alembic import context
from sqlalchemy import pool

from db.models import metadata
from db.session import make_engine

config = context.config
target_metadata = metadata()  # every table, the area modules' too


def run_migrations_online() -> None:
    """Run migrations against the configured database (batch mode for SQLite)."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `flask --app wsgi db upgrade`")
run_migrations_online()
