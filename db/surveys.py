"""Surveys: definitions, responses, answers, completion records; results and cross-tabs in SQL.

Anonymity: a response of an anonymous survey carries no resident id and only the day it was
written (in the town's time zone); its id is random, and answers have no surrogate key. It is
not written when it is finished: it waits, sealed, in the holding pool (db/anonymous_pool.py)
until its group holds K answers, which are then written together, shuffled, so neither order,
transaction, day nor attributes single out the completion record that prevents a second response.

Segments (announcements): a resident has answered survey X when
`EXISTS (SELECT 1 FROM survey_completions c WHERE c.resident_id = residents.id
AND c.survey_id = 'X' AND c.completed_on IS NOT NULL)`; see `answered_clause`.
"""

from __future__ import annotations

import secrets
import statistics
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    exists,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base, utcnow
from db.survey_channels import CHANNELS

CHOICE_TYPES = ("single", "multi", "scale")
DIMENSIONS = ("age_band", "district", "residency")  # the respondent's profile
CHANNEL = "channel"  # how the response came in: line / web / paper
ALL_DIMENSIONS = (*DIMENSIONS, CHANNEL)  # every cross-tab the console, CLI and exports show
SUPPRESS_BELOW = 5
SUPPRESSED = "<5"
# random 62-bit ids: on SQLite an INTEGER PRIMARY KEY (the rowid), so joins are fast
RESPONSE_ID = BigInteger().with_variant(Integer(), "sqlite")


class Survey(Base):
    """A survey as applied from its content file (the definition is the validated document)."""

    __tablename__ = "surveys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    anonymous: Mapped[bool] = mapped_column(default=True)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    definition: Mapped[dict] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def questions(self) -> list[dict]:
        """The questions, normalised (choices as {value, label})."""
        return self.definition["questions"]

    def question(self, question_id: str) -> dict | None:
        """One question by id."""
        return next((q for q in self.questions if q["id"] == question_id), None)

    def is_open(self, now: datetime) -> bool:
        """True between opens_at and closes_at."""
        return self.opens_at <= now < self.closes_at


class SurveyCompletion(Base):
    """That a resident started / finished a survey: one per (resident, survey); no answers."""

    __tablename__ = "survey_completions"

    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True
    )
    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    started_at: Mapped[datetime]
    completed_on: Mapped[date | None] = mapped_column(Date)  # the day only (town time)


class SurveyResponse(Base):
    """A finished response; resident_id and submitted_at stay empty for anonymous surveys."""

    __tablename__ = "survey_responses"
    __table_args__ = (
        UniqueConstraint("survey_id", "resident_id"),
        Index("ix_survey_responses_survey_submitted", "survey_id", "submitted_on"),
    )

    id: Mapped[int] = mapped_column(RESPONSE_ID, primary_key=True, autoincrement=False)  # random
    survey_id: Mapped[str] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    survey_version: Mapped[int]
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"))
    submitted_on: Mapped[date] = mapped_column(Date)
    submitted_at: Mapped[datetime | None]
    age_band: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(64))
    residency: Mapped[str | None] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8), default="line", server_default="line")


class SurveyAnswer(Base):
    """One answer: one row per chosen value (multiple choice gives several, by position)."""

    __tablename__ = "survey_answers"
    __table_args__ = (
        # covering for counts and cross-tabs (the join to responses needs response_id)
        Index(
            "ix_survey_answers_survey_question_value",
            "survey_id",
            "question_id",
            "value",
            "response_id",
        ),
    )

    response_id: Mapped[int] = mapped_column(
        RESPONSE_ID, ForeignKey("survey_responses.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(primary_key=True, default=0)
    survey_id: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    number: Mapped[int | None]  # scale answers, for AVG


# --- small lookups -----------------------------------------------------------------------


def get_survey(session: Session, survey_id: str) -> Survey | None:
    """A survey by id."""
    return session.get(Survey, survey_id)


def list_surveys(session: Session) -> list[dict]:
    """Every survey with its dates and number of responses, newest first."""
    counts = (
        select(SurveyResponse.survey_id, func.count().label("n"))
        .group_by(SurveyResponse.survey_id)
        .subquery()
    )
    rows = session.execute(
        select(Survey, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.survey_id == Survey.id)
        .order_by(Survey.opens_at.desc(), Survey.id)
    ).all()
    return [
        {
            "id": s.id,
            "title": s.title,
            "version": s.version,
            "anonymous": s.anonymous,
            "opens_at": s.opens_at,
            "closes_at": s.closes_at,
            "questions": len(s.questions),
            "responses": n,
        }
        for s, n in rows
    ]


def open_surveys(session: Session, now: datetime) -> list[Survey]:
    """Surveys open now, by closing time."""
    return list(
        session.scalars(
            select(Survey)
            .where(Survey.opens_at <= now, Survey.closes_at > now)
            .order_by(Survey.closes_at, Survey.id)
        )
    )


def completion(session: Session, resident_id: int, survey_id: str) -> SurveyCompletion | None:
    """The resident's completion record for a survey."""
    return session.get(SurveyCompletion, (resident_id, survey_id))


def completed_ids(session: Session, resident_id: int) -> set[str]:
    """Ids of the surveys this resident has finished."""
    return set(
        session.scalars(
            select(SurveyCompletion.survey_id).where(
                SurveyCompletion.resident_id == resident_id,
                SurveyCompletion.completed_on.is_not(None),
            )
        )
    )


def has_responses(session: Session, survey_id: str) -> bool:
    """True when at least one response is stored."""
    return bool(session.scalar(select(exists().where(SurveyResponse.survey_id == survey_id))))


def response_count(session: Session, survey_id: str) -> int:
    """How many responses a survey has."""
    stmt = select(func.count()).select_from(SurveyResponse)
    return session.scalar(stmt.where(SurveyResponse.survey_id == survey_id))


def town_day(moment: datetime, tz: str = "Asia/Tokyo") -> date:
    """The calendar day of a moment in the town's time zone."""
    return moment.astimezone(ZoneInfo(tz)).date()


# --- segments -------------------------------------------------------------------------------


def answered_clause(survey_id: str, resident_id_column: Any):
    """SQL: the resident (column) has finished the survey (for `answered=` segments)."""
    return exists().where(
        SurveyCompletion.resident_id == resident_id_column,
        SurveyCompletion.survey_id == survey_id,
        SurveyCompletion.completed_on.is_not(None),
    )


def not_answered_clause(survey_id: str, resident_id_column: Any):
    """SQL: the resident (column) has not finished the survey (for `not_answered=`)."""
    return ~answered_clause(survey_id, resident_id_column)


# --- writing a response --------------------------------------------------------------------


def record_start(session: Session, resident_id: int, survey_id: str, now: datetime) -> None:
    """Note that the resident started (once; a completion record without a day)."""
    if completion(session, resident_id, survey_id) is None:
        session.add(SurveyCompletion(resident_id=resident_id, survey_id=survey_id, started_at=now))
        session.flush()


def submit(
    session: Session,
    survey: Survey,
    resident_id: int,
    answers: dict[str, list],
    profile: dict,
    now: datetime,
    tz: str = "Asia/Tokyo",
    channel: str = "line",
    secret: str | None = None,
) -> int | None:
    """Store a resident's finished response; None (nothing written) if they already answered.

    `answers` maps question id → list of values (choice values, one number, or one text).
    Anonymous surveys: the answer goes to the holding pool (db/anonymous_pool.py) in this
    transaction, sealed with `secret` (default: the app's SECRET_KEY).
    """
    day = town_day(now, tz)
    record_start(session, resident_id, survey.id, now)
    done = completion(session, resident_id, survey.id)
    if done.completed_on is not None:
        return None
    done.completed_on = day
    return write_response(
        session,
        survey,
        answers,
        profile,
        now,
        tz,
        channel=channel,
        resident_id=None if survey.anonymous else resident_id,
        secret=secret,
    )


def write_response(
    session: Session,
    survey: Survey,
    answers: dict[str, list],
    profile: dict,
    now: datetime,
    tz: str = "Asia/Tokyo",
    *,
    channel: str,
    resident_id: int | None = None,
    secret: str | None = None,
) -> int:
    """Write one response and its answers (no completion record: web and paper have none).

    Anonymous surveys: held in the pool instead (its pool id is returned), and its group
    written once it holds K answers (db/anonymous_pool.py).
    """
    day = town_day(now, tz)
    if survey.anonymous:
        from db import anonymous_pool

        pooled = anonymous_pool.pool(
            session, survey, answers, profile, channel=channel, day=day, secret=secret
        )
        anonymous_pool.release_full(session, survey, day, secret)
        return pooled
    response_id = secrets.randbelow(2**62) + 1
    session.add(
        SurveyResponse(
            id=response_id,
            survey_id=survey.id,
            survey_version=survey.version,
            resident_id=resident_id,
            submitted_on=day,
            submitted_at=None if survey.anonymous else now,
            age_band=profile.get("age_band"),
            district=profile.get("district"),
            residency=profile.get("residency"),
            channel=channel,
        )
    )
    session.flush()
    rows = []
    for q in survey.questions:
        for position, value in enumerate(answers.get(q["id"]) or []):
            rows.append(
                SurveyAnswer(
                    response_id=response_id,
                    question_id=q["id"],
                    position=position,
                    survey_id=survey.id,
                    value=str(value),
                    number=int(value) if q["type"] == "scale" else None,
                )
            )
    session.add_all(rows)
    session.flush()
    return response_id


# --- results ---------------------------------------------------------------------------------


def _cell(n: int, anonymous: bool) -> int | str:
    return SUPPRESSED if anonymous and n < SUPPRESS_BELOW else n


def _share(n: int, total: int) -> float | None:
    return round(100.0 * n / total, 1) if total else None


def check_channel(channel: str | None) -> None:
    """Refuse a channel filter that is not one of CHANNELS (None: every channel)."""
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; choose one of {', '.join(CHANNELS)}")


def _only(stmt, channel: str | None):
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


def respondent_groups(
    session: Session, survey_id: str, channel: str | None = None
) -> dict[tuple, int]:
    """Responses per (age band, district), for comparing with the population."""
    stmt = select(SurveyResponse.age_band, SurveyResponse.district, func.count()).where(
        SurveyResponse.survey_id == survey_id
    )
    if channel is not None:
        stmt = stmt.where(SurveyResponse.channel == channel)
    rows = session.execute(stmt.group_by(SurveyResponse.age_band, SurveyResponse.district))
    return {(band, district): count for band, district, count in rows}


def respondent_groups_by_channel(session: Session, survey_id: str) -> dict[tuple, int]:
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
) -> dict[tuple, int]:
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
) -> list[tuple]:
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


def crosstab(session: Session, survey: Survey, by: str, channel: str | None = None) -> dict:
    """Counts and shares per group for every choice and scale question; small cells suppressed.

    Shares are of the group's respondents to that question. In anonymous surveys any cell
    (and any group total) under 5 respondents is `"<5"` and has no share. `channel` restricts
    every count to one channel's responses.
    """
    questions = [q for q in survey.questions if q["type"] in CHOICE_TYPES]
    rows = crosstab_counts(session, survey.id, by, [q["id"] for q in questions], channel)
    return _tabulate(survey, questions, by, rows)


def crosstabs(
    session: Session, survey: Survey, dims: tuple[str, ...], channel: str | None = None
) -> dict[str, dict]:
    """Several cross-tabs from one GROUP BY over all their dimensions (one pass over answers).

    The statement groups by every dimension at once; each cross-tab then sums its own
    dimension's rows. Same result as calling `crosstab` per dimension.
    """
    dims = tuple(dims)
    if len(dims) < 2:
        return {dim: crosstab(session, survey, dim, channel) for dim in dims}
    questions = [q for q in survey.questions if q["type"] in CHOICE_TYPES]
    rows = crosstab_counts(session, survey.id, dims, [q["id"] for q in questions], channel)
    sums: list[dict[tuple, list[int]]] = [{} for _ in dims]
    for groups, qid, value, n, first in rows:
        for i, group in enumerate(groups):
            acc = sums[i].setdefault((group, qid, value), [0, 0])
            acc[0] += n
            acc[1] += int(first or 0)
    return {
        dim: _tabulate(survey, questions, dim, [(*key, n, f) for key, (n, f) in sums[i].items()])
        for i, dim in enumerate(dims)
    }


def _group_order(by: str):
    """Groups in a stable order: channels as CHANNELS lists them, others sorted."""
    if by == CHANNEL:
        return lambda item: (CHANNELS.index(item[0]) if item[0] in CHANNELS else 99, item[0])
    return lambda item: item[0]


def _tabulate(survey: Survey, questions: list[dict], by: str, rows) -> dict:
    """The cross-tab dict from (group, question id, value, count, first choices) rows."""
    cells: dict[str, dict] = {q["id"]: {} for q in questions}
    totals: dict[tuple[str, str], int] = {}
    for group, qid, value, n, first in rows:
        cells[qid].setdefault(group or "", {})[value] = n
        totals[(qid, group or "")] = totals.get((qid, group or ""), 0) + int(first or 0)
    out: dict[str, dict] = {}
    for q in questions:
        groups = {}
        for group, counts in sorted(cells[q["id"]].items(), key=_group_order(by)):
            total = totals.get((q["id"], group)) or sum(counts.values())
            row = {"total": _cell(total, survey.anonymous), "cells": {}}
            for value in _values(q):
                n = counts.get(value, 0)
                shown = _cell(n, survey.anonymous)
                suppressed = shown == SUPPRESSED or row["total"] == SUPPRESSED
                row["cells"][value] = {
                    "count": SUPPRESSED if suppressed else n,
                    "share": None if suppressed else _share(n, total),
                }
            groups[group] = row
        out[q["id"]] = groups
    return out


def _values(q: dict) -> list[str]:
    if q["type"] == "scale":
        return [str(v) for v in range(q["min"], q["max"] + 1)]
    return [c["value"] for c in q["choices"]]


def survey_results(
    session: Session,
    survey_id: str,
    by: tuple[str, ...] = DIMENSIONS,
    channel: str | None = None,
) -> dict:
    """Everything the office reads: counts and shares, scale stats, cross-tabs, suppression.

    Returns {"survey": {...}, "responses": n, "channels": {line, web, paper: n}, "channel":
    the filter or None, "questions": [{id, type, text, answered, choices: [{value, label,
    count, share}], mean, median, distribution, texts}], "crosstabs": {dimension: {question
    id: {group: {total, cells}}}}, "suppressed_below": 5}. `by` may include "channel".

    `channel` restricts every count to that channel's responses. A channel's results are a
    group like a cross-tab's row, so in anonymous surveys they are suppressed the same way:
    counts under 5 are "<5" without a share, and mean and median need 5 answers.
    """
    check_channel(channel)
    survey = get_survey(session, survey_id)
    if survey is None:
        raise KeyError(survey_id)
    channels = channel_counts(session, survey_id, channel)
    total = sum(channels.values())
    counts = question_counts(session, survey_id, channel)
    answered = question_respondents(session, survey_id, channel)
    means = scale_means(session, survey_id, channel)
    small = survey.anonymous and channel is not None  # a group: suppress as a cross-tab row
    questions = []
    for q in survey.questions:
        n = answered.get(q["id"], 0)
        hidden = small and n < SUPPRESS_BELOW
        item: dict = {
            "id": q["id"],
            "type": q["type"],
            "text": q["text"]["ja"],
            "answered": SUPPRESSED if hidden else n,
        }
        if q["type"] in CHOICE_TYPES:
            labels = {c["value"]: c["label"]["ja"] for c in q.get("choices", [])}
            item["choices"] = []
            for v in _values(q):
                k = counts.get((q["id"], v), 0)
                cut = small and (hidden or k < SUPPRESS_BELOW)
                item["choices"].append(
                    {
                        "value": v,
                        "label": labels.get(v, v),
                        "count": SUPPRESSED if cut else k,
                        "share": None if cut else _share(k, n),
                    }
                )
        if q["type"] == "scale":
            dist = {int(v): counts.get((q["id"], v), 0) for v in _values(q)}
            item["distribution"] = {v: _cell(k, True) for v, k in dist.items()} if small else dist
            item["mean"] = round(means[q["id"]], 2) if q["id"] in means and not hidden else None
            item["median"] = None if hidden else _median(dist)
        if q["type"] == "text":
            item["texts"] = item["answered"]
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


def responses_between(session: Session, survey_id: str, start: datetime, end: datetime) -> dict:
    """Responses between start and end (by town day) and in total, per channel; LINE starts.

    Returns {"started": n, "finished": n, "total": n, "completion_rate": % or None,
    "by_channel": {line, web, paper: {"week": n, "total": n}}}. `finished` and `total` count
    responses of every channel; `started` and `completion_rate` (finished of started) are
    LINE chat's, the only channel with a start on record.
    """
    first, last = town_day(start), town_day(end - timedelta(microseconds=1))
    r = SurveyResponse
    in_period = and_(r.submitted_on >= first, r.submitted_on <= last)
    rows = session.execute(
        select(r.channel, func.count(), func.count().filter(in_period))
        .where(r.survey_id == survey_id)
        .group_by(r.channel)
    ).all()
    found = {ch: (total, week) for ch, total, week in rows}
    by_channel = {
        ch: {"week": found.get(ch, (0, 0))[1], "total": found.get(ch, (0, 0))[0]} for ch in CHANNELS
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
    return {
        "started": started,
        "finished": sum(c["week"] for c in by_channel.values()),
        "total": sum(c["total"] for c in by_channel.values()),
        "completion_rate": _share(completed, ever_started),
        "by_channel": by_channel,
    }


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
) -> Iterator[tuple[dict, dict]]:
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
    keys = ("id", "submitted_on", "channel", "resident_id", "age_band", "district", "residency")
    current: dict | None = None
    answers: dict[str, list] = {}
    for row in session.execute(stmt):
        if current is None or row[0] != current["id"]:
            if current is not None:
                yield current, answers
            current, answers = dict(zip(keys, row[:7], strict=True)), {}
        if row[7] is not None:
            answers.setdefault(row[7], []).append(row[8])
    if current is not None:
        yield current, answers


def write_responses(
    session: Session,
    survey: Survey,
    items: list[dict],
    today: date | None = None,
    secret: str | None = None,
    tz: str | None = None,
) -> int:
    """Write many responses in two multi-row INSERTs (imports); random ids as write_response.

    Each item: {answers, profile, day, at, channel}; `at` is kept for named surveys only.
    Anonymous surveys: every item goes to the pool (bulk INSERTs of 1,000) and full groups
    are written (shuffled, with the day `today`, default today in the town's zone `tz`).
    """
    if not survey.anonymous:
        return insert_responses(session, survey, items)
    from db import anonymous_pool

    if today is None:
        if tz is None:
            raise TypeError("write_responses needs `today` or the town's time zone `tz`")
        today = town_day(utcnow(), tz)
    for at in range(0, len(items), anonymous_pool.BATCH):
        chunk = items[at : at + anonymous_pool.BATCH]
        anonymous_pool.pool_many(session, survey, chunk, today, secret)
    anonymous_pool.release_full(session, survey, today, secret)
    return len(items)


def flush_pending(
    session: Session,
    force: bool = False,
    now: datetime | None = None,
    tz: str = "Asia/Tokyo",
    secret: str | None = None,
) -> int:
    """Write pooled anonymous answers: full groups (and, with `force`, everything, as at
    every survey's close); the clock's job is `anonymous_pool.flush_due`."""
    from db import anonymous_pool

    day = town_day(now or utcnow(), tz)
    ids = session.scalars(select(anonymous_pool.PendingAnswer.survey_id).distinct()).all()
    written = 0
    for survey in session.scalars(select(Survey).where(Survey.id.in_(ids)).order_by(Survey.id)):
        if force:
            written += anonymous_pool.flush_survey(session, survey, day, secret)
        else:
            written += anonymous_pool.release_full(session, survey, day, secret)
    return written


def stored_answers(session: Session, survey_id: str) -> int:
    """Responses written plus anonymous answers held in the pool (both bind the questions)."""
    from db import anonymous_pool

    return response_count(session, survey_id) + anonymous_pool.pending_count(session, survey_id)


def insert_responses(session: Session, survey: Survey, items: list[dict]) -> int:
    """The INSERTs themselves, in the items' order; an item's `version` and `resident_id`
    default to the survey's version and none."""
    responses, rows = [], []
    kinds = {q["id"]: q["type"] for q in survey.questions}
    for item in items:
        response_id = secrets.randbelow(2**62) + 1
        profile = item["profile"]
        responses.append(
            {
                "id": response_id,
                "survey_id": survey.id,
                "survey_version": item.get("version", survey.version),
                "resident_id": item.get("resident_id"),
                "submitted_on": item["day"],
                "submitted_at": None if survey.anonymous else item["at"],
                "age_band": profile.get("age_band"),
                "district": profile.get("district"),
                "residency": profile.get("residency"),
                "channel": item["channel"],
            }
        )
        for question_id, values in item["answers"].items():
            for position, value in enumerate(values):
                rows.append(
                    {
                        "response_id": response_id,
                        "question_id": question_id,
                        "position": position,
                        "survey_id": survey.id,
                        "value": str(value),
                        "number": int(value) if kinds.get(question_id) == "scale" else None,
                    }
                )
    insert_rows(session, SurveyResponse.__table__, responses)  # one executemany per table
    insert_rows(session, SurveyAnswer.__table__, rows)
    return len(responses)


def insert_rows(session: Session, table, data: list[dict]) -> None:
    """One executemany of plain rows into a table (nothing if there are none)."""
    from sqlalchemy import insert

    if not data:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _sqlite_executemany(connection, table, data)
    else:  # psycopg2: Core batches the rows into multi-row INSERTs (insertmanyvalues)
        connection.execute(insert(table), data)


def _sqlite_executemany(connection, table, data: list[dict]) -> None:
    """The driver's executemany with each value through its column's own bind processor
    (what Core would do, without Core's per-row bookkeeping, a third of the time)."""
    dialect = connection.dialect
    names = list(data[0])
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
    pairs = list(zip(names, procs, strict=True))
    connection.exec_driver_sql(
        sql, [tuple(p(row[n]) if p else row[n] for n, p in pairs) for row in data]
    )
