"""Survey tables: definitions, completion records, responses and answers (the rows only).

Anonymity: a response of an anonymous survey carries no resident id and only the day it was
written (in the town's time zone); its id is random, and answers have no surrogate key. It is
not written when it is finished: it waits, sealed, in the holding pool (db/anonymous_pool.py)
until its group holds K answers, which are then written together, shuffled, so neither order,
transaction, day nor attributes single out the completion record that prevents a second response.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow

CHOICE_TYPES = ("single", "multi", "scale")
DIMENSIONS = ("age_band", "district", "residency")  # the respondent's profile
CHANNEL = "channel"  # how the response came in: line / web / paper
ALL_DIMENSIONS = (*DIMENSIONS, CHANNEL)  # every cross-tab the console, CLI and exports show
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
    definition: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def questions(self) -> list[dict[str, Any]]:
        """The questions, normalised (choices as {value, label})."""
        questions: list[dict[str, Any]] = self.definition["questions"]
        return questions

    def question(self, question_id: str) -> dict[str, Any] | None:
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


def town_day(moment: datetime, tz: str) -> date:
    """The calendar day of a moment in the town's time zone."""
    return moment.astimezone(ZoneInfo(tz)).date()
