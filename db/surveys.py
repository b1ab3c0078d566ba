"""Surveys: lookups and segment clauses; the area's storage names in one import.

The tables are in db/survey_models.py, writing responses in db/survey_responses.py, the
report queries (counts in SQL) in db/survey_reports.py; their public names are imported here
so `from db import surveys as store` reaches them all. What a view may show of the counts
(small cells hidden, labels, shares) is handlers/survey_report.py.

Segments (announcements): a resident has answered survey X when
`EXISTS (SELECT 1 FROM survey_completions c WHERE c.resident_id = residents.id
AND c.survey_id = 'X' AND c.completed_on IS NOT NULL)`; see `answered_clause`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Exists, exists, func, select
from sqlalchemy.orm import Session

from db.survey_models import (
    ALL_DIMENSIONS,
    CHANNEL,
    CHOICE_TYPES,
    DIMENSIONS,
    RESPONSE_ID,
    Survey,
    SurveyAnswer,
    SurveyCompletion,
    SurveyResponse,
    town_day,
)
from db.survey_reports import (
    attribute_combos,
    channel_counts,
    check_channel,
    crosstab_counts,
    export_rows,
    question_counts,
    question_respondents,
    respondent_groups,
    respondent_groups_by_channel,
    responses_between,
    scale_means,
    text_answers,
)
from db.survey_responses import (
    flush_pending,
    insert_responses,
    insert_rows,
    record_start,
    stored_answers,
    submit,
    write_response,
    write_responses,
)
from db.survey_rows import SurveyListing

__all__ = [
    "ALL_DIMENSIONS",
    "CHANNEL",
    "CHOICE_TYPES",
    "DIMENSIONS",
    "RESPONSE_ID",
    "Survey",
    "SurveyAnswer",
    "SurveyCompletion",
    "SurveyResponse",
    "answered_clause",
    "attribute_combos",
    "channel_counts",
    "check_channel",
    "completed_ids",
    "completion",
    "crosstab_counts",
    "export_rows",
    "flush_pending",
    "get_survey",
    "has_responses",
    "insert_responses",
    "insert_rows",
    "list_surveys",
    "not_answered_clause",
    "open_surveys",
    "question_counts",
    "question_respondents",
    "record_start",
    "respondent_groups",
    "respondent_groups_by_channel",
    "response_count",
    "responses_between",
    "scale_means",
    "stored_answers",
    "submit",
    "text_answers",
    "town_day",
    "write_response",
    "write_responses",
]

# --- small lookups -----------------------------------------------------------------------


def get_survey(session: Session, survey_id: str) -> Survey | None:
    """A survey by id."""
    return session.get(Survey, survey_id)


def list_surveys(session: Session) -> list[SurveyListing]:
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
        SurveyListing(
            id=s.id,
            title=s.title,
            version=s.version,
            anonymous=s.anonymous,
            opens_at=s.opens_at,
            closes_at=s.closes_at,
            questions=len(s.questions),
            responses=n,
        )
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
    return session.scalar(stmt.where(SurveyResponse.survey_id == survey_id)) or 0


# --- segments -------------------------------------------------------------------------------


def answered_clause(survey_id: str, resident_id_column: Any) -> Exists:
    """SQL: the resident (column) has finished the survey (for `answered=` segments)."""
    return exists().where(
        SurveyCompletion.resident_id == resident_id_column,
        SurveyCompletion.survey_id == survey_id,
        SurveyCompletion.completed_on.is_not(None),
    )


def not_answered_clause(survey_id: str, resident_id_column: Any) -> ColumnElement[bool]:
    """SQL: the resident (column) has not finished the survey (for `not_answered=`)."""
    return ~answered_clause(survey_id, resident_id_column)
