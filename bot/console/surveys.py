"""Surveys: list, upload, open and close, preview, results, exports."""

from __future__ import annotations

from flask import render_template

from bot.console.base import bp


def summary(session) -> list[dict] | None:
    """Open surveys and their responses for the dashboard (None until surveys exist)."""
    return None


@bp.get("/surveys")
def surveys():
    """The surveys."""
    return render_template(
        "console/pending.html", title="アンケート", cli="flask --app wsgi surveys list"
    )
