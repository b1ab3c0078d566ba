"""`kind: population`: residents by age band × district (the resident register), and coverage.

Coverage compares who took part (LINE friends with a profile, or a survey's respondents) with
who lives in the town, per age band and per district, and names the under-covered groups.
A survey's coverage can be of one answer channel's respondents, and splits each group by
channel (`survey_coverage`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ContentItem, Resident
from handlers.content import ContentError, Document, Kind
from handlers.town import Town, load_town
from messages.text import listed
from messages.town_words import BAND_UP_TO

# A group is under-covered when its rate is below this share of the overall rate.
UNDER_COVERED = 0.5
MIN_GROUP = 20  # groups smaller than this are too small to call out

SCHEMA = {
    "type": "object",
    "required": ["kind", "as_of", "counts"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "population"},
        "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "source": {"type": "string", "maxLength": 200},
        "counts": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {"type": "integer", "minimum": 0, "maximum": 10_000_000},
            },
        },
    },
}


def problems(doc: Document, town: Town) -> list[str]:
    """Districts and bands must be exactly the town's (every one, no others)."""
    counts = doc.data.get("counts", {})
    out: list[str] = []
    for district in counts:
        if district not in town.districts:
            known = listed(town.districts) or "(none yet: apply the town file first)"
            out.append(doc.problem(["counts", district], f"unknown district; the town has {known}"))
    for district in town.districts:
        if district not in counts:
            out.append(doc.problem(["counts"], f"district {district!r} is missing"))
    for district, bands in counts.items():
        if district not in town.districts:
            continue
        for band in bands:
            if band not in town.age_bands:
                out.append(
                    doc.problem(
                        ["counts", district, band],
                        f"unknown age band; the town has {listed(town.age_bands)}",
                    )
                )
        for band in town.age_bands:
            if band not in bands:
                out.append(doc.problem(["counts", district], f"age band {band!r} is missing"))
    return out


def _check(doc: Document, session: Session) -> list[str]:
    # A town file in the same batch is applied first; store() checks again against it.
    town = load_town(session)
    return problems(doc, town) if town.districts else []


def _store(session: Session, doc: Document) -> None:
    found = problems(doc, load_town(session))
    if found:
        raise ContentError(found)


KIND = Kind(
    name="population",
    schema=SCHEMA,
    key=lambda d: "population",
    store=_store,
    checks=[_check],
    order=10,
)


@dataclass(frozen=True)
class Population:
    """The published counts: {district: {band: n}}."""

    as_of: str
    source: str
    counts: dict[str, dict[str, int]]

    def by_band(self) -> dict[str, int]:
        """Residents per age band, all districts."""
        out: dict[str, int] = {}
        for bands in self.counts.values():
            for band, n in bands.items():
                out[band] = out.get(band, 0) + n
        return out

    def by_district(self) -> dict[str, int]:
        """Residents per district, all age bands."""
        return {d: sum(bands.values()) for d, bands in self.counts.items()}

    @property
    def total(self) -> int:
        """All residents."""
        return sum(self.by_district().values())


def load(session: Session) -> Population | None:
    """The applied population file, or None."""
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == "population", ContentItem.key == "population")
    )
    if item is None:
        return None
    d = item.data
    return Population(as_of=str(d["as_of"]), source=d.get("source", ""), counts=d["counts"])


def friend_counts(session: Session) -> dict[tuple[str | None, str | None], int]:
    """Friends (not blocked, consented) per (age band, district), counted in SQL."""
    rows = session.execute(
        select(Resident.age_band, Resident.district, func.count())
        .where(Resident.blocked.is_(False), Resident.consent == "agreed")
        .group_by(Resident.age_band, Resident.district)
    )
    return {(band, district): n for band, district, n in rows}


@dataclass(frozen=True)
class GroupRate:
    """One group's participants against its population."""

    axis: str  # "age" | "district"
    group: str
    population: int
    count: int
    by_channel: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def rate(self) -> float:
        """Participants per resident (0 when the group is empty)."""
        return self.count / self.population if self.population else 0.0


@dataclass
class Coverage:
    """Rates per age band and per district, the overall rate, the under-covered groups."""

    what: str
    total_population: int
    total_count: int
    rows: list[GroupRate] = field(default_factory=list)
    unknown: int = 0  # participants without a band or district on file
    channels: dict[str, int] = field(default_factory=dict)  # respondents per answer channel
    channel: str | None = None  # the channel the counts are restricted to, if any

    @property
    def rate(self) -> float:
        """Overall participants per resident (counting only those in a known group)."""
        return self.total_count / self.total_population if self.total_population else 0.0

    @property
    def under_covered(self) -> list[GroupRate]:
        """Groups whose rate is well below the overall rate, lowest first."""
        bar = self.rate * UNDER_COVERED
        low = [r for r in self.rows if r.population >= MIN_GROUP and r.rate < bar]
        return sorted(low, key=lambda r: r.rate)


BAND_UPPER = re.compile(rf"^(\d+){BAND_UP_TO}$")


def bands_below(bands: tuple[str, ...], min_age: int | None) -> tuple[str, ...]:
    """Age bands entirely below a survey's minimum age (e.g. 15歳以下 for 16+)."""
    if not min_age:
        return ()
    return tuple(b for b in bands if (m := BAND_UPPER.match(b)) and int(m.group(1)) < min_age)


def coverage(
    population: Population,
    counts: dict[tuple[str | None, str | None], int],
    town: Town,
    what: str,
    skip_bands: tuple[str, ...] = (),
) -> Coverage:
    """Compare participant counts per (band, district) with the population."""
    bands = [b for b in town.age_bands if b not in skip_bands]
    pop_band, pop_district = population.by_band(), population.by_district()
    by_band: dict[str, int] = {}
    by_district: dict[str, int] = {}
    unknown = 0
    for (band, district), n in counts.items():
        if band in skip_bands:
            continue
        if band in bands:
            by_band[band] = by_band.get(band, 0) + n
        if district in town.districts:
            by_district[district] = by_district.get(district, 0) + n
        if band not in bands or district not in town.districts:
            unknown += n
    rows = [GroupRate("age", b, pop_band.get(b, 0), by_band.get(b, 0)) for b in bands]
    rows += [
        GroupRate("district", d, pop_district.get(d, 0), by_district.get(d, 0))
        for d in town.districts
    ]
    total_pop = sum(pop_band.get(b, 0) for b in bands)
    total = sum(by_band.values())
    return Coverage(what, total_pop, total, rows, unknown)


def survey_coverage(
    population: Population,
    counts: dict[tuple[str | None, str | None, str], int],
    town: Town,
    what: str,
    skip_bands: tuple[str, ...] = (),
    channel: str | None = None,
) -> Coverage:
    """A survey's coverage from respondents per (band, district, channel), with each group's
    split by channel; `channel` restricts the counts (and rates) to that channel."""
    pairs: dict[tuple[str | None, str | None], int] = {}
    split: dict[tuple[str, str | None], dict[str, int]] = {}  # (axis, group): known groups
    channels: dict[str, int] = {}
    bands = [b for b in town.age_bands if b not in skip_bands]
    for (band, district, ch), n in counts.items():
        if channel is not None and ch != channel:
            continue
        pairs[(band, district)] = pairs.get((band, district), 0) + n
        if band in skip_bands:  # as coverage() leaves them out
            continue
        if band in bands:  # as Coverage.total_count counts them
            channels[ch] = channels.get(ch, 0) + n
        for key in (("age", band), ("district", district)):
            if key[1] in (bands if key[0] == "age" else town.districts):
                split.setdefault(key, {})[ch] = split.get(key, {}).get(ch, 0) + n
    cov = coverage(population, pairs, town, what, skip_bands)
    cov.rows = [replace(r, by_channel=split.get((r.axis, r.group), {})) for r in cov.rows]
    cov.channels, cov.channel = channels, channel
    return cov
