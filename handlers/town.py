"""The town: districts, age bands and topics, from the applied `kind: town` file."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import ContentItem

DEFAULT_AGE_BANDS = (
    "15歳以下",
    "16〜19歳",
    "20代",
    "30代",
    "40代",
    "50代",
    "60代",
    "70代",
    "80歳以上",
)


@dataclass(frozen=True)
class Town:
    """The town's lists, as staff wrote them in the town file."""

    name: str = "まち"
    districts: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = DEFAULT_AGE_BANDS
    topics: tuple[str, ...] = ()
    privacy_url: str = ""
    contact: str = ""


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
        last = (item.digest, _parse(item.data))
        _LAST[:] = [last]
    return last[1]


def _parse(d: dict) -> Town:
    return Town(
        name=d["name"],
        districts=tuple(d.get("districts", ())),
        age_bands=tuple(d.get("age_bands") or DEFAULT_AGE_BANDS),
        topics=tuple(d.get("topics", ())),
        privacy_url=d.get("privacy_url", ""),
        contact=d.get("contact", ""),
    )
