"""Survey report queries: counts per question, value, group and channel, in SQL (numbers only).

Every function returns plain counts; what a view may show of them (small cells hidden in
anonymous surveys, labels, shares) is decided in handlers/survey_report.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVarTuple

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from db.survey_channels import CHANNELS
from db.survey_models import (
    ALL_DIMENSIONS,
    SurveyAnswer,
    SurveyCompletion,
    SurveyResponse,
    town_day,
)
from db.survey_rows import ChannelCounts, ExportedResponse, ResponseCounts


def _percent(n: int, total: int) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def check_channel(channel: str | None) -> None:
    """Refuse a channel filter that is not one of CHANNELS (None: every channel)."""
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of {', '.join(CHANNELS)}")


_Ts = TypeVarTuple("_Ts")  # the columns a query selects


def _only(stmt: Select[*_Ts], channel: str | None) -> Select[*_Ts]:
    """Restrict an answers query to one channel's responses (the join only when asked)."""
    if channel is None:
        return stmt
    return stmt.join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id).where(
        SurveyResponse.channel == channel
    )


def channel_counts(session: Session, survey_id: str, channel: str | None = None) -> dict[str, int]:
    """Responses per channel, every channel listed (0 when none; only `channel` when given)."""
    stmt = select(SurveyResponse.channel, func.count()).where(SurveyResponse.survey_id == survey_id)
    if channel is not None:
        stmt = stmt.where(SurveyResponse.channel == channel)
    found = dict(session.execute(stmt.group_by(SurveyResponse.channel)).all())
    return {ch: found.get(ch, 0) for ch in CHANNELS}


def question_counts(
    session: Session, survey_id: str, channel: str | None = None
) -> dict[tuple[str, str], int]:
    """(question id, value) → number of answers, for every question (of one channel if given)."""
    stmt = select(SurveyAnswer.question_id, SurveyAnswer.value, func.count()).where(
        SurveyAnswer.survey_id == survey_id
    )
    rows = session.execute(
        _only(stmt, channel).group_by(SurveyAnswer.question_id, SurveyAnswer.value)
    )
    return {(q, v): n for q, v, n in rows}


def question_respondents(
    session: Session, survey_id: str, channel: str | None = None
) -> dict[str, int]:
    """Question id → number of responses that answered it."""
    stmt = select(SurveyAnswer.question_id, func.count(SurveyAnswer.response_id.distinct())).where(
        SurveyAnswer.survey_id == survey_id
    )
    rows = session.execute(_only(stmt, channel).group_by(SurveyAnswer.question_id))
    return dict(rows.all())


def scale_means(session: Session, survey_id: str, channel: str | None = None) -> dict[str, float]:
    """Question id → mean of the scale answers."""
    stmt = select(SurveyAnswer.question_id, func.avg(SurveyAnswer.number)).where(
        SurveyAnswer.survey_id == survey_id, SurveyAnswer.number.is_not(None)
    )
    rows = session.execute(_only(stmt, channel).group_by(SurveyAnswer.question_id))
    return {q: float(m) for q, m in rows if m is not None}


def respondent_groups(
    session: Session, survey_id: str, channel: str | None = None
) -> dict[tuple[str | None, str | None], int]:
    """Responses per (age band, district), for comparing with the population."""
    stmt = select(SurveyResponse.age_band, SurveyResponse.district, func.count()).where(
        SurveyResponse.survey_id == survey_id
    )
    if channel is not None:
        stmt = stmt.where(SurveyResponse.channel == channel)
    rows = session.execute(stmt.group_by(SurveyResponse.age_band, SurveyResponse.district))
    return {(band, district): count for band, district, count in rows}


def respondent_groups_by_channel(
    session: Session, survey_id: str
) -> dict[tuple[str | None, str | None, str], int]:
    """Responses per (age band, district, channel): the coverage table's channel split."""
    r = SurveyResponse
    rows = session.execute(
        select(r.age_band, r.district, r.channel, func.count())
        .where(r.survey_id == survey_id)
        .group_by(r.age_band, r.district, r.channel)
    )
    return {(band, district, ch): count for band, district, ch, count in rows}


def attribute_combos(
    session: Session, survey_id: str, channel: str | None = None
) -> dict[tuple[str | None, str | None, str | None], int]:
    """Responses per (age band, district, residency): how rare each row of an export is."""
    r = SurveyResponse
    stmt = select(r.age_band, r.district, r.residency, func.count()).where(r.survey_id == survey_id)
    if channel is not None:
        stmt = stmt.where(r.channel == channel)
    rows = session.execute(stmt.group_by(r.age_band, r.district, r.residency))
    return {(band, district, residency): n for band, district, residency, n in rows}


def crosstab_counts(
    session: Session,
    survey_id: str,
    by: str | tuple[str, ...],
    question_ids: list[str],
    channel: str | None = None,
) -> list[tuple[Any, ...]]:
    """(group, question id, value, count, first choices) in one GROUP BY over answers.

    `first choices` counts the answers at position 0: each respondent to a question has
    exactly one, so their sum over a question's values is its respondents (the denominator
    for multiple choice) without a second, DISTINCT query. With a tuple of dimensions, `group`
    is a tuple of their values (one statement for several cross-tabs).
    """
    dims = (by,) if isinstance(by, str) else tuple(by)
    for dim in dims:
        if dim not in ALL_DIMENSIONS:
            raise ValueError(f"cross-tab by {dim!r}: choose one of {', '.join(ALL_DIMENSIONS)}")
    check_channel(channel)
    groups = [getattr(SurveyResponse, dim) for dim in dims]
    first = func.sum(case((SurveyAnswer.position == 0, 1), else_=0))
    stmt = (
        select(*groups, SurveyAnswer.question_id, SurveyAnswer.value, func.count(), first)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id.in_(question_ids))
        .group_by(*groups, SurveyAnswer.question_id, SurveyAnswer.value)
    )
    if channel is not None:
        stmt = stmt.where(SurveyResponse.channel == channel)
    k = len(dims)
    if isinstance(by, str):
        return [tuple(row) for row in session.execute(stmt)]
    return [(tuple(row[:k]), *row[k:]) for row in session.execute(stmt)]


def crosstab_sums(
    session: Session,
    survey_id: str,
    dims: tuple[str, ...],
    question_ids: list[str],
    channel: str | None = None,
) -> dict[str, list[tuple[Any, ...]]]:
    """Dimension → its (group, question id, value, count, first choices) rows, from one GROUP
    BY over all the dimensions at once (one pass over answers; each sums its own rows)."""
    rows = crosstab_counts(session, survey_id, tuple(dims), question_ids, channel)
    sums: list[dict[tuple[Any, ...], list[int]]] = [{} for _ in dims]
    for groups, qid, value, n, first in rows:
        for i, group in enumerate(groups):
            acc = sums[i].setdefault((group, qid, value), [0, 0])
            acc[0] += n
            acc[1] += int(first or 0)
    return {dim: [(*key, n, f) for key, (n, f) in sums[i].items()] for i, dim in enumerate(dims)}


def responses_between(
    session: Session, survey_id: str, start: datetime, end: datetime, tz: str
) -> ResponseCounts:
    """Responses between start and end (by town day) and in total, per channel; LINE starts.

    Returns {"started": n, "finished": n, "total": n, "completion_rate": % or None,
    "by_channel": {line, web, paper: {"week": n, "total": n}}}. `finished` and `total` count
    responses of every channel; `started` and `completion_rate` (finished of started) are
    LINE chat's, the only channel with a start on record.
    """
    first, last = town_day(start, tz), town_day(end - timedelta(microseconds=1), tz)
    r = SurveyResponse
    in_period = and_(r.submitted_on >= first, r.submitted_on <= last)
    rows = session.execute(
        select(r.channel, func.count(), func.count().filter(in_period))
        .where(r.survey_id == survey_id)
        .group_by(r.channel)
    ).all()
    found = {ch: (total, week) for ch, total, week in rows}
    by_channel = {
        ch: ChannelCounts(week=found.get(ch, (0, 0))[1], total=found.get(ch, (0, 0))[0])
        for ch in CHANNELS
    }
    started = session.scalar(
        select(func.count())
        .select_from(SurveyCompletion)
        .where(
            SurveyCompletion.survey_id == survey_id,
            SurveyCompletion.started_at >= start,
            SurveyCompletion.started_at < end,
        )
    )
    completed, ever_started = session.execute(
        select(func.count(SurveyCompletion.completed_on), func.count()).where(
            SurveyCompletion.survey_id == survey_id
        )
    ).one()
    return ResponseCounts(
        started=started or 0,
        finished=sum(c["week"] for c in by_channel.values()),
        total=sum(c["total"] for c in by_channel.values()),
        completion_rate=_percent(completed, ever_started),
        by_channel=by_channel,
    )


def text_answers(
    session: Session, survey_id: str, question_id: str, channel: str | None = None
) -> Iterator[str]:
    """The free-text answers to a question (of one channel if given), streamed."""
    stmt = select(SurveyAnswer.value).where(
        SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id == question_id
    )
    yield from session.scalars(_only(stmt, channel).execution_options(yield_per=1000))


def export_rows(
    session: Session, survey_id: str, channel: str | None = None
) -> Iterator[tuple[ExportedResponse, dict[str, list[str]]]]:
    """Each response ({id, submitted_on, channel, resident_id, age_band, district, residency})
    with its answers ({question id: [values]}), streamed from one ordered query (server-side
    cursor); only one channel's responses when `channel` is given."""
    check_channel(channel)
    r, a = SurveyResponse, SurveyAnswer
    stmt = (
        select(
            r.id,
            r.submitted_on,
            r.channel,
            r.resident_id,
            r.age_band,
            r.district,
            r.residency,
            a.question_id,
            a.value,
        )
        .outerjoin(a, a.response_id == r.id)
        .where(r.survey_id == survey_id)
        .order_by(r.submitted_on, r.id, a.question_id, a.position)
        .execution_options(yield_per=2000)
    )
    if channel is not None:
        stmt = stmt.where(r.channel == channel)
    current: ExportedResponse | None = None
    answers: dict[str, list[str]] = {}
    for row in session.execute(stmt):
        if current is None or row[0] != current["id"]:
            if current is not None:
                yield current, answers
            rid, day, channel_, resident, band, district, residency = row[:7]
            current = ExportedResponse(
                id=rid,
                submitted_on=day,
                channel=channel_,
                resident_id=resident,
                age_band=band,
                district=district,
                residency=residency,
            )
            answers = {}
        if row[7] is not None:
            answers.setdefault(row[7], []).append(row[8])
    if current is not None:
        yield current, answers
