"""`flask --app wsgi opinions export`: what residents sent (意見), for Excel."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from db.opinions import KINDS
from handlers.exports import FORMATS, export_opinions

opinions_cli = AppGroup("opinions", help="Opinions and public comments residents sent.")


@opinions_cli.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--kind",
    type=click.Choice(KINDS),
    default="all",
    show_default=True,
    help="opinion: opinions only; comment: public comments only.",
)
def opinions_export(fmt: str, output: Path, kind: str) -> None:
    """One row per opinion, oldest first: CSV (UTF-8 with BOM) or .xlsx; no LINE user ids."""
    state = current_app.extensions["machikoe"]
    partial = output.with_name(output.name + ".part")
    try:
        with state.sessions() as s:
            count = export_opinions(s, partial, fmt, kind, tz=state.settings.tz)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        click.echo(f"export failed: {exc}", err=True)
        sys.exit(1)
    partial.replace(output)
    click.echo(f"{count} opinions written to {output}")
