"""The shapes of the weekly digest: when it goes (Schedule), which week (Period), its parts.

A `Digest` is a list of `Section`s (lines, tables, charts, `missing`, `short`); every section
function receives `Inputs`. The number formats (`n`, `pct`) are shared by the sections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, SQLColumnExpression
from sqlalchemy.orm import Session

from handlers.survey_cells import Cell
from handlers.town import Town
from messages.digest import say
from messages.text import WEEKDAYS

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # as APScheduler's cron names them


@dataclass(frozen=True)
class Schedule:
    """When the digest goes out (town time) and to which addresses."""

    day_of_week: str = "mon"
    hour: int = 9
    minute: int = 0
    emails: tuple[str, ...] = ()

    def cron(self) -> dict[str, str | int]:
        """APScheduler cron trigger arguments."""
        return {"day_of_week": self.day_of_week, "hour": self.hour, "minute": self.minute}

    def label(self) -> str:
        """e.g. 毎週月曜 09:00."""
        weekday = WEEKDAYS["ja"][DAYS.index(self.day_of_week)]
        return say("schedule", weekday=weekday, hour=self.hour, minute=self.minute)

    def latest(self, now: datetime, tz: ZoneInfo) -> datetime:
        """The most recent scheduled moment at or before now."""
        local = now.astimezone(tz)
        back = (local.weekday() - DAYS.index(self.day_of_week)) % 7
        day = local.date() - timedelta(days=back)
        at = datetime.combine(day, time(self.hour, self.minute), tzinfo=tz)
        if at > local:
            at = datetime.combine(day - timedelta(days=7), time(self.hour, self.minute), tzinfo=tz)
        return at


@dataclass(frozen=True)
class Period:
    """Seven whole days in the town's time zone: [start, end)."""

    start: datetime
    end: datetime

    @classmethod
    def ending(cls, day: date, tz: ZoneInfo) -> Period:
        """The seven days before `day` (the day of the digest)."""
        end = datetime.combine(day, time(0), tzinfo=tz)
        start = datetime.combine(day - timedelta(days=7), time(0), tzinfo=tz)
        return cls(start, end)

    @classmethod
    def before(cls, moment: datetime, tz: ZoneInfo) -> Period:
        """The seven whole days before the day of `moment`."""
        return cls.ending(moment.astimezone(tz).date(), tz)

    @property
    def key(self) -> str:
        """The first day, e.g. 2026-11-24 (names the run in job_runs and retry keys)."""
        return self.start.date().isoformat()

    @property
    def last_day(self) -> date:
        """The last day in the period."""
        return self.end.date() - timedelta(days=1)

    @property
    def label(self) -> str:
        """e.g. 11/24〜11/30."""
        s, e = self.start.date(), self.last_day
        return say("period", sm=s.month, sd=s.day, em=e.month, ed=e.day)


@dataclass
class Table:
    """A small table: headers and rows of text."""

    title: str
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Chart:
    """A PNG chart, sent inline in the e-mail under its Content-ID."""

    cid: str
    title: str
    png: bytes


@dataclass
class Section:
    """One part of the digest; `missing` explains why it is empty, `short` goes to LINE."""

    key: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    missing: str | None = None
    short: str = ""


@dataclass
class Inputs:
    """What every section function receives."""

    session: Session
    period: Period
    now: datetime
    town: Town
    tz: ZoneInfo
    quota: tuple[str, int | None, int] | None = None  # gateway.quota(), None when it failed
    words: str = "live"  # free-text words: "live" (clock), "stored" (console: no analyser)
    numbers: dict[str, Any] = field(default_factory=dict)  # sections record their figures here


@dataclass
class Digest:
    """The digest for one period: sections in order, and every figure by name."""

    town: str
    period: Period
    generated_at: datetime
    sections: list[Section]
    numbers: dict[str, Any]

    @property
    def charts(self) -> list[Chart]:
        """Every chart, in order."""
        return [c for s in self.sections for c in s.charts]


def pct(part: float, whole: float) -> str:
    """A share as 12.3% (— when there is nothing to divide by)."""
    return f"{part / whole * 100:.1f}%" if whole else "—"


def n(value: int | str | Cell) -> str:
    """A count with thousands separators (a hidden count, a Cell, shows its mark: <5)."""
    return value if isinstance(value, str) else f"{value:,}"


def in_period(column: SQLColumnExpression[datetime], period: Period) -> ColumnElement[bool]:
    """column within [start, end)."""
    return (column >= period.start) & (column < period.end)
