"""Surveys: definitions, responses, answers, completion records; results and cross-tabs in SQL.

Anonymity: a response of an anonymous survey carries no resident id and only the day it was
submitted (in the town's time zone); its id is random, and answers have no surrogate key, so
neither row order nor ids line up with the completion record (resident, survey) that prevents
a second response.

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

CHOICE_TYPES = ("single", "multi", "scale")
DIMENSIONS = ("age_band", "district", "residency")
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
) -> int | None:
    """Store a finished response; None (and nothing written) if the resident already answered.

    `answers` maps question id → list of values (choice values, one number, or one text).
    """
    day = town_day(now, tz)
    record_start(session, resident_id, survey.id, now)
    done = completion(session, resident_id, survey.id)
    if done.completed_on is not None:
        return None
    done.completed_on = day
    response_id = secrets.randbelow(2**62) + 1
    session.add(
        SurveyResponse(
            id=response_id,
            survey_id=survey.id,
            survey_version=survey.version,
            resident_id=None if survey.anonymous else resident_id,
            submitted_on=day,
            submitted_at=None if survey.anonymous else now,
            age_band=profile.get("age_band"),
            district=profile.get("district"),
            residency=profile.get("residency"),
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


def question_counts(session: Session, survey_id: str) -> dict[tuple[str, str], int]:
    """(question id, value) → number of answers, for every question."""
    rows = session.execute(
        select(SurveyAnswer.question_id, SurveyAnswer.value, func.count())
        .where(SurveyAnswer.survey_id == survey_id)
        .group_by(SurveyAnswer.question_id, SurveyAnswer.value)
    )
    return {(q, v): n for q, v, n in rows}


def question_respondents(session: Session, survey_id: str) -> dict[str, int]:
    """Question id → number of responses that answered it."""
    rows = session.execute(
        select(SurveyAnswer.question_id, func.count(SurveyAnswer.response_id.distinct()))
        .where(SurveyAnswer.survey_id == survey_id)
        .group_by(SurveyAnswer.question_id)
    )
    return dict(rows.all())


def scale_means(session: Session, survey_id: str) -> dict[str, float]:
    """Question id → mean of the scale answers."""
    rows = session.execute(
        select(SurveyAnswer.question_id, func.avg(SurveyAnswer.number))
        .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.number.is_not(None))
        .group_by(SurveyAnswer.question_id)
    )
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


def respondent_groups(session: Session, survey_id: str) -> dict[tuple, int]:
    """Responses per (age band, district), for comparing with the population."""
    rows = session.execute(
        select(SurveyResponse.age_band, SurveyResponse.district, func.count())
        .where(SurveyResponse.survey_id == survey_id)
        .group_by(SurveyResponse.age_band, SurveyResponse.district)
    )
    return {(band, district): count for band, district, count in rows}


def crosstab_counts(
    session: Session, survey_id: str, by: str, question_ids: list[str]
) -> list[tuple[str | None, str, str, int, int]]:
    """(group, question id, value, count, first choices) in one GROUP BY over answers.

    `first choices` counts the answers at position 0: each respondent to a question has
    exactly one, so their sum over a question's values is its respondents (the denominator
    for multiple choice) without a second, DISTINCT query.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"cross-tab by {by!r}: choose one of {', '.join(DIMENSIONS)}")
    group = getattr(SurveyResponse, by)
    first = func.sum(case((SurveyAnswer.position == 0, 1), else_=0))
    return [
        tuple(row)
        for row in session.execute(
            select(group, SurveyAnswer.question_id, SurveyAnswer.value, func.count(), first)
            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
            .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id.in_(question_ids))
            .group_by(group, SurveyAnswer.question_id, SurveyAnswer.value)
        )
    ]


def crosstab(session: Session, survey: Survey, by: str) -> dict:
    """Counts and shares per group for every choice and scale question; small cells suppressed.

    Shares are of the group's respondents to that question. In anonymous surveys any cell
    (and any group total) under 5 respondents is `"<5"` and has no share.
    """
    questions = [q for q in survey.questions if q["type"] in CHOICE_TYPES]
    ids = [q["id"] for q in questions]
    cells: dict[str, dict] = {qid: {} for qid in ids}
    totals: dict[tuple[str, str], int] = {}
    for group, qid, value, n, first in crosstab_counts(session, survey.id, by, ids):
        cells[qid].setdefault(group or "", {})[value] = n
        totals[(qid, group or "")] = totals.get((qid, group or ""), 0) + int(first or 0)
    out: dict[str, dict] = {}
    for q in questions:
        groups = {}
        for group, counts in sorted(cells[q["id"]].items()):
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


def survey_results(session: Session, survey_id: str, by: tuple[str, ...] = DIMENSIONS) -> dict:
    """Everything the office reads: counts and shares, scale stats, cross-tabs, suppression.

    Returns {"survey": {...}, "responses": n, "questions": [{id, type, text, answered,
    choices: [{value, label, count, share}], mean, median, distribution, texts}],
    "crosstabs": {dimension: {question id: {group: {total, cells}}}}, "suppressed_below": 5}.
    """
    survey = get_survey(session, survey_id)
    if survey is None:
        raise KeyError(survey_id)
    total = session.scalar(
        select(func.count())
        .select_from(SurveyResponse)
        .where(SurveyResponse.survey_id == survey_id)
    )
    counts = question_counts(session, survey_id)
    answered = question_respondents(session, survey_id)
    means = scale_means(session, survey_id)
    questions = []
    for q in survey.questions:
        n = answered.get(q["id"], 0)
        item: dict = {"id": q["id"], "type": q["type"], "text": q["text"]["ja"], "answered": n}
        if q["type"] in CHOICE_TYPES:
            labels = {c["value"]: c["label"]["ja"] for c in q.get("choices", [])}
            item["choices"] = [
                {
                    "value": v,
                    "label": labels.get(v, v),
                    "count": counts.get((q["id"], v), 0),
                    "share": _share(counts.get((q["id"], v), 0), n),
                }
                for v in _values(q)
            ]
        if q["type"] == "scale":
            dist = {int(c["value"]): c["count"] for c in item["choices"]}
            item["distribution"] = dist
            item["mean"] = round(means[q["id"]], 2) if q["id"] in means else None
            item["median"] = _median(dist)
        if q["type"] == "text":
            item["texts"] = n
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
        "questions": questions,
        "crosstabs": {dim: crosstab(session, survey, dim) for dim in by},
        "suppressed_below": SUPPRESS_BELOW if survey.anonymous else None,
    }


def responses_between(session: Session, survey_id: str, start: datetime, end: datetime) -> dict:
    """Started and finished between start and end (finished by town day), and the total.

    Returns {"started": n, "finished": n, "completion_rate": % or None, "total": n}.
    """
    first, last = town_day(start), town_day(end - timedelta(microseconds=1))
    started = session.scalar(
        select(func.count())
        .select_from(SurveyCompletion)
        .where(
            SurveyCompletion.survey_id == survey_id,
            SurveyCompletion.started_at >= start,
            SurveyCompletion.started_at < end,
        )
    )
    finished = session.scalar(
        select(func.count())
        .select_from(SurveyCompletion)
        .where(
            SurveyCompletion.survey_id == survey_id,
            and_(SurveyCompletion.completed_on >= first, SurveyCompletion.completed_on <= last),
        )
    )
    total = session.scalar(
        select(func.count())
        .select_from(SurveyCompletion)
        .where(SurveyCompletion.survey_id == survey_id, SurveyCompletion.completed_on.is_not(None))
    )
    ever_started = session.scalar(
        select(func.count())
        .select_from(SurveyCompletion)
        .where(SurveyCompletion.survey_id == survey_id)
    )
    return {
        "started": started,
        "finished": finished,
        "total": total,
        "completion_rate": _share(total, ever_started),
    }


def text_answers(session: Session, survey_id: str, question_id: str) -> Iterator[str]:
    """The free-text answers to a question, streamed."""
    yield from session.scalars(
        select(SurveyAnswer.value)
        .where(SurveyAnswer.survey_id == survey_id, SurveyAnswer.question_id == question_id)
        .execution_options(yield_per=1000)
    )


def export_rows(session: Session, survey_id: str) -> Iterator[tuple[dict, dict]]:
    """Each response ({id, submitted_on, resident_id, age_band, district, residency}) with its
    answers ({question id: [values]}), streamed from one ordered query (server-side cursor)."""
    r, a = SurveyResponse, SurveyAnswer
    stmt = (
        select(
            r.id,
            r.submitted_on,
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
    keys = ("id", "submitted_on", "resident_id", "age_band", "district", "residency")
    current: dict | None = None
    answers: dict[str, list] = {}
    for row in session.execute(stmt):
        if current is None or row[0] != current["id"]:
            if current is not None:
                yield current, answers
            current, answers = dict(zip(keys, row[:6], strict=True)), {}
        if row[6] is not None:
            answers.setdefault(row[6], []).append(row[7])
    if current is not None:
        yield current, answers
