"""App settings staff change: the weekly digest's recipients and schedule (admin only)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from bot.console.base import actor, bp, db, now, require, state, write
from handlers import staff as staff_accounts
from handlers.digest import DAYS
from messages.digest import say
from messages.text import WEEKDAYS

DAY_NAMES = {day: say("day_name", weekday=w) for day, w in zip(DAYS, WEEKDAYS["ja"], strict=True)}


@bp.get("/settings")
@require("admin")
def settings():
    """The digest setting, as a form."""
    return render_template(
        "console/settings.html",
        digest=staff_accounts.digest_settings(db()),
        days=DAY_NAMES,
        env_emails=state().settings.digest_emails,
        smtp=bool(state().settings.smtp_url),
    )


@bp.post("/settings/digest")
@require("admin")
def settings_digest():
    """Save the digest recipients (one address a line) and the day and time it is sent."""
    form = request.form
    hour, _, minute = form.get("time", "09:00").partition(":")
    value = {
        "emails": form.get("emails", "").replace(",", "\n").splitlines(),
        "day_of_week": form.get("day_of_week", "mon"),
        "hour": hour,
        "minute": minute or "0",
    }
    try:
        with write() as s:
            staff_accounts.save_digest_settings(s, value, actor(), now())
    except staff_accounts.StaffError as exc:
        flash(str(exc), "error")
    else:
        flash(say("settings_saved"), "ok")
    return redirect(url_for("console.settings"))
