"""Survey page: make answer codes for mailed letters and download them (CSV or PDF).

The codes are made, written to a file and audited (`survey.invitations`, the count only) in
one transaction; only their hashes are stored. Larger batches are for the command line.
"""

from __future__ import annotations

import io

from flask import abort, flash, redirect, request, send_file, url_for

from bot.console.base import actor, bp, db, now, require, state, write
from db import surveys as store
from db.survey_channels import invitation_counts
from handlers import invitation_letters as letters
from handlers import staff as staff_accounts
from messages.postback import ascii_int
from messages.survey_staff import word

CONSOLE_MAX = {"csv": 10_000, "pdf": 1_000}
MIME = {"csv": "text/csv; charset=utf-8", "pdf": "application/pdf"}


@bp.app_template_global("invitation_counts")
def _counts(survey_id: str) -> dict[str, int]:
    """Issued and used codes of a survey, for its page."""
    return invitation_counts(db(), survey_id)


@bp.app_template_global("invitation_limits")
def _limits() -> dict[str, int]:
    return CONSOLE_MAX


@bp.post("/surveys/<survey_id>/invitations")
@require("editor")
def survey_invitations(survey_id: str):
    """N new codes as a mail-merge CSV or A4 letters (PDF)."""
    if store.get_survey(db(), survey_id) is None:
        abort(404)
    back = redirect(url_for("console.survey", survey_id=survey_id) + "#invitations")
    fmt = request.form.get("format", "")
    if fmt not in letters.FORMATS:
        flash(word("letters.format"), "error")
        return back
    raw = request.form.get("count", "").strip()
    limit = CONSOLE_MAX[fmt]
    if ascii_int(raw) is None or not 1 <= int(raw) <= limit:
        flash(
            word("letters.count", limit=limit),
            "error",
        )
        return back
    buffer = io.BytesIO()
    with write() as s:
        made = letters.issue(s, survey_id, int(raw), fmt, buffer, state().settings)
        staff_accounts.audit(
            s, actor(), "survey.invitations", survey_id, {"format": fmt, "count": made}
        )
    buffer.seek(0)
    stamp = now().astimezone(state().settings.tz).strftime("%Y%m%d-%H%M")
    return send_file(
        buffer,
        mimetype=MIME[fmt],
        as_attachment=True,
        download_name=f"{survey_id}-invitations-{stamp}.{fmt}",
    )
