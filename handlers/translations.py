"""Missing English: what of a survey, an event or the town file English residents would
read in Japanese, named in staff words (「2問目「住みにくい理由」の選択肢「買い物が不便」」).

Warnings only matter when someone reads English: `english_residents` counts them and
`warnings` gives the list only then. Nothing here is stored or refused; a missing
translation falls back to the Japanese text.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Resident
from handlers.town import FIELDS, item_parts
from messages.translations import say

SHORT = 30  # a question is named by its first characters


def _missing(value: Any) -> bool:
    """A text field (`文字列` or `{ja, en}`) without English."""
    if isinstance(value, dict):
        return not str(value.get("en") or "").strip()
    return True


def _ja(value: Any) -> str:
    text = str(value.get("ja") or "") if isinstance(value, dict) else str(value)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def _survey(data: Mapping[str, Any]) -> list[str]:
    out = [say(f) for f in ("title", "description") if data.get(f) and _missing(data[f])]
    for n, q in enumerate(data.get("questions") or [], 1):
        if not isinstance(q, dict):
            continue
        question = say("question", n=n, text=_ja(q.get("text", "")))
        if _missing(q.get("text")):
            out.append(question)
        for choice in q.get("choices") or []:
            label = choice.get("label") if isinstance(choice, dict) else choice
            if _missing(label):
                out.append(say("choice", question=question, label=_ja(label)))
        for point, label in (q.get("labels") or {}).items():
            if _missing(label):
                out.append(say("scale_label", question=question, point=point))
    return out


def _event(data: Mapping[str, Any]) -> list[str]:
    fields = ("title", "series_title", "venue", "description")
    return [say(f) for f in fields if data.get(f) and _missing(data[f])]


def _town(data: Mapping[str, Any]) -> list[str]:
    out = []
    for kind, field in FIELDS.items():
        for item in data.get(field) or []:
            value, english = item_parts(kind, item)
            if not english:
                out.append(say(kind, value=value))
    if data.get("contact") and _missing(data["contact"]):
        out.append(say("contact"))
    return out


# keyed by `kind` as a document gives it (None when it has none)
_BY_KIND: dict[str | None, Callable[[Mapping[str, Any]], list[str]]] = {
    "survey": _survey,
    "event": _event,
    "town": _town,
}


def missing_english(data: Mapping[str, Any]) -> list[str]:
    """Every text of a content document (survey, event or town) that has no English.

    Accepts the YAML document as written and a stored survey definition with `kind` added.
    Other kinds have nothing residents read in English here: an empty list.
    """
    check = _BY_KIND.get(data.get("kind"))
    return check(data) if check else []


def english_residents(session: Session) -> int:
    """Residents who read English and have not blocked the account."""
    count = session.scalar(
        select(func.count())
        .select_from(Resident)
        .where(Resident.language == "en", Resident.blocked.is_(False))
    )
    assert count is not None  # count() always gives one row
    return count


def warnings(session: Session, data: Mapping[str, Any]) -> list[str]:
    """`missing_english(data)` when at least one resident reads English, else nothing."""
    return missing_english(data) if english_residents(session) else []


def sentence(items: list[str]) -> str:
    """One line for staff: 「英語の訳がありません: タイトル、会場」."""
    return say("prefix") + say("sep").join(items)
