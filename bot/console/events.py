"""Events: list, create and edit, attendees, check-in, exports."""

from __future__ import annotations

from flask import render_template

from bot.console.base import bp


def summary(session) -> list[dict] | None:
    """Upcoming events and seats for the dashboard (None until events exist)."""
    return None


@bp.get("/events")
def events():
    """The events."""
    return render_template(
        "console/pending.html", title="イベント", cli="flask --app wsgi content apply EVENT.yml"
    )
