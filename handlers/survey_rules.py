"""The rules of answering a survey, the same in every channel (LINE chat, web, paper).

Which question comes next, whether an answer fits its question, and who may answer.
Pure functions over a survey's stored definition; the chat flow, the web page and
paper entry all call these, so a limit holds whichever way an answer arrives.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from messages.text import nfkc
from messages.town_words import BAND_DECADE, BAND_OVER, BAND_UNDER

CHOICE_TYPES = ("single", "multi")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def norm(text: str | None) -> str:
    """Text as compared with choices: NFKC, trimmed."""
    return nfkc(text, strip=True)


def band_max_age(band: str) -> int | None:
    """The oldest age in an age band (`15歳以下` → 15, `20代` → 29); None when open-ended."""
    numbers = [int(n) for n in re.findall(r"\d+", nfkc(band))]
    if not numbers or BAND_OVER in band or "over" in band.lower() or band.endswith("+"):
        return None
    if BAND_UNDER in band:
        return numbers[0] - 1
    if BAND_DECADE in band or band.endswith("s"):
        return numbers[0] + 9
    return max(numbers)


def ineligible_reason(definition: Mapping[str, Any], known: Mapping[str, Any]) -> str | None:
    """`age` or `residency` when what we know rules the person out; None otherwise."""
    rules = definition.get("eligibility") or {}
    min_age = rules.get("min_age")
    if min_age and known.get("age_band"):
        oldest = band_max_age(known["age_band"])
        if oldest is not None and oldest < min_age:
            return "age"
    allowed = rules.get("residency")
    if allowed and known.get("residency") and known["residency"] not in allowed:
        return "residency"
    return None


def needs(definition: Mapping[str, Any], known: Mapping[str, Any]) -> str | None:
    """`age_band` or `residency` when eligibility needs it and it is not known yet."""
    rules = definition.get("eligibility") or {}
    if rules.get("min_age") and not known.get("age_band"):
        return "age_band"
    if rules.get("residency") and not known.get("residency"):
        return "residency"
    return None


def visible(q: Mapping[str, Any], answers: Mapping[str, Any]) -> bool:
    """A question shows when every show_if condition matches an earlier answer."""
    return all(
        set(answers.get(ref) or []) & set(values)
        for ref, values in (q.get("show_if") or {}).items()
    )


def next_question(
    questions: Sequence[dict[str, Any]], answers: Mapping[str, Any], after: str | None
) -> dict[str, Any] | None:
    """The first visible question after the one with id `after` (or the first of all)."""
    start = 0 if after is None else next(i for i, q in enumerate(questions) if q["id"] == after) + 1
    return next((q for q in questions[start:] if visible(q, answers)), None)


def asked(questions: Sequence[dict[str, Any]], answers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The questions this person is shown, given the answers so far, in order."""
    return [q for q in questions if visible(q, answers)]


def valid(q: Mapping[str, Any], values: Sequence[Any]) -> bool:
    """An answer (a list of values) fits the question as it is now."""
    if not values:
        return False
    if q["type"] in CHOICE_TYPES:
        real = {c["value"] for c in q["choices"]}
        if len(set(values)) != len(values) or not set(values) <= real:
            return False
        return len(values) == 1 if q["type"] == "single" else len(values) <= q["max_choices"]
    if q["type"] == "scale":
        try:
            return len(values) == 1 and q["min"] <= int(values[0]) <= q["max"]
        except (TypeError, ValueError):
            return False
    return len(values) == 1 and 0 < len(str(values[0])) <= q["max_length"]


def kept_answers(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers to store: only visible questions, only answers that still fit."""
    return {
        q["id"]: answers[q["id"]]
        for q in questions
        if answers.get(q["id"]) and visible(q, answers) and valid(q, answers[q["id"]])
    }


def clean_text(text: str) -> str:
    """Free text as stored: control characters (other than line breaks) removed, trimmed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n")).strip()


def parse(q: Mapping[str, Any], raw: Sequence[object]) -> tuple[list[Any] | None, str | None]:
    """Values from a form or a sheet (choice values or labels, a number, a text).

    Returns (values, None), or (None, reason) with reason one of `required` (nothing given),
    `unknown_choice`, `too_many`, `one_only`, `out_of_range`, `too_long`.
    """
    given = [r for r in (str(x) for x in raw) if r.strip()]
    if not given:
        return None, "required"
    if q["type"] in CHOICE_TYPES:
        out = []
        for item in given:
            typed = norm(item)
            match = next(
                (
                    c["value"]
                    for c in q["choices"]
                    if typed in {norm(c["value"]), *map(norm, c["label"].values())}
                ),
                None,
            )
            if match is None:
                return None, "unknown_choice"
            if match not in out:
                out.append(match)
        if q["type"] == "single" and len(out) > 1:
            return None, "one_only"
        if q["type"] == "multi" and len(out) > q["max_choices"]:
            return None, "too_many"
        order = [c["value"] for c in q["choices"]]
        return sorted(out, key=order.index), None
    if q["type"] == "scale":
        typed = norm(given[0])
        if len(given) != 1 or not re.fullmatch(r"-?[0-9]{1,3}", typed):
            return None, "out_of_range"
        number = int(typed)
        if not q["min"] <= number <= q["max"]:
            return None, "out_of_range"
        return [number], None
    text = clean_text("\n".join(given))
    if not text:
        return None, "required"
    if len(text) > q["max_length"]:
        return None, "too_long"
    return [text], None
