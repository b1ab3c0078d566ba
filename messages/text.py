"""Text helpers every area shares: the town's time, dates as people read them, NFKC.

One home for what used to be copied from module to module: the default time zone
(`TOWN_TZ`), `local()` (a stored UTC time in town time), `day()` and `when()` (the display
format, `11月8日(土) 18:30` / `Sat 8 Nov 18:30`), the weekday names, `RESIDENCIES` and
`nfkc()`, the one normaliser for what people type. Pure functions, no I/O.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, tzinfo
from zoneinfo import ZoneInfo

TOWN_TZ_NAME = "Asia/Tokyo"  # the default for the TOWN_TZ setting (bot/config.py)
TOWN_TZ = ZoneInfo(TOWN_TZ_NAME)

WEEKDAYS = {
    "ja": ("月", "火", "水", "木", "金", "土", "日"),
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
}
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}  # each language as it names itself
LIST_SEP = {"ja": "、", "en": ", "}

# where a resident lives or works, as stored (the words are catalog keys `residency.<code>`)
RESIDENCIES = ("resident", "commuter", "outside")


def zone(tz: tzinfo | str | None = None) -> tzinfo:
    """A time zone from a tzinfo, a name such as "Asia/Tokyo", or None (the town's default)."""
    if tz is None:
        return TOWN_TZ
    return ZoneInfo(tz) if isinstance(tz, str) else tz


def local(moment: datetime, tz: tzinfo | str | None = None, *, naive: bool = False) -> datetime:
    """A stored (UTC) moment in town time; `naive` drops the zone (Excel cells have none)."""
    at = moment.astimezone(zone(tz))
    return at.replace(tzinfo=None) if naive else at


def weekday(moment: datetime | date, lang: str = "ja") -> str:
    """The weekday's short name: 土 / Sat (a datetime should already be in town time)."""
    return WEEKDAYS.get(lang, WEEKDAYS["ja"])[moment.weekday()]


def day(
    moment: datetime | date, lang: str = "ja", tz: tzinfo | str | None = None, *, year=False
) -> str:
    """A day as people read it: 11月8日(土) / Sat 8 Nov (`year`: 2026年11月8日(土) / … 2026)."""
    d = local(moment, tz) if isinstance(moment, datetime) else moment
    if lang == "en":
        text = f"{weekday(d, 'en')} {d.day} {MONTHS_EN[d.month - 1]}"
        return f"{text} {d.year}" if year else text
    prefix = f"{d.year}年" if year else ""
    return f"{prefix}{d.month}月{d.day}日({weekday(d, 'ja')})"


def dated(moment: datetime | date, lang: str = "ja", tz: tzinfo | str | None = None) -> str:
    """A date with its year, no weekday: 2026年11月8日 / 8 Nov 2026 (public pages, reports)."""
    d = local(moment, tz) if isinstance(moment, datetime) else moment
    if lang == "en":
        return f"{d.day} {MONTHS_EN[d.month - 1]} {d.year}"
    return f"{d.year}年{d.month}月{d.day}日"


def when(
    moment: datetime, lang: str = "ja", tz: tzinfo | str | None = None, *, year: bool = False
) -> str:
    """A moment as people read it, in town time: 11月8日(土) 18:30 / Sat 8 Nov 18:30."""
    at = local(moment, tz)
    return f"{day(at, lang, at.tzinfo, year=year)} {at:%H:%M}"


def listed(items, lang: str = "ja") -> str:
    """Names or figures in one line: 大谷、磐梯 / Otani, Bandai."""
    return LIST_SEP.get(lang, LIST_SEP["ja"]).join(str(item) for item in items)


def nfkc(
    text: str | None,
    *,
    strip: bool = False,
    lower: bool = False,
    casefold: bool = False,
    upper: bool = False,
) -> str:
    """Text as we compare it: NFKC (full-width → half-width), optionally trimmed and cased.

    None reads as "". `lower` is str.lower, `casefold` the stronger Unicode fold.
    """
    out = unicodedata.normalize("NFKC", text or "")
    if strip:
        out = out.strip()
    if casefold:
        out = out.casefold()
    elif lower:
        out = out.lower()
    if upper:
        out = out.upper()
    return out


def pick(value: dict | str | None, lang: str) -> str:
    """A content text ({ja, en?} or a plain string) in lang, Japanese when missing."""
    if not value:
        return ""
    if isinstance(value, dict):
        return value.get(lang) or value.get("ja") or next(iter(value.values()), "")
    return str(value)
