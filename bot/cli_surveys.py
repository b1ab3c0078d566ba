"""`flask --app wsgi surveys …`: list, results (with cross-tabs) and exports."""

from __future__ import annotations

import sys
import unicodedata
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from db import surveys as store
from handlers.survey_export import FORMATS, ExportError, export
from handlers.survey_results import CHANNEL_NAMES, CHANNELS, list_surveys, survey_results
from messages.survey_staff import DIM_TITLES, DOT_JOIN, JOIN, NO_ANSWER, RESIDENCY_SHORT, word

surveys_cli = AppGroup("surveys", help="Surveys: list, results, exports.")
CHANNEL_OPTION = click.option(
    "--channel",
    type=click.Choice(CHANNELS),
    default=None,
    help="Only the responses that came in this way (line, web or paper).",
)
RESIDENCY = RESIDENCY_SHORT
SUMMARY = word("sheet.summary")


def _state():
    return current_app.extensions["machikoe"]


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: object, width: int, right: bool = False) -> str:
    s = str(s)
    gap = " " * max(0, width - _width(s))
    return gap + s if right else s + gap


def _local(moment, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _unknown(survey_id: str, session) -> NoReturn:
    known = ", ".join(s["id"] for s in list_surveys(session)) or "(none)"
    click.echo(f"unknown survey {survey_id!r}; known surveys: {known}", err=True)
    sys.exit(1)


@surveys_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also closed and upcoming surveys.")
def surveys_list(show_all: bool) -> None:
    """Open surveys (with --all: every survey), with dates and responses."""
    state = _state()
    tz = state.settings.tz
    now = state.now()
    with state.sessions() as s:
        rows = list_surveys(s)
    shown = 0
    for r in rows:
        status = (
            "open"
            if r["opens_at"] <= now < r["closes_at"]
            else ("upcoming" if now < r["opens_at"] else "closed")
        )
        if status != "open" and not show_all:
            continue
        shown += 1
        click.echo(
            f"{r['id']:24} {status:8} {_local(r['opens_at'], tz)} → {_local(r['closes_at'], tz)}"
            f"  {word('cli.questions', n=r['questions'])}"
            f"  {word('cli.responses_n', n=r['responses'])}"
            f"  {word('sum.anonymous' if r['anonymous'] else 'sum.named')}  {r['title']}"
        )
    if not shown:
        click.echo("no open surveys" if not show_all else "no surveys")


def _bar(share: float | None, width: int = 20) -> str:
    return "█" * round((share or 0) / 100 * width)


@surveys_cli.command("results")
@click.argument("survey_id")
@click.option(
    "--by",
    type=click.Choice(store.ALL_DIMENSIONS),
    multiple=True,
    help="Cross-tab dimensions (default: all four: age_band, district, residency, channel).",
)
@CHANNEL_OPTION
def surveys_results(survey_id: str, by: tuple[str, ...], channel: str | None) -> None:
    """Counts and shares, scale statistics, frequent words and cross-tabs of one survey."""
    state = _state()
    dims = tuple(dict.fromkeys(by)) or store.ALL_DIMENSIONS
    with state.sessions() as s:
        if store.get_survey(s, survey_id) is None:
            _unknown(survey_id, s)
        res = survey_results(s, survey_id, by=dims, channel=channel)
    sv = res["survey"]
    kind = word("sum.anonymous" if sv["anonymous"] else "sum.named")
    click.echo(word("cli.title", title=sv["title"], id=sv["id"], version=sv["version"], kind=kind))
    if channel is not None:
        click.echo(word("cli.filter", channel=CHANNEL_NAMES[channel]))
    click.echo(word("cli.responses", n=res["responses_shown"]))  # one channel's: hidden under 5
    shown = DOT_JOIN.join(f"{CHANNEL_NAMES[ch]} {n}" for ch, n in res["channels_shown"].items())
    click.echo(word("cli.by_channel", list=shown))
    labels: dict[str, dict[str, str]] = {}
    for i, q in enumerate(res["questions"], 1):
        click.echo("")
        click.echo(
            word("cli.question", n=i, text=q["text"], type=q["type"], answered=q["answered"])
        )
        labels[q["id"]] = {c["value"]: c["label"] for c in q.get("choices", [])}
        width = max((_width(c["label"]) for c in q.get("choices", [])), default=0)
        for c in q.get("choices", []):
            share = "-" if c["share"] is None else f"{c['share']:5.1f}%"
            click.echo(
                f"  {_pad(c['label'], width)}  {c['count']:6}  {share:>6}  {_bar(c['share'])}"
            )
        if q["type"] == "scale":
            mean = "-" if q["mean"] is None else f"{q['mean']:.2f}"
            median = "-" if q["median"] is None else f"{q['median']:g}"
            click.echo(word("cli.scale", mean=mean, median=median))
        if q["type"] == "text":
            words = JOIN.join(f"{w}({n})" for w, n in q.get("words", [])) or "-"
            click.echo(word("cli.words", words=words))
    questions = {q["id"]: (i, q) for i, q in enumerate(res["questions"], 1)}
    for dim in dims:
        click.echo("")
        note = word("cli.crosstab_note") if sv["anonymous"] else ""
        click.echo(word("cli.crosstab", title=DIM_TITLES[dim], note=note))
        for qid, groups in res["crosstabs"][dim].items():
            i, q = questions[qid]
            values = [c["value"] for c in q["choices"]]
            heads = [labels[qid].get(v, v) for v in values]
            names = {g: _group(dim, g) for g in groups}
            first = max([_width(n) for n in names.values()] + [8])
            cols = [max(_width(h), 10) for h in heads]
            click.echo(f"Q{i} {q['text']}")
            click.echo(
                "  "
                + _pad("", first)
                + "  "
                + _pad(word("sum.total"), 5, True)
                + "  "
                + "  ".join(_pad(h, w, True) for h, w in zip(heads, cols, strict=True))
            )
            for group, row in groups.items():
                cells = []
                for v, w in zip(values, cols, strict=True):
                    cell = row["cells"][v]
                    text = (
                        cell["count"]
                        if cell["share"] is None
                        else f"{cell['count']} ({cell['share']:.0f}%)"
                    )
                    cells.append(_pad(text, w, True))
                click.echo(
                    "  "
                    + _pad(names[group], first)
                    + "  "
                    + _pad(row["total"], 5, True)
                    + "  "
                    + "  ".join(cells)
                )


def _group(dim: str, group: str) -> str:
    if dim == "residency":
        return RESIDENCY.get(group, group) or NO_ANSWER
    if dim == "channel":
        return CHANNEL_NAMES.get(group, group)
    return group or NO_ANSWER


@surveys_cli.command("export")
@click.argument("survey_id")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@CHANNEL_OPTION
@click.option(
    "--summary", is_flag=True, help=f"Only the aggregate workbook ({SUMMARY}; xlsx), no rows."
)
@click.option(
    "--exact",
    is_flag=True,
    help="Anonymous surveys: keep rare attribute combinations as stored (not coarsened); "
    "for the operator's own backup or a re-import. Audited.",
)
def surveys_export(
    survey_id: str, fmt: str, output: Path, channel: str | None, summary: bool, exact: bool
) -> None:
    """One row per response: CSV (UTF-8 with BOM) or .xlsx (responses + summary sheets).

    Anonymous surveys follow the privacy rule (docs/surveys.md): rare combinations of age
    band, district and residency are coarsened unless --exact; every row-level export of an
    anonymous survey is written to the audit log.
    """
    from db.session import transaction
    from handlers import staff as staff_accounts

    state = _state()
    with state.sessions() as s:
        survey = store.get_survey(s, survey_id)
        if survey is None:
            _unknown(survey_id, s)
        anonymous = survey.anonymous
        partial = output.with_name(output.name + ".part")
        try:
            with partial.open("wb") as f:
                count = export(
                    s,
                    survey_id,
                    fmt,
                    f,
                    channel,
                    with_rows=not summary,
                    coarsen=anonymous and not exact,
                    tz=state.settings.tz,
                )
        except (ExportError, OSError) as exc:
            partial.unlink(missing_ok=True)
            click.echo(f"export failed: {exc}", err=True)
            sys.exit(1)
        partial.replace(output)
    if anonymous and not summary:
        with transaction(state.sessions) as s:
            detail = {"format": fmt, "rows": count, "coarsened": not exact}
            if channel is not None:
                detail["channel"] = channel
            staff_accounts.audit(s, "cli", "survey.export", survey_id, detail)
    if summary:
        click.echo(f"aggregate workbook ({SUMMARY}) written to {output}")
    else:
        click.echo(f"{count} responses written to {output}")


@surveys_cli.command("flush-anonymous")
@click.argument("survey_id")
def surveys_flush_anonymous(survey_id: str) -> None:
    """Write every anonymous answer still held in the pool (at the survey's close).

    Full groups as they are; the rest of each answer channel with generalised attributes if
    they are at least 5 together, otherwise they stay in the pool (docs/surveys.md).
    """
    from db import anonymous_pool
    from db.session import transaction as in_transaction

    state = _state()
    with in_transaction(state.sessions) as s:
        survey = store.get_survey(s, survey_id)
        if survey is None:
            _unknown(survey_id, s)
        if not survey.anonymous:
            click.echo(word("cli.named_now", id=survey_id))
            return
        day = store.town_day(state.now(), state.settings.town_tz)
        written = anonymous_pool.flush_survey(s, survey, day, state.settings.secret_key)
        held = anonymous_pool.pending_count(s, survey_id)
    click.echo(word("cli.flushed", id=survey_id, n=written))
    if held:
        click.echo(word("cli.held", id=survey_id, n=held, k=anonymous_pool.K))
