"""Survey results as the office reads them: shares, scale statistics, cross-tabs, small cells.

The counts come from db/survey_reports.py; this module applies the report rules: labels in
Japanese, shares of each group's respondents, and in anonymous surveys every count under 5
as a hidden `Cell` (handlers/survey_cells.py) without a share.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from db import survey_reports as counts_db
from db.survey_channels import CHANNELS
from db.survey_models import CHANNEL, CHOICE_TYPES, DIMENSIONS, Survey
from db.surveys import get_survey
from handlers.privacy import hide_small, protect
from handlers.survey_cells import ALSO_HIDDEN, HIDDEN, SUPPRESS_BELOW, Cell, cell, is_hidden, share


def _median(distribution: dict[int, int]) -> float | None:
    """The median of a {value: count} distribution, without expanding it."""
    total = sum(distribution.values())
    if not total:
        return None
    ordered = sorted(distribution.items())

    def nth(k: int) -> int:
        seen = 0
        for value, count in ordered:
            seen += count
            if seen > k:
                return value
        return ordered[-1][0]

    if total % 2:
        return float(nth(total // 2))
    return statistics.fmean([nth(total // 2 - 1), nth(total // 2)])


def crosstab(
    session: Session, survey: Survey, by: str, channel: str | None = None
) -> dict[str, dict[str, dict[str, Any]]]:
    """Counts and shares per group for every choice and scale question; small cells hidden.

    Shares are of the group's respondents to that question. In anonymous surveys any cell
    (and any group total) under 5 respondents is `HIDDEN` and has no share. `channel`
    restricts every count to one channel's responses.
    """
    questions = [q for q in survey.questions if q["type"] in CHOICE_TYPES]
    qids = [q["id"] for q in questions]
    return _tabulate(
        survey, questions, by, counts_db.crosstab_counts(session, survey.id, by, qids, channel)
    )


def crosstabs(
    session: Session, survey: Survey, dims: tuple[str, ...], channel: str | None = None
) -> dict[str, dict[str, dict[str, dict[str, Any]]]]:
    """Several cross-tabs from one GROUP BY over all their dimensions (one pass over answers).

    Same result as calling `crosstab` per dimension.
    """
    dims = tuple(dims)
    if len(dims) < 2:
        return {dim: crosstab(session, survey, dim, channel) for dim in dims}
    questions = [q for q in survey.questions if q["type"] in CHOICE_TYPES]
    qids = [q["id"] for q in questions]
    sums = counts_db.crosstab_sums(session, survey.id, dims, qids, channel)
    return {dim: _tabulate(survey, questions, dim, sums[dim]) for dim in dims}


def _group_order(by: str) -> Callable[[tuple[str, Any]], tuple[int, str] | str]:
    """Groups in a stable order: channels as CHANNELS lists them, others sorted."""
    if by == CHANNEL:
        return lambda item: (CHANNELS.index(item[0]) if item[0] in CHANNELS else 99, item[0])
    return lambda item: item[0]


def _tabulate(
    survey: Survey, questions: Sequence[Mapping[str, Any]], by: str, rows: Iterable[tuple[Any, ...]]
) -> dict[str, dict[str, dict[str, Any]]]:
    """The cross-tab dict from (group, question id, value, count, first choices) rows."""
    cells: dict[str, dict[str, dict[str, int]]] = {q["id"]: {} for q in questions}
    totals: dict[tuple[str, str], int] = {}
    for group, qid, value, n, first in rows:
        cells[qid].setdefault(group or "", {})[value] = n
        totals[(qid, group or "")] = totals.get((qid, group or ""), 0) + int(first or 0)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for q in questions:
        ordered = sorted(cells[q["id"]].items(), key=_group_order(by))
        sums = {g: totals.get((q["id"], g)) or sum(counts.values()) for g, counts in ordered}
        matrix = {g: {v: counts.get(v, 0) for v in _values(q)} for g, counts in ordered}
        shown_totals: Mapping[str, int | Cell] = sums
        shown: Mapping[str, Mapping[str, int | Cell]] = matrix
        if survey.anonymous:  # the 計 column and the survey-wide counts are margins too
            column = protect({g: {"": n} for g, n in sums.items()}, also=ALSO_HIDDEN)
            shown_totals = {g: column[g][""] for g in sums}
            small = [g for g, n in shown_totals.items() if is_hidden(n)]
            shown = protect(matrix, also=ALSO_HIDDEN, rows_hidden=small)
        groups = {}
        for group, row_counts in matrix.items():
            total = shown_totals[group]
            row: dict[str, Any] = {"total": total, "cells": {}}
            for value in row_counts:
                count = shown[group][value]
                row["cells"][value] = {"count": count, "share": share(count, total)}
            groups[group] = row
        out[q["id"]] = groups
    return out


def _values(q: Mapping[str, Any]) -> list[str]:
    if q["type"] == "scale":
        return [str(v) for v in range(q["min"], q["max"] + 1)]
    return [c["value"] for c in q["choices"]]


def results(
    session: Session,
    survey_id: str,
    by: tuple[str, ...] = DIMENSIONS,
    channel: str | None = None,
) -> dict[str, Any]:
    """Everything the office reads: counts and shares, scale stats, cross-tabs, suppression.

    Returns {"survey": {...}, "responses": n, "channels": {line, web, paper: n}, "channel":
    the filter or None, "questions": [{id, type, text, answered, choices: [{value, label,
    count, share}], mean, median, distribution, texts}], "crosstabs": {dimension: {question
    id: {group: {total, cells}}}}, "suppressed_below": 5}. `by` may include "channel".

    `channel` restricts every count to that channel's responses. A channel's results are a
    group like a cross-tab's row, so in anonymous surveys they are suppressed the same way:
    counts under 5 are `HIDDEN` ("<5") without a share, and mean and median need 5 answers.
    """
    counts_db.check_channel(channel)
    survey = get_survey(session, survey_id)
    if survey is None:
        raise KeyError(survey_id)
    channels = counts_db.channel_counts(session, survey_id, channel)
    total = sum(channels.values())
    counts = counts_db.question_counts(session, survey_id, channel)
    answered = counts_db.question_respondents(session, survey_id, channel)
    means = counts_db.scale_means(session, survey_id, channel)
    small = survey.anonymous and channel is not None  # a group: suppress as a cross-tab row
    # a channel's count of answers to a question is one of the question's counts per channel,
    # which add up to the count over all channels: the subtraction rule over them
    per_channel = (
        {ch: counts_db.question_respondents(session, survey_id, ch) for ch in CHANNELS}
        if small
        else {}
    )
    questions = []
    for q in survey.questions:
        n = answered.get(q["id"], 0)
        by_channel = {ch: found.get(q["id"], 0) for ch, found in per_channel.items()}
        answered_shown = hide_small(by_channel)[channel] if small and channel else n
        hidden = small and is_hidden(answered_shown)
        item: dict[str, Any] = {
            "id": q["id"],
            "type": q["type"],
            "text": q["text"]["ja"],
            "answered": answered_shown,
        }
        # one answer each (single, scale): the counts add up to the shown `answered`, so a
        # channel's small counts are hidden with the subtraction rule (handlers/privacy.py)
        choice_type = q["type"] in CHOICE_TYPES
        raw = {v: counts.get((q["id"], v), 0) for v in _values(q)} if choice_type else {}
        exclusive = small and not hidden and q["type"] in ("single", "scale")
        shown = hide_small(raw) if exclusive else {}
        if choice_type:
            labels = {c["value"]: c["label"]["ja"] for c in q.get("choices", [])}
            item["choices"] = []
            for v, k in raw.items():
                cut = small and (hidden or k < SUPPRESS_BELOW or is_hidden(shown.get(v)))
                item["choices"].append(
                    {
                        "value": v,
                        "label": labels.get(v, v),
                        "count": shown.get(v, HIDDEN) if cut else k,
                        "share": None if cut else share(k, n),
                    }
                )
        if q["type"] == "scale":
            dist = {int(v): k for v, k in raw.items()}
            also = {int(v): c for v, c in shown.items() if is_hidden(c)}
            item["distribution"] = (
                {v: also.get(v) or cell(k, True) for v, k in dist.items()} if small else dist
            )
            item["mean"] = round(means[q["id"]], 2) if q["id"] in means and not hidden else None
            item["median"] = None if hidden else _median(dist)
        if q["type"] == "text":
            item["texts"] = item["answered"]
            # no channel's texts or words are listed while any channel that has answers is
            # hidden: all the texts minus one channel's would be the hidden channel's
            channels_shown = hide_small(by_channel)
            item["texts_hidden"] = small and any(
                is_hidden(channels_shown[ch]) and k for ch, k in by_channel.items()
            )
        questions.append(item)
    return {
        "survey": {
            "id": survey.id,
            "title": survey.title,
            "version": survey.version,
            "anonymous": survey.anonymous,
            "opens_at": survey.opens_at,
            "closes_at": survey.closes_at,
        },
        "responses": total,
        "channels": channels,
        "channel": channel,
        "suppressed": small and total < SUPPRESS_BELOW,
        "questions": questions,
        "crosstabs": crosstabs(session, survey, tuple(by), channel),
        "suppressed_below": SUPPRESS_BELOW if survey.anonymous else None,
    }
