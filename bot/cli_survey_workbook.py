"""`flask --app wsgi surveys template [ID] --output FILE.xlsx` and `surveys import FILE.xlsx`.

The workbook is read by handlers/survey_workbook.py and goes through the same pipeline as
`content apply`: validated and applied in one transaction (all or nothing), audited.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from bot.cli import echo_problems
from bot.cli_surveys import surveys_cli
from db.models import ContentItem
from db.session import transaction
from handlers import content
from handlers import survey_workbook as workbook
from handlers.survey_results import list_surveys


def _fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


@surveys_cli.command("template")
@click.argument("survey_id", required=False)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="FILE.xlsx to write.",
)
def surveys_template(survey_id: str | None, output: Path) -> None:
    """The survey workbook: blank, or an existing survey filled in."""
    state = current_app.extensions["machikoe"]
    if output.suffix.lower() != ".xlsx":
        _fail(f"{output}: the workbook is an .xlsx file (e.g. --output survey.xlsx)")
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        _fail(f"{folder}: no such folder")
    data = None
    if survey_id is not None:
        with state.sessions() as s:
            item = s.scalar(
                select(ContentItem).where(
                    ContentItem.kind == "survey", ContentItem.key == survey_id
                )
            )
            if item is None:
                known = ", ".join(sv["id"] for sv in list_surveys(s)) or "(none)"
                _fail(f"unknown survey {survey_id!r}; known surveys: {known}")
            data = dict(item.data)
    raw = workbook.template(data, state.settings.tz)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=f".{output.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(raw)
        Path(tmp).replace(output)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        _fail(f"{output} could not be written: {exc}")
    what = f"survey {survey_id}" if survey_id else "a blank survey workbook"
    click.echo(f"{what} written to {output}")


@surveys_cli.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def surveys_import(path: Path) -> None:
    """Read a survey workbook through the same checks as `content apply`, all or nothing."""
    state = current_app.extensions["machikoe"]
    if path.suffix.lower() != ".xlsx":
        _fail(f"{path}: expected a survey workbook (.xlsx); nothing applied")
    try:
        if path.stat().st_size > workbook.MAX_BYTES:
            problem = content.plain_problem("too_big", limit="2 MB")
            _fail(f"{path}: {problem.plain}\nnothing applied")
        raw = path.read_bytes()
    except OSError as exc:
        _fail(f"{path}: cannot be read ({exc.strerror or exc}); nothing applied")
    try:
        doc = workbook.read(raw, str(path), state.settings.tz)
        with transaction(state.sessions) as s:
            problems = content.validate(doc, s)
            if problems:
                raise content.ContentError(problems)
            counts = content.apply(s, [doc], "cli")
    except content.ContentError as exc:
        echo_problems(exc.problems)
        click.echo(f"nothing applied: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(
        "survey {id}: {created} created, {updated} updated, {unchanged} unchanged".format(
            id=doc.data["id"], **counts
        )
    )
