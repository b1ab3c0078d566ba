"""`flask --app wsgi surveys invitations ID --count N --output FILE.csv|pdf`: answer codes."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import click
from flask import current_app

from bot.cli_surveys import surveys_cli
from db import surveys as store
from db.session import transaction
from handlers import invitation_letters as letters
from handlers import staff as staff_accounts
from handlers.survey_results import list_surveys


def _fail(message: str) -> None:
    click.echo(message, err=True)
    click.echo("nothing stored, no file written", err=True)
    sys.exit(1)


@surveys_cli.command("invitations")
@click.argument("survey_id")
@click.option("--count", type=int, required=True, help="How many codes (1–100000).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="FILE.csv (mail merge) or FILE.pdf (one A4 letter per code).",
)
def surveys_invitations(survey_id: str, count: int, output: Path) -> None:
    """N single-use answer codes for mailed letters: a mail-merge CSV or A4 letters (PDF)."""
    state = current_app.extensions["machikoe"]
    try:
        fmt = letters.format_of(output)
        letters.check_count(count)
    except letters.LetterError as exc:
        _fail(str(exc))
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        _fail(f"{folder}: no such folder")
    with state.sessions() as s:
        if store.get_survey(s, survey_id) is None:
            known = ", ".join(sv["id"] for sv in list_surveys(s)) or "(none)"
            _fail(f"unknown survey {survey_id!r}; known surveys: {known}")
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".part")
    partial = Path(tmp)
    try:
        with transaction(state.sessions) as s, os.fdopen(handle, "wb") as f:
            made = letters.issue(s, survey_id, count, fmt, f, state.settings)
            staff_accounts.audit(
                s, "cli", "survey.invitations", survey_id, {"format": fmt, "count": made}
            )
    except (letters.LetterError, OSError) as exc:
        partial.unlink(missing_ok=True)
        _fail(f"invitations failed: {exc}")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    try:
        partial.replace(output)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        click.echo(f"{made} codes were stored but {output} could not be written: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{made} codes for {survey_id} written to {output} (readable by you only)")
    host = urlparse(state.settings.public_base_url).hostname or ""
    if host in {"127.0.0.1", "localhost", "::1"}:
        click.echo(
            f"warning: the answer URLs point to {state.settings.public_base_url}; "
            "set PUBLIC_BASE_URL to the app's public address before printing letters",
            err=True,
        )
