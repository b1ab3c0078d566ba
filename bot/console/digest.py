"""The weekly digest as a console page: the same sections as the e-mail, for every role."""

from __future__ import annotations

import base64
from datetime import date, timedelta

from flask import abort, render_template, request

from bot import digest as digest_job
from bot.console.base import bp, now, state
from handlers.digest import Period


@bp.get("/digest")
def digest():
    """The digest for the seven days before ?day= (the digest's day; default today, JST)."""
    tz = state().settings.tz
    today = now().astimezone(tz).date()
    raw = request.args.get("day", "")
    try:
        day = date.fromisoformat(raw) if raw else today
    except ValueError:
        abort(404)
    if day > today + timedelta(days=1) or day.year < 2000:
        abort(404)
    made = digest_job.compose(state(), Period.ending(day, tz), words="stored")  # no analyser
    png = "data:image/png;base64,"
    images = {c.cid: png + base64.b64encode(c.png).decode() for c in made.charts}
    return render_template(
        "console/digest.html",
        digest=made,
        images=images,
        day=day,
        previous=day - timedelta(days=7),
        following=day + timedelta(days=7) if day + timedelta(days=7) <= today else None,
    )
