"""The town: districts, age bands and topics, from the applied `kind: town` file.

Each item of a list is a plain string or `{ja: 大谷, en: Otani}`. The Japanese text is the
stored value everywhere (residents.district, resident_topics.topic, survey_responses.age_band,
segments such as `district=大谷`); the English label is only what English residents see.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ContentItem
from messages.text import nfkc
from messages.town_words import DEFAULT_AGE_BANDS, DEFAULT_AGE_BANDS_EN, DEFAULT_TOWN_NAME

DEFAULT_ENGLISH = tuple(
    ("age_band", ja, en) for ja, en in zip(DEFAULT_AGE_BANDS, DEFAULT_AGE_BANDS_EN, strict=True)
)
_DEFAULT_EN = dict(zip(DEFAULT_AGE_BANDS, DEFAULT_AGE_BANDS_EN, strict=True))
# a list's kind → its field in the town file
FIELDS = {"district": "districts", "age_band": "age_bands", "topic": "topics"}


def item_parts(kind: str, item: Any) -> tuple[str, str]:
    """(Japanese value, English label or "") of one town-file list item.

    A default age band written without English (`20代`) gets the default's English label.
    """
    if isinstance(item, dict):
        value, english = str(item.get("ja") or ""), str(item.get("en") or "").strip()
    else:
        value, english = str(item), ""
    if not english and kind == "age_band":
        english = _DEFAULT_EN.get(value, "")
    return value, english


def _fold(text: str) -> str:
    return nfkc(text, strip=True, casefold=True)


@dataclass(frozen=True)
class Town:
    """The town's lists, as staff wrote them in the town file (Japanese values).

    `english` holds (kind, value, English label) for the items that have one; use
    `label`, `options` and `find` rather than reading it.
    """

    name: str = DEFAULT_TOWN_NAME
    districts: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = DEFAULT_AGE_BANDS
    topics: tuple[str, ...] = ()
    privacy_url: str = ""
    contact: str = ""
    contact_en: str = ""  # the contact in English, when the town file gives one
    english: tuple[tuple[str, str, str], ...] = DEFAULT_ENGLISH

    @cached_property
    def _en(self) -> dict[tuple[str, str], str]:
        return {(kind, value): en for kind, value, en in self.english}

    def contact_for(self, lang: str) -> str:
        """The contact as a resident reading `lang` sees it (Japanese without English)."""
        return self.contact_en if lang == "en" and self.contact_en else self.contact

    def values(self, kind: str) -> tuple[str, ...]:
        """The stored values of a list: `district`, `age_band` or `topic`."""
        values: tuple[str, ...] = getattr(self, FIELDS[kind])
        return values

    def label(self, kind: str, value: str, lang: str) -> str:
        """What a resident reading `lang` sees for a stored value (the value itself in ja)."""
        if lang == "en":
            return self._en.get((kind, value)) or value
        return value

    def labels(self, kind: str, values: Iterable[str], lang: str) -> list[str]:
        """`label` for each of several values."""
        return [self.label(kind, v, lang) for v in values]

    def options(self, kind: str, lang: str) -> list[tuple[str, str]]:
        """(stored value, label) for each item of a list, in the town file's order."""
        return [(v, self.label(kind, v, lang)) for v in self.values(kind)]

    def find(self, kind: str, text: str | None) -> str | None:
        """The stored value a resident typed, in Japanese or English (None when unknown)."""
        typed = _fold(text or "")
        if not typed:
            return None
        for value in self.values(kind):
            if typed in {_fold(value), _fold(self._en.get((kind, value), "") or value)}:
                return value
        return None


_DIGEST = select(ContentItem.digest).where(ContentItem.kind == "town")
_LAST: list[tuple[str, Town]] = []  # this process's newest parsed town, with its digest


def load_town(session: Session) -> Town:
    """The applied town, or a neutral default before any town file is applied.

    Only the digest is read each time; the town is parsed once per version per process.
    """
    digest = session.scalar(_DIGEST)
    if digest is None:
        return Town()
    last = _LAST[0] if _LAST else None
    if last is None or last[0] != digest:  # the digest is of the data: a new version
        item = session.scalar(select(ContentItem).where(ContentItem.kind == "town"))
        assert item is not None  # its digest was just read
        last = (item.digest, _parse(item.data))
        _LAST[:] = [last]
    return last[1]


def _ja(value: Any) -> str:
    return str(value.get("ja") or "") if isinstance(value, dict) else str(value or "")


def _en(value: Any) -> str:
    return str(value.get("en") or "").strip() if isinstance(value, dict) else ""


def _parse(d: Mapping[str, Any]) -> Town:
    lists: dict[str, tuple[str, ...]] = {}
    english: list[tuple[str, str, str]] = []
    for kind, field in FIELDS.items():
        items = d.get(field) or ()
        if kind == "age_band" and not items:
            lists[field] = DEFAULT_AGE_BANDS
            english += DEFAULT_ENGLISH
            continue
        parts = [item_parts(kind, item) for item in items]
        lists[field] = tuple(ja for ja, _ in parts)
        english += [(kind, ja, en) for ja, en in parts if en]
    return Town(
        name=d["name"],
        privacy_url=d.get("privacy_url", ""),
        contact=_ja(d.get("contact", "")),
        contact_en=_en(d.get("contact", "")),
        english=tuple(english),
        **lists,
    )
