"""Persistence: models, queries, migrations and the session."""
