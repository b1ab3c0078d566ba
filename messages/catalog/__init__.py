"""Message catalogs: every resident-facing word, in Japanese and English.

Each area keeps its wording in its own module here, with a `JA` and an `EN` dict;
AREAS lists them. A key may be defined by one area only. An English text whose noun follows a
number is a `Plural` (Japanese has one form): `Plural("{n} seats left", one="{n} seat left")`.
"""

from __future__ import annotations

from importlib import import_module

from messages.plural import Plural

AREAS = (
    "core",
    "survey",
    "events",
    "notify",
    "opinion",
    "digest",
    "content",
    "web",
    "announce",
    "mydata",
    "publish",
    "broadcast_staff",
    "opinion_staff",
    "console_staff",
    "account_staff",
    "publishing_staff",
    "events_staff",
)


def _merge() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {"ja": {}, "en": {}}
    for area in AREAS:
        module = import_module(f"messages.catalog.{area}")
        for lang, texts in (("ja", module.JA), ("en", module.EN)):
            clash = merged[lang].keys() & texts.keys()
            if clash:
                raise ValueError(f"catalog keys defined twice ({area}): {sorted(clash)}")
            merged[lang].update(texts)
    return merged


CATALOGS = _merge()
LANGUAGES = tuple(CATALOGS)


def t(lang: str, key: str, **values) -> str:
    """The text for key in lang (Japanese when missing), with values filled in."""
    text = CATALOGS.get(lang, CATALOGS["ja"]).get(key) or CATALOGS["ja"][key]
    if isinstance(text, Plural):
        text = text.form(values)
    return text.format(**values) if values else text


def every(key: str) -> set[str]:
    """The text for key in every language (typed labels are accepted in any of them)."""
    return {texts[key] for texts in CATALOGS.values() if key in texts}


def pick_language(line_language: str | None) -> str:
    """Our language for a LINE profile language (BCP-47): English for en*, else Japanese."""
    return "en" if (line_language or "").lower().startswith("en") else "ja"
