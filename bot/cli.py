"""Command line for operators: `flask --app wsgi …`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from bot.config import ROOT
from db import migrate
from db.session import transaction
from handlers import content

DEMO_CONTENT = ROOT / "content" / "demo"


def _state():
    return current_app.extensions["machikoe"]


db_cli = AppGroup("db", help="Database migrations.")


@db_cli.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
def db_upgrade(revision: str) -> None:
    """Apply migrations."""
    migrate.upgrade(_state().settings.database_url, revision)
    click.echo(f"database at {revision}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (review it before committing)."""
    migrate.revision(_state().settings.database_url, message)


content_cli = AppGroup("content", help="Content files (YAML).")


def echo_problems(problems) -> None:
    """Each problem as file:line: field: message, then its plain sentence for staff."""
    for problem in problems:
        click.echo(problem, err=True)
        plain = getattr(problem, "plain", "")
        if plain and plain != str(problem):
            click.echo(f"    → {plain}", err=True)


def apply_content(paths, actor: str = "cli", warnings: list | None = None) -> dict[str, int]:
    """Validate every file, then apply all of them in one transaction.

    `warnings`, when given, receives 「英語の訳がありません: file: item」 for each text
    without English (only when some resident reads English).
    """
    from handlers import translations

    state = _state()
    files = content.collect(paths)
    with transaction(state.sessions) as s:
        docs = content.load_documents(files, s)
        counts = content.apply(s, docs, actor)
        if warnings is not None and translations.english_residents(s):
            for doc in docs:
                missing = translations.missing_english(doc.data)
                warnings += [translations.sentence([f"{doc.path}: {item}"]) for item in missing]
        return counts


@content_cli.command("apply")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def content_apply(paths: tuple[Path, ...]) -> None:
    """Validate and upsert YAML content files or folders, all or nothing."""
    warnings: list[str] = []
    try:
        counts = apply_content(paths, warnings=warnings)
    except content.ContentError as exc:
        echo_problems(exc.problems)
        click.echo(f"nothing applied: {len(exc.problems)} problem(s)", err=True)
        sys.exit(1)
    click.echo(
        "applied: {created} created, {updated} updated, {unchanged} unchanged".format(**counts)
    )
    for warning in warnings:  # applied all the same: English residents read the Japanese
        click.echo(warning, err=True)


@click.command("demo")
@click.option("--remove", is_flag=True, help="Delete the demo residents and their answers only.")
@click.option("--no-residents", is_flag=True, help="Content and login only, no demo residents.")
@with_appcontext
def demo(remove: bool, no_residents: bool) -> None:
    """Apply the demo content, load demo residents (demo mode only) and the demo login."""
    from bot import demo_data

    state = _state()
    if remove:
        with transaction(state.sessions) as s:
            gone = demo_data.remove(s)
        click.echo("removed " + gone.summary())
        return
    try:
        counts = apply_content([DEMO_CONTENT], actor="demo")
    except content.ContentError as exc:
        echo_problems(exc.problems)
        sys.exit(1)
    click.echo(
        "demo content: {created} created, {updated} updated, {unchanged} unchanged".format(**counts)
    )
    if no_residents:
        pass
    elif not state.settings.demo_mode:
        click.echo("demo residents not loaded: a LINE channel is set (they load in demo mode only)")
    else:
        with transaction(state.sessions) as s:
            loaded = demo_data.load(s, state.now(), state.settings.town_tz)
        click.echo("loaded " + loaded.summary() + f" (seed {demo_data.SEED})")
    from bot.cli_staff import demo_login

    demo_login()


@click.command("richmenu")
@click.option("--lang", type=click.Choice(["ja", "en"]), default="ja", show_default=True)
@with_appcontext
def richmenu(lang: str) -> None:
    """Create the six-button rich menu and make it every friend's default."""
    from linebot.v3.messaging import ApiException

    from messages.richmenu import menu_image, menu_object

    try:
        rich_menu_id = _state().gateway.install_rich_menu(menu_object(lang), menu_image(lang))
    except ApiException as exc:
        raise click.ClickException(f"LINE refused the rich menu: HTTP {exc.status}") from exc
    click.echo(f"rich menu {rich_menu_id} is now the default")


jobs_cli = AppGroup("jobs", help="Scheduled jobs.")


@jobs_cli.command("list")
def jobs_list() -> None:
    """The scheduled jobs and when they run."""
    from bot.jobs import JOBS
    from bot.scheduler import next_run, trigger_args

    for j in JOBS.values():
        when = ", ".join(f"{k}={v}" for k, v in trigger_args(j, _state()).items())
        nxt = next_run(j, _state())
        nxt_text = f"next {nxt:%Y-%m-%d %H:%M %Z}" if nxt else "not scheduled"
        click.echo(f"{j.name:12} {nxt_text}  {j.trigger}({when})  {j.about}")
    from bot.event_pool import backlog

    queue = backlog(_state())
    click.echo(
        f"webhook queue: {queue.pending} pending, oldest {queue.oldest_seconds:.0f} s; "
        f"replies sent as pushes (too late for the token) this month: {_late_pushes()}"
    )


def _late_pushes() -> int:
    from datetime import UTC

    from db import webhook_queue

    state = _state()
    month = (
        state.now()
        .astimezone(state.settings.tz)
        .replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    )
    with state.engine.connect() as conn:
        return webhook_queue.pushed_since(conn, month.astimezone(UTC))


@jobs_cli.command("run")
@click.argument("name")
def jobs_run(name: str) -> None:
    """Run one job now, once."""
    from bot.jobs import JOBS

    if name not in JOBS:
        raise click.BadParameter(
            f"unknown job {name!r}; choose from: {', '.join(JOBS)}", param_hint="NAME"
        )
    result = JOBS[name].run(_state())
    click.echo(f"{name}: {result}")


def register(app: Flask) -> None:
    """Attach every command group to the app."""
    from bot import (
        cli_survey_invitations,  # noqa: F401 (adds `surveys invitations`)
        cli_survey_workbook,  # noqa: F401 (adds `surveys template`, `import`)
    )
    from bot.cli_staff import staff_cli
    from bot.cli_surveys import surveys_cli

    app.cli.add_command(surveys_cli)

    for command in (db_cli, content_cli, demo, jobs_cli, staff_cli, richmenu):
        app.cli.add_command(command)
    from bot.cli_digest import digest_cli
    from bot.scheduler import scheduler_command

    app.cli.add_command(digest_cli)
    from bot.cli_broadcast import broadcast_cli

    app.cli.add_command(broadcast_cli)
    app.cli.add_command(scheduler_command)
    from bot.cli_worker import worker_command

    app.cli.add_command(worker_command)
    from bot.cli_events import events_cli
    from bot.cli_opinions import opinions_cli

    app.cli.add_command(events_cli)
    app.cli.add_command(opinions_cli)
    from bot import (
        cli_publish,  # noqa: F401 (adds `surveys publish`, `events report-publish`)
        cli_survey_answers,  # noqa: F401 (adds `surveys import-answers`)
    )
