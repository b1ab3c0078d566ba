"""Writing survey responses: starts, finished responses, bulk imports, the anonymous pool's flush.

Anonymous surveys: a finished response goes to the holding pool (db/anonymous_pool.py) in the
same transaction and is written with its group once the group holds K answers.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, func, insert, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.survey_models import Survey, SurveyAnswer, SurveyCompletion, SurveyResponse, town_day


def record_start(session: Session, resident_id: int, survey_id: str, now: datetime) -> None:
    """Note that the resident started (once; a completion record without a day)."""
    if session.get(SurveyCompletion, (resident_id, survey_id)) is None:
        session.add(SurveyCompletion(resident_id=resident_id, survey_id=survey_id, started_at=now))
        session.flush()


def submit(
    session: Session,
    survey: Survey,
    resident_id: int,
    answers: Mapping[str, Sequence[str | int]],
    profile: Mapping[str, str | None],
    now: datetime,
    tz: str,
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
    done = session.get(SurveyCompletion, (resident_id, survey.id))
    assert done is not None  # record_start has just made sure of it
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
    answers: Mapping[str, Sequence[str | int]],
    profile: Mapping[str, str | None],
    now: datetime,
    tz: str,
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


def write_responses(
    session: Session,
    survey: Survey,
    items: Sequence[Mapping[str, Any]],
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
    *,
    tz: str,
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

    stmt = select(func.count()).select_from(SurveyResponse)
    written = session.scalar(stmt.where(SurveyResponse.survey_id == survey_id)) or 0
    return written + anonymous_pool.pending_count(session, survey_id)


def insert_responses(session: Session, survey: Survey, items: Sequence[Mapping[str, Any]]) -> int:
    """The INSERTs themselves, in the items' order; an item's `version` and `resident_id`
    default to the survey's version and none."""
    responses: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
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


def insert_rows(session: Session, table: Table, data: Sequence[Mapping[str, Any]]) -> None:
    """One executemany of plain rows into a table (nothing if there are none)."""
    if not data:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _sqlite_executemany(connection, table, data)
    else:  # psycopg2: Core batches the rows into multi-row INSERTs (insertmanyvalues)
        connection.execute(insert(table), data)


def _sqlite_executemany(
    connection: Connection, table: Table, data: Sequence[Mapping[str, Any]]
) -> None:
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
