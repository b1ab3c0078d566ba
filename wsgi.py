"""Entry point for gunicorn and the flask CLI: `wsgi:app`."""

from bot import create_app

app = create_app()
