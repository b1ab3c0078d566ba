"""`flask --app wsgi digest send [--dry-run] [--output FILE]`: the weekly digest, now."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from bot import digest
from handlers.digest import Period
from messages import digest as words

digest_cli = AppGroup("digest", help="The weekly digest for staff.")


@digest_cli.command("send")
@click.option("--dry-run", is_flag=True, help="Print the plain text; send nothing.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the HTML (charts embedded) to FILE instead of sending.",
)
def digest_send(dry_run: bool, output: Path | None) -> None:
    """Build the digest of the last seven days now; e-mail it and push it to linked staff."""
    state = current_app.extensions["machikoe"]
    tz = state.settings.tz
    period = Period.before(state.now(), tz)
    if dry_run or output:
        built = digest.compose(state, period)
        if output:
            output.write_text(words.html(built, tz, embed=True), encoding="utf-8")
            click.echo(f"wrote {output} ({words.subject(built)})")
        if dry_run:
            click.echo(words.plain(built, tz))
        return
    result = digest.send_now(state, period)
    click.echo(result.summary())
    if not result.ok:
        sys.exit(1)
