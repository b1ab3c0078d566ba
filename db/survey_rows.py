"""The typed rows the survey queries return (plain dicts to callers, checked by mypy)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TypedDict


class SurveyListing(TypedDict):
    """One survey in the console's list (`db.surveys.list_surveys`)."""

    id: str
    title: str
    version: int
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    questions: int
    responses: int


class ChannelCounts(TypedDict):
    """Responses of one channel: in the period and in total."""

    week: int
    total: int


class ResponseCounts(TypedDict):
    """A survey's responses in a period (`db.survey_reports.responses_between`)."""

    started: int
    finished: int
    total: int
    completion_rate: float | None
    by_channel: dict[str, ChannelCounts]


class ExportedResponse(TypedDict):
    """One response's own columns in an export (`db.survey_reports.export_rows`)."""

    id: int
    submitted_on: date
    channel: str
    resident_id: int | None
    age_band: str | None
    district: str | None
    residency: str | None
