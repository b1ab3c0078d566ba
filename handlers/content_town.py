"""`kind: town`: the town's name, districts, age bands, topics, privacy page and contact."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from handlers.content_documents import URL, Document, Kind, unique


def _town_item(longest: int) -> dict[str, Any]:
    """A town list item: `大谷` or `{ja: 大谷, en: Otani}` (the Japanese is what is stored)."""
    text = {"type": "string", "minLength": 1, "maxLength": longest}
    return {
        "oneOf": [
            text,
            {
                "type": "object",
                "properties": {"ja": text, "en": {**text, "minLength": 0}},
                "required": ["ja"],
                "additionalProperties": False,
            },
        ]
    }


TOWN_SCHEMA = {
    "type": "object",
    "required": ["kind", "name", "districts"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "town"},
        "name": {"type": "string", "minLength": 1, "maxLength": 40},
        "districts": {"type": "array", "items": _town_item(40)},
        "age_bands": {"type": "array", "minItems": 2, "items": _town_item(20)},
        "topics": {"type": "array", "items": _town_item(18)},
        "privacy_url": URL,
        "contact": {  # `企画課 0000-00-0000` or `{ja: …, en: …}`
            "oneOf": [
                {"type": "string", "maxLength": 200},
                {
                    "type": "object",
                    "properties": {
                        "ja": {"type": "string", "minLength": 1, "maxLength": 200},
                        "en": {"type": "string", "maxLength": 200},
                    },
                    "required": ["ja"],
                    "additionalProperties": False,
                },
            ]
        },
    },
}


def _town_checks(doc: Document, _session: Session) -> list[str]:
    d = doc.data

    def ja(field: str) -> list[Any]:
        return [v["ja"] if isinstance(v, dict) else v for v in d.get(field, [])]

    problems = unique(doc, ["districts"], ja("districts"), "district")
    problems += unique(doc, ["age_bands"], ja("age_bands"), "age band")
    problems += unique(doc, ["topics"], ja("topics"), "topic")
    return problems


KIND = Kind(name="town", schema=TOWN_SCHEMA, key=lambda d: "town", checks=[_town_checks], order=0)
