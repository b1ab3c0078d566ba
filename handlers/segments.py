"""Segment expressions → one SQL condition on residents.

Grammar (docs/announcements.md): space-separated conditions, all of which must hold;
a condition is `field=value[,value…]` (any of the values). The fields are one list,
`FIELDS` at the bottom (add one there: a name, its valid values, its SQL condition). Example:

    district=七ツ森,磐梯 age=20代,30代 not_answered=resident-2026

`compile_segment` returns SQL clauses over `residents`; the caller puts them in one
SELECT (a count for a dry run, or the source of an INSERT … SELECT). Exclusions
(blocked residents, stopped topics) are added by `exclusions`, at send time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, false, func, not_, or_, select, true
from sqlalchemy.orm import Session

from db import events, surveys
from db.broadcasts import STOP_ALL, NotifyOptOut
from db.models import Resident, ResidentTopic
from handlers import named
from handlers.town import Town
from messages.catalog import CATALOGS
from messages.text import LIST_SEP, RESIDENCIES, nfkc


class SegmentError(ValueError):
    """The expression is not valid; the message names the problem and the valid choices."""


@dataclass(frozen=True)
class Field:
    """A segment field: its valid values and the SQL condition for a list of them."""

    name: str
    about: str
    values: Callable[[Session, Town], Sequence[str] | None]
    condition: Callable[[list[str]], ColumnElement[bool]]
    aliases: Callable[[Session, Town], dict[str, str]] | None = None  # other spelling → value


def norm(value: str) -> str:
    """A value as compared: NFKC, trimmed, case-folded."""
    return nfkc(value, strip=True, casefold=True)


@dataclass(frozen=True)
class Condition:
    """One parsed `field=value,…` (values canonical)."""

    field: str
    values: tuple[str, ...]


def parse(expression: str) -> list[tuple[str, list[str]]]:
    """Split an expression into (field, raw values); raises SegmentError on bad syntax."""
    out = []
    text = nfkc(expression, strip=True)
    for part in text.split():
        name, sep, raw = part.partition("=")
        values = [v for v in raw.replace(LIST_SEP["ja"], ",").split(",") if v.strip()]
        if not sep or not name or not values:
            raise SegmentError(
                f"{part!r}: a condition is field=value[,value…] (fields: {', '.join(FIELDS)})"
            )
        out.append((name.strip().lower(), [v.strip() for v in values]))
    return out


def conditions(session: Session, town: Town, expression: str) -> list[Condition]:
    """Parse and check every field and value; raises SegmentError listing the valid ones."""
    out = []
    for name, raw_values in parse(expression):
        field = FIELDS.get(name)
        if field is None:
            raise SegmentError(f"unknown field {name!r}; valid fields: {', '.join(FIELDS)}")
        valid = field.values(session, town)
        if valid is None:
            raise SegmentError(f"field {name!r} is not available: {field.about}")
        lookup = {norm(v): v for v in valid}
        if field.aliases is not None:
            lookup.update({norm(k): v for k, v in field.aliases(session, town).items()})
        chosen = []
        for value in raw_values:
            if norm(value) not in lookup:
                shown = ", ".join(valid) if valid else "(none defined yet)"
                raise SegmentError(f"{name}={value!r} is not known; valid values: {shown}")
            if lookup[norm(value)] not in chosen:
                chosen.append(lookup[norm(value)])
        out.append(Condition(name, tuple(chosen)))
    return out


def compile_segment(session: Session, town: Town, expression: str) -> list[ColumnElement[bool]]:
    """The SQL conditions on residents for an expression (all must hold)."""
    return [
        FIELDS[c.field].condition(list(c.values)) for c in conditions(session, town, expression)
    ]


def exclusions(topic: str | None, urgent: bool) -> list[ColumnElement[bool]]:
    """Who never gets an announcement: blocked residents, and those who stopped it."""
    stopped = []
    if topic:
        stopped.append(NotifyOptOut.topic == topic)
    if not urgent:
        stopped.append(NotifyOptOut.topic == STOP_ALL)
    out: list[ColumnElement[bool]] = [Resident.blocked == false()]
    if stopped:
        out.append(not_(exists().where(NotifyOptOut.resident_id == Resident.id, or_(*stopped))))
    return out


def recipients_where(
    session: Session, town: Town, expression: str, topic: str | None, urgent: bool
) -> ColumnElement[bool]:
    """The whole WHERE clause: the segment and the exclusions."""
    return and_(true(), *compile_segment(session, town, expression), *exclusions(topic, urgent))


def count(
    session: Session, town: Town, expression: str, topic: str | None = None, urgent: bool = False
) -> int:
    """How many residents an expression reaches now (one COUNT query)."""
    where = recipients_where(session, town, expression, topic, urgent)
    return session.scalar(select(func.count()).select_from(Resident).where(where)) or 0


@dataclass(frozen=True)
class Audience:
    """Who a segment matches, and who of them an announcement would really reach."""

    matched: int  # residents the segment matches (blocked ones too)
    blocked: int  # of those, blocked the account
    stopped: int  # not blocked, but stopped every non-urgent announcement
    topic_off: int  # not blocked nor stopped, but chose topics without this one

    @property
    def recipients(self) -> int:
        """Who would receive it now (equals `count`)."""
        return self.matched - self.blocked - self.stopped - self.topic_off


def audience(
    session: Session, town: Town, expression: str, topic: str | None = None, urgent: bool = False
) -> Audience:
    """The segment's residents and each exclusion, counted in one query (as `exclusions`)."""

    def opted(name: str) -> ColumnElement[bool]:
        return exists().where(NotifyOptOut.resident_id == Resident.id, NotifyOptOut.topic == name)

    def n(cond: ColumnElement[bool]) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    open_ = Resident.blocked == false()
    stop_all = opted(STOP_ALL) if not urgent else false()
    off = opted(topic) if topic else false()
    row = session.execute(
        select(
            func.count(),
            n(not_(open_)),
            n(and_(open_, stop_all)),
            n(and_(open_, not_(stop_all), off)),
        )
        .select_from(Resident)
        .where(true(), *compile_segment(session, town, expression))
    ).one()
    return Audience(*(int(x) for x in row))


# --- the fields: one list ---------------------------------------------------------------


def _residency_aliases(_session: Session, _town: Town) -> dict[str, str]:
    return {
        texts[f"residency.{code}"]: code
        for texts in CATALOGS.values()
        for code in RESIDENCIES
        if f"residency.{code}" in texts
    }


def _has_topic(values: list[str]) -> ColumnElement[bool]:
    return exists().where(ResidentTopic.resident_id == Resident.id, ResidentTopic.topic.in_(values))


def _survey_ids(session: Session, _town: Town) -> list[str]:
    return list(session.scalars(select(surveys.Survey.id).order_by(surveys.Survey.id)))


def _event_ids(session: Session, _town: Town) -> list[str]:
    return list(session.scalars(select(events.Event.id).order_by(events.Event.id)))


def by_name(*fields: Field) -> dict[str, Field]:
    """The fields keyed by name; a name may appear once."""
    return named.by_name("segment field", *fields)


FIELDS: dict[str, Field] = by_name(
    Field(
        "district",
        "the district from the town file",
        lambda _s, town: town.districts,
        lambda values: Resident.district.in_(values),
    ),
    Field(
        "age",
        "the age band from the town file",
        lambda _s, town: town.age_bands,
        lambda values: Resident.age_band.in_(values),
    ),
    Field(
        "residency",
        "resident, commuter or outside",
        lambda _s, _town: RESIDENCIES,
        lambda values: Resident.residency.in_(values),
        _residency_aliases,
    ),
    Field(
        "topic",
        "a topic of interest from the town file",
        lambda _s, town: town.topics,
        _has_topic,
    ),
    Field(
        "attended",
        "an event id: residents checked in at it",
        _event_ids,
        lambda values: Resident.id.in_(events.attended_residents(values)),
    ),
    Field(
        "signed_up",
        "an event id: residents signed up (confirmed or waitlisted)",
        _event_ids,
        lambda values: Resident.id.in_(events.signed_up_residents(values)),
    ),
    Field(
        "answered",
        "a survey id: residents who finished it",
        _survey_ids,
        lambda values: or_(*(surveys.answered_clause(v, Resident.id) for v in values)),
    ),
    Field(
        "not_answered",
        "a survey id: residents who have not finished it",
        _survey_ids,
        lambda values: or_(*(surveys.not_answered_clause(v, Resident.id) for v in values)),
    ),
)
