"""Announcements: compose, segment, preview, send or schedule, progress, history."""

from __future__ import annotations

from flask import render_template

from bot.console.base import bp


def summary(session) -> list[dict] | None:
    """Scheduled announcements for the dashboard (None until announcements exist)."""
    return None


@bp.get("/announcements")
def announcements():
    """The announcements."""
    return render_template(
        "console/pending.html", title="お知らせ配信", cli="flask --app wsgi broadcast send --help"
    )
