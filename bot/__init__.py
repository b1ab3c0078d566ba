"""The Flask app factory."""

from __future__ import annotations

import logging

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import errors, logs, metrics
from bot.config import INSTANCE, Settings, load_settings
from bot.state import AppState, build_state
from db import anonymous_pool


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
    logs.configure(settings.log_level, settings.log_format)
    errors.start(settings)
    logs.install_request_ids(app)
    metrics.install(app)
    if settings.trusted_proxies:  # the client's address and scheme from the town's proxy
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]  # Flask's way to wrap it
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # start-up noise
    app.extensions["machikoe"] = state or build_state(settings)
    anonymous_pool.configure(settings.secret_key)  # seals anonymous answers while pooled

    from handlers import registry

    registry.load()  # every keyword, action, pattern and flow, from the listed areas
    from bot import calendar, cli, console, health, public_pages, web_survey, webhook

    blueprints = (webhook.bp, health.bp, calendar.bp, console.bp, web_survey.bp, public_pages.bp)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    if settings.simulator_enabled:
        from bot.simulator import views as simulator

        app.register_blueprint(simulator.bp)
    cli.register(app)

    @app.after_request
    def _hsts(response):
        """Browsers keep to HTTPS once they have seen the app over it (docs/security.md)."""
        if request.is_secure or settings.public_base_url.startswith("https://"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response

    return app
