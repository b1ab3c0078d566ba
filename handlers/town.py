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


def load_town(session: Session) -> Town:
    """The applied town, or a neutral default before any town file is applied."""
    item = session.scalar(select(ContentItem).where(ContentItem.kind == "town"))
    if item is None:
        return Town()
    d = item.data
    return Town(
        name=d["name"],
        districts=tuple(d.get("districts", ())),
        age_bands=tuple(d.get("age_bands") or DEFAULT_AGE_BANDS),
        topics=tuple(d.get("topics", ())),
        privacy_url=d.get("privacy_url", ""),
        contact=d.get("contact", ""),
    )
