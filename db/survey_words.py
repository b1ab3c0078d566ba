"""The frequent words of free-text answers as the clock counted them (the `words` job).

One row per (survey, free-text question, channel): the words with the number of answers
using each, how many answers they were counted from, and when (UTC). `channel` is one of
db.survey_channels.CHANNELS, or ALL for every channel together. Web workers read these rows
and never run the Japanese analyser (docs/performance.md, "Web worker memory"). What a view
may show of them (the small-cell rule) is decided in handlers/survey_results.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.base import Base
from db.survey_models import SurveyAnswer, SurveyResponse

ALL = "all"  # the row counted over every channel (a key column cannot be NULL)


class SurveyWords(Base):
    """The frequent words of one free-text question, over one channel or all of them."""

    __tablename__ = "survey_words"

    survey_id: Mapped[str] = mapped_column(
        ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), primary_key=True)  # line|web|paper|all
    words: Mapped[list[Any]] = mapped_column()  # [[word, answers using it], …], most first
    answers: Mapped[int]  # the free-text answers they were counted from
    counted_at: Mapped[datetime]


@dataclass(frozen=True)
class CountedWords:
    """Stored words as a view reads them."""

    words: list[tuple[str, int]]
    answers: int
    counted_at: datetime


def counted(session: Session, survey_id: str) -> dict[tuple[str, str], CountedWords]:
    """(question id, channel or ALL) → the words stored for this survey."""
    rows = session.scalars(select(SurveyWords).where(SurveyWords.survey_id == survey_id))
    return {
        (r.question_id, r.channel): CountedWords(
            [(str(w), int(n)) for w, n in r.words], r.answers, r.counted_at
        )
        for r in rows
    }


def answers_counted(session: Session, survey_id: str) -> dict[tuple[str, str], int]:
    """(question id, channel or ALL) → the answers the stored words were counted from."""
    stmt = select(SurveyWords.question_id, SurveyWords.channel, SurveyWords.answers).where(
        SurveyWords.survey_id == survey_id
    )
    return {(q, ch): n for q, ch, n in session.execute(stmt)}


def answers_now(
    session: Session, survey_id: str, question_ids: Iterable[str]
) -> dict[tuple[str, str], int]:
    """(question id, channel) → the answers written to these questions now (no ALL key)."""
    ids = list(question_ids)
    if not ids:
        return {}
    a, r = SurveyAnswer, SurveyResponse
    stmt = (
        select(a.question_id, r.channel, func.count())
        .join(r, r.id == a.response_id)
        .where(a.survey_id == survey_id, a.question_id.in_(ids))
        .group_by(a.question_id, r.channel)
    )
    return {(q, ch): n for q, ch, n in session.execute(stmt)}


def texts_by_channel(
    session: Session, survey_id: str, question_id: str
) -> Iterator[tuple[str, str]]:
    """(channel, text) of every answer to one question, streamed."""
    a, r = SurveyAnswer, SurveyResponse
    stmt = (
        select(r.channel, a.value)
        .join(r, r.id == a.response_id)
        .where(a.survey_id == survey_id, a.question_id == question_id)
        .execution_options(yield_per=1000)
    )
    for channel, value in session.execute(stmt):  # rows as plain (channel, text) pairs
        yield str(channel), str(value)


def store(
    session: Session,
    survey_id: str,
    question_id: str,
    channel: str,
    words: list[tuple[str, int]],
    answers: int,
    at: datetime,
) -> None:
    """Keep the words counted for (survey, question, channel), replacing what was there
    (INSERT … ON CONFLICT DO UPDATE: two clocks counting at once both succeed)."""
    assert session.bind is not None  # the app's sessions are bound to its engine
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    values = {"words": [[w, n] for w, n in words], "answers": answers, "counted_at": at}
    stmt = insert(SurveyWords).values(
        survey_id=survey_id, question_id=question_id, channel=channel, **values
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["survey_id", "question_id", "channel"], set_=values
        )
    )
