"""`flask --app wsgi surveys import-answers ID FILE [--dry-run]`: paper answers, all or nothing."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.exc import IntegrityError

from bot.cli_surveys import _unknown, surveys_cli
from bot.state import AppState
from db import surveys as store
from db.session import transaction
from handlers import paper_answers
from messages.paper import say
from messages.survey_staff import word


class _DryRun(Exception):
    """Roll back after a dry run (nothing is written, but be sure)."""


def import_answers(
    state: AppState, survey_id: str, path: Path, *, dry_run: bool = False
) -> paper_answers.Report:
    """Import a file in one transaction; raises LookupError, FileProblem or Refused."""
    try:
        with transaction(state.sessions) as s:
            survey = store.get_survey(s, survey_id)
            if survey is None:
                raise LookupError(survey_id)
            report = paper_answers.import_file(
                s, survey, path, state.now(), state.settings.tz, dry_run=dry_run
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    except IntegrityError as exc:  # the same sheet entered at the same moment elsewhere
        report = paper_answers.Report(problems=[say("entered_meanwhile")])
        raise paper_answers.Refused(report) from exc
    return report


@surveys_cli.command("import-answers")
@click.argument("survey_id")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and say what would be added.")
def surveys_import_answers(survey_id: str, file: Path, dry_run: bool) -> None:
    """Paper answers in the export's columns (xlsx or CSV), all or nothing."""
    state = current_app.extensions["machikoe"]
    try:
        report = import_answers(state, survey_id, file, dry_run=dry_run)
    except LookupError:
        with state.sessions() as s:
            _unknown(survey_id, s)
    except paper_answers.FileProblem as exc:
        click.echo(f"{file.name}: {exc}", err=True)
        click.echo(word("paper.nothing_added"), err=True)
        sys.exit(1)
    except paper_answers.Refused as exc:
        for line in exc.report.lines():
            click.echo(line, err=True)
        click.echo(word("paper.refused", n=len(exc.report.lines())), err=True)
        sys.exit(1)
    if dry_run:
        click.echo(word("paper.dry_run", summary=report.summary()))
    else:
        click.echo(word("paper.added", summary=report.summary()))
