"""`surveys publish ID [--unpublish] [--crosstab DIM…] [--static DIR] [--announce]` and
`events report-publish ID [--unpublish] [--announce]`: public results and reports (#18)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from bot.cli_events import events_cli
from bot.cli_surveys import surveys_cli
from db.session import transaction
from db.surveys import ALL_DIMENSIONS
from handlers import publishing


def _state():
    return current_app.extensions["machikoe"]


def _announce(kind: str, target: str) -> None:
    """The dry run first; the announcement only after a yes (once per publication)."""
    try:
        _dry_run_then_send(kind, target)
    except publishing.PublishError as exc:  # e.g. no one to tell yet: nothing was sent
        raise click.ClickException(str(exc)) from None


def _dry_run_then_send(kind: str, target: str) -> None:
    st = _state()
    base = st.settings.public_base_url
    with transaction(st.sessions) as s:
        same = publishing.announced(s, kind, target)
        if same is not None:
            raise click.ClickException(f"already announced as broadcast #{same.id}")
        note, dry = publishing.announce_dry_run(s, st.gateway, kind, target, base, st.now())
        token = publishing.check_token(s, kind, target, base)
    click.echo(f"announcement to {note.segment}: {dry.recipients} recipient(s), cost {dry.cost}")
    if dry.warning:
        click.echo(f"warning: {dry.warning}", err=True)
    click.echo(note.text)
    if not click.confirm("send it now?", default=False):
        click.echo("not sent")
        return
    with transaction(st.sessions) as s:
        b = publishing.announce(s, kind, target, base, "cli", st.now(), token)
        b_id = b.id
    from bot import dispatcher

    dispatcher.send(st, b_id)
    click.echo(f"broadcast #{b_id} sent; see `broadcast status {b_id}`")


@surveys_cli.command("publish")
@click.argument("survey_id")
@click.option("--unpublish", is_flag=True, help="Take the results off the public pages.")
@click.option(
    "--crosstab",
    "crosstabs",
    multiple=True,
    type=click.Choice(ALL_DIMENSIONS),
    help="Publish this cross-tab too (repeat; default: those stored).",
)
@click.option(
    "--static",
    "static",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write the page as self-contained HTML files into this folder.",
)
@click.option("--announce", is_flag=True, help="Then tell those who answered (dry run first).")
def surveys_publish(survey_id, unpublish, crosstabs, static, announce) -> None:
    """Publish a survey's results at /results/ID (groups under 5 never shown)."""
    st = _state()
    try:
        with transaction(st.sessions) as s:
            publishing.publish_survey(
                s,
                survey_id,
                "cli",
                st.now(),
                published=not unpublish,
                crosstabs=list(crosstabs) or None,
            )
            written = []
            if static and not unpublish:
                from bot.public_pages import write_static

                written = write_static(s, survey_id, static)
    except publishing.PublishError as exc:
        raise click.ClickException(str(exc)) from None
    url = f"{st.settings.public_base_url.rstrip('/')}/results/{survey_id}"
    click.echo(f"unpublished {survey_id}" if unpublish else f"published {url}")
    for path in written:
        click.echo(f"wrote {path}")
    if announce and not unpublish:
        _announce("results", survey_id)


@events_cli.command("report-publish")
@click.argument("event_id")
@click.option("--unpublish", is_flag=True, help="Take the report off the public pages.")
@click.option("--announce", is_flag=True, help="Then tell those who attended (dry run first).")
def events_report_publish(event_id, unpublish, announce) -> None:
    """Publish the report written in the console at /reports/ID."""
    st = _state()
    try:
        with transaction(st.sessions) as s:
            rep = publishing.record(s, "report", event_id)
            if rep is None:
                raise publishing.PublishError(f"no report for event {event_id}; write it first")
            if unpublish:
                publishing.unpublish_report(s, event_id, "cli", st.now())
            else:
                text = rep["text"]
                publishing.save_report(
                    s,
                    event_id,
                    "cli",
                    st.now(),
                    text=text["ja"] if isinstance(text, dict) else text,
                    text_en=text.get("en", "") if isinstance(text, dict) else "",
                    images=rep.get("images", []),
                    published=True,
                )
    except publishing.PublishError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{'unpublished' if unpublish else 'published'} report {event_id}")
    if announce and not unpublish:
        _announce("report", event_id)
