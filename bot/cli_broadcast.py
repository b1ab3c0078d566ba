"""`flask --app wsgi broadcast …`: send, schedule, follow and cancel announcements."""

from __future__ import annotations

import getpass
import os
import sys
import threading
from collections.abc import Iterable
from datetime import datetime
from typing import NoReturn, cast

import click
from flask import current_app
from flask.cli import AppGroup

from bot import dispatcher
from db.session import transaction
from handlers import broadcast
from handlers.broadcast_errors import BroadcastError
from messages.broadcast import SEGMENT_EXAMPLE
from messages.catalog import t

BUTTONS = {kind: t("ja", f"announce.label.{kind}") for kind in ("event", "survey")}

broadcast_cli = AppGroup("broadcast", help="Announcements to residents (LINE multicast).")

# Errors in the command line's own words: they name its flags (the console has its own).
ERRORS = {
    "action_format": "--action must be event:ID, survey:ID or url:URL (got {action!r})",
    "not_https": "{flag} must be an https:// URL (got {url!r})",
    "url_too_long": "{flag} is longer than {max} characters",
    "link_label_length": "--link-label must be 1 to {max} characters",
    "link_pair": "--link and --link-label go together",
    "link_twice": "give the link either as --link or as --action url:, not both",
    "no_event": "--action: there is no event {id!r}",
    "event_closed": "--action: sign-up for event {id!r} has closed",
    "no_survey": "--action: there is no survey {id!r}",
    "survey_closed": "--action: survey {id!r} has closed",
    "segment": "segment: {problem}",
    "unknown_topic": "topic {topic!r} is not known; valid topics: {valid}",
    "text_empty": "the announcement text is empty",
    "too_many_messages": (
        "the announcement needs {n} messages; LINE allows {max} per send "
        "(shorten the text, or drop the image or link)"
    ),
    "naive_time": "the time must carry an offset, e.g. 2026-11-08T09:00+09:00",
    "duplicate": (
        "the same announcement is broadcast #{id} ({status}); "
        "see `broadcast status {id}`, or repeat it on purpose with --again"
    ),
    "no_broadcast": "no broadcast {id}",
    "cannot_cancel": "broadcast {id} is {status}; it cannot be cancelled",
    "nothing_to_resume": "broadcast {id} is {status}; nothing to resume",
}
FLAGS = {"image": "--image", "link": "--link", "action": "--action url:"}


def error_text(exc: BroadcastError) -> str:
    """Why the command refused, naming its flags."""
    values = dict(exc.params)
    if "valid" in values:
        values["valid"] = (
            ", ".join(cast("Iterable[str]", values["valid"])) or "(no topics in the town file)"
        )
    if "field" in values:
        values["flag"] = FLAGS.get(str(values["field"]), str(values["field"]))
    template = ERRORS.get(exc.code)
    return template.format(**values) if template else str(exc)


def _refuse(exc: BroadcastError) -> NoReturn:
    click.secho(f"error: {error_text(exc)}", fg="red", err=True)
    sys.exit(2)


def _state():
    return current_app.extensions["machikoe"]


def _actor(given: str | None) -> str:
    if given:
        return given
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return os.environ.get("MACHIKOE_ACTOR") or f"cli:{user}"


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(_state().settings.tz).strftime("%Y-%m-%d %H:%M %Z")


def _parse_at(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not an ISO 8601 time, e.g. 2026-11-08T09:00+09:00", param_hint="--at"
        ) from None
    if at.tzinfo is None:  # a bare local time is the town's
        at = at.replace(tzinfo=_state().settings.tz)
    return at


def _print_dry_run(d: broadcast.DryRun) -> None:
    click.echo(f"recipients:        {d.recipients}")
    click.echo(f"messages each:     {d.messages}")
    click.echo(f"message objects:   {d.message_objects} (recipients × messages)")
    click.echo(f"quota cost:        {d.cost} (LINE counts each recipient once per send)")
    if d.quota_type is None:
        click.echo("monthly quota:     unknown")
    elif d.quota_limit is None:
        click.echo(f"monthly quota:     no limit ({d.quota_used} used this month)")
    else:
        click.echo(
            f"monthly quota:     {d.quota_limit} ({d.quota_used} used, {d.remaining} remaining)"
        )
    if d.warning:
        click.secho(f"WARNING: {d.warning}", fg="yellow", err=True)
    if d.translation_warning:  # staff words, as the console shows them
        click.secho(f"WARNING: {d.translation_warning}", fg="yellow", err=True)


def _foreground(broadcast_id: int) -> broadcast.SendReport:
    """Send with a progress bar; an interrupted send is finished by `dispatch` or `resume`."""
    lock = threading.Lock()
    bar: dict = {}

    def progress(done: int, total: int) -> None:
        with lock:
            if "bar" not in bar:
                bar["bar"] = click.progressbar(
                    length=max(total, 1), label=f"broadcast {broadcast_id}", show_pos=True
                )
                bar["bar"].__enter__()
                bar["pos"] = 0
            step = done - bar["pos"]
            if step > 0:
                bar["bar"].update(step)
                bar["pos"] = done

    try:
        return dispatcher.send(_state(), broadcast_id, progress=progress)
    finally:
        if "bar" in bar:
            bar["bar"].__exit__(None, None, None)


def _report(report: broadcast.SendReport) -> None:
    click.echo(
        f"broadcast {report.broadcast_id}: {report.status}; "
        f"{report.batches_sent} batch(es), {report.recipients_sent} recipient(s) sent this run"
        + (f" ({report.duplicates} already accepted by LINE)" if report.duplicates else "")
    )
    if report.stopped:
        click.secho(f"stopped: {report.stopped}", fg="yellow", err=True)


@broadcast_cli.command("send")
@click.option("--text", required=True, help="The announcement (long text is split).")
@click.option("--text-en", default=None, help="What English residents receive instead.")
@click.option(
    "--action",
    default=None,
    help=f"A button under it: event:ID ({BUTTONS['event']}), survey:ID ({BUTTONS['survey']}) "
    "or url:URL.",
)
@click.option("--segment", default="", help=f"e.g. '{SEGMENT_EXAMPLE}'.")
@click.option("--topic", default=None, help="Its topic: residents who stopped it are skipped.")
@click.option("--image", "image_url", default=None, help="An https image URL.")
@click.option("--link", "link_url", default=None, help="An https link, shown as a button.")
@click.option("--link-label", default=None, help="The link button's label (≤20 characters).")
@click.option(
    "--at", "at_text", default=None, help="Send later: ISO 8601, e.g. 2026-11-08T09:00+09:00."
)
@click.option("--urgent", is_flag=True, help="Reaches residents who stopped non-urgent news.")
@click.option("--dry-run", is_flag=True, help="Print recipients and quota cost; send nothing.")
@click.option("--again", is_flag=True, help="Send even if the same announcement was made today.")
@click.option("--actor", default=None, help="Who sends (audit log); default cli:$USER.")
def send_cmd(
    text: str,
    text_en: str | None,
    action: str | None,
    segment: str,
    topic: str | None,
    image_url: str | None,
    link_url: str | None,
    link_label: str | None,
    at_text: str | None,
    urgent: bool,
    dry_run: bool,
    again: bool,
    actor: str | None,
) -> None:
    """Send an announcement now (with a progress bar), or schedule it with --at."""
    state = _state()
    at = _parse_at(at_text)
    options = dict(
        topic=topic,
        urgent=urgent,
        image_url=image_url,
        link_url=link_url,
        link_label=link_label,
        text_en=text_en,
        action=action,
        tz=state.settings.tz,
    )
    try:
        with state.sessions() as s:
            d = broadcast.dry_run(s, state.gateway, text, segment, now=state.now(), **options)
        _print_dry_run(d)
        if dry_run:
            click.echo("dry run: nothing was sent")
            return
        with transaction(state.sessions) as s:
            b = broadcast.create_broadcast(
                s,
                actor=_actor(actor),
                text=text,
                now=state.now(),
                segment=segment,
                at=at,
                allow_repeat=again,
                **options,
            )
            b_id, scheduled_at = b.id, b.scheduled_at
    except BroadcastError as exc:
        _refuse(exc)
    if scheduled_at > state.now():
        click.echo(
            f"broadcast {b_id} scheduled for {_when(scheduled_at)} (the dispatch job sends it)"
        )
        return
    _report(_foreground(b_id))


@broadcast_cli.command("resume")
@click.argument("broadcast_id", type=int)
@click.option("--actor", default=None)
def resume_cmd(broadcast_id: int, actor: str | None) -> None:
    """Resume a paused or interrupted broadcast in the foreground."""
    state = _state()
    try:
        with transaction(state.sessions) as s:
            b = broadcast.resume(s, broadcast_id, _actor(actor), state.now())
            due = b.scheduled_at <= state.now()
    except BroadcastError as exc:
        _refuse(exc)
    if not due:
        click.echo(f"broadcast {broadcast_id} is scheduled; the dispatch job sends it")
        return
    _report(_foreground(broadcast_id))


@broadcast_cli.command("list")
@click.option("--limit", default=30, show_default=True)
def list_cmd(limit: int) -> None:
    """Recent broadcasts with their delivery counts."""
    with _state().sessions() as s:
        rows = broadcast.list_broadcasts(s, limit)
    if not rows:
        click.echo("no broadcasts yet")
        return
    click.echo(f"{'id':>4}  {'status':10} {'when':22} {'recipients':>10} {'delivered':>9}  segment")
    for r in rows:
        click.echo(
            f"{r['id']:>4}  {r['status']:10} {_when(r['scheduled_at']):22} "
            f"{r['recipients'] if r['recipients'] is not None else '-':>10} "
            f"{r['delivered']:>9}  {r['segment'] or '(all)'}"
            + (f" topic={r['topic']}" if r["topic"] else "")
        )


@broadcast_cli.command("status")
@click.argument("broadcast_id", type=int)
def status_cmd(broadcast_id: int) -> None:
    """Progress, delivered, skipped and failed for one broadcast."""
    with _state().sessions() as s:
        st = broadcast.broadcast_status(s, broadcast_id)
    if st is None:
        _refuse(BroadcastError("no_broadcast", id=broadcast_id))
    click.echo(f"broadcast {st['id']}: {st['status']}")
    click.echo(f"by:         {st['created_by']}")
    click.echo(f"scheduled:  {_when(st['scheduled_at'])}")
    click.echo(f"started:    {_when(st['started_at'])}")
    click.echo(f"finished:   {_when(st['finished_at'])}")
    click.echo(f"segment:    {st['segment'] or '(all friends)'}")
    if st["topic"]:
        click.echo(f"topic:      {st['topic']}")
    click.echo(f"recipients: {st['recipients'] if st['recipients'] is not None else '-'}")
    done = st["batches_total"] - st["batches"].get("pending", 0) - st["batches"].get("sending", 0)
    click.echo(f"progress:   {done}/{st['batches_total']} batches ({st['progress']:.0%})")
    click.echo(f"delivered:  {st['delivered']}")
    reasons = ", ".join(f"{k}: {v}" for k, v in sorted(st["skipped_by_reason"].items()))
    click.echo(f"skipped:    {st['skipped']}" + (f" ({reasons})" if reasons else ""))
    click.echo(f"failed:     {st['failed']}")
    if st["pause_reason"]:
        click.echo(f"paused:     {st['pause_reason']}")


@broadcast_cli.command("cancel")
@click.argument("broadcast_id", type=int)
@click.option("--actor", default=None)
def cancel_cmd(broadcast_id: int, actor: str | None) -> None:
    """Cancel a scheduled, sending or paused broadcast."""
    state = _state()
    try:
        with transaction(state.sessions) as s:
            broadcast.cancel(s, broadcast_id, _actor(actor), state.now())
    except BroadcastError as exc:
        _refuse(exc)
    click.echo(f"broadcast {broadcast_id} cancelled")
