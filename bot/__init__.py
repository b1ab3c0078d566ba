"""The Flask app factory."""

from __future__ import annotations

import logging

from flask import Flask

from bot.config import INSTANCE, Settings, load_settings
from bot.state import AppState, build_state


def create_app(settings: Settings | None = None, state: AppState | None = None) -> Flask:
    """Build the app: settings once, one database engine, one LINE gateway per process."""
    settings = settings or (state.settings if state else load_settings())
    app = Flask(__name__, instance_path=str(INSTANCE))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=None,  # the webhook enforces its own 1 MB limit (413)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.demo_mode,
    )
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
    app.extensions["machikoe"] = state or build_state(settings)

    import handlers.flows  # noqa: F401  (registers every flow and keyword)
    from bot import calendar, cli, console, health, web_survey, webhook

    for blueprint in (webhook.bp, health.bp, calendar.bp, console.bp, web_survey.bp):
        app.register_blueprint(blueprint)
    if settings.simulator_enabled:
        from bot.simulator import views as simulator

        app.register_blueprint(simulator.bp)
    cli.register(app)
    return app
