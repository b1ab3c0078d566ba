"""Answering a survey on the web page reached from a mailed letter's code.

The page shows one screen at a time: the eligibility questions first when the survey has
rules (`p:age_band`, `p:residency`), then the questions this person is asked (`q:<id>`),
then `confirm`; `ineligible` is the polite refusal. Progress is a draft kept under the
code's hash (`{"profile", "answers", "at", "review"}`), so the same code resumes where it stopped.
Every limit comes from handlers/survey_rules, exactly as in LINE chat.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db import survey_channels as store
from db import surveys as db_surveys
from db.surveys import Survey
from handlers import invitations
from handlers import survey_rules as rules
from handlers.town import Town
from messages.text import RESIDENCIES

CONFIRM = "confirm"
INELIGIBLE = "ineligible"
PROFILE_SCREENS = {"age_band": "p:age_band", "residency": "p:residency"}
ACTIONS = ("next", "back", "skip", "edit")


@dataclass
class Result:
    """What a step did: the new draft data, or an error reason (nothing changed)."""

    data: dict[str, Any]
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def opening(survey: Survey, now: datetime) -> str | None:
    """`not_open` or `closed` when the survey cannot be answered now; None when open."""
    if now < survey.opens_at:
        return "not_open"
    if now >= survey.closes_at:
        return "closed"
    return None


def empty() -> dict[str, Any]:
    """A fresh draft."""
    return {"profile": {}, "answers": {}, "at": None, "review": False}


def load(session: Session, survey: Survey, code: str) -> tuple[dict[str, Any], bool]:
    """The draft for a (normalised) code and whether one existed."""
    row = store.draft(session, invitations.code_hash(code))
    if row is None or row.survey_id != survey.id:
        return empty(), False
    data = {**empty(), **(row.data or {})}
    return data, True


def save(session: Session, survey: Survey, code: str, data: dict[str, Any], now: datetime) -> None:
    """Keep the draft (in the caller's transaction)."""
    store.save_draft(session, invitations.code_hash(code), survey.id, data, now)


def forget(session: Session, code: str) -> None:
    """Delete the draft of a code (e.g. once the code turned out to be used)."""
    store.drop_draft(session, invitations.code_hash(code))


def screens(survey: Survey, data: Mapping[str, Any]) -> list[str]:
    """The screens this person is shown, in order (eligibility first), given the answers."""
    rule = survey.definition.get("eligibility") or {}
    out = []
    if rule.get("min_age"):
        out.append(PROFILE_SCREENS["age_band"])
    if rule.get("residency"):
        out.append(PROFILE_SCREENS["residency"])
    out += ["q:" + q["id"] for q in rules.asked(survey.questions, data.get("answers") or {})]
    return out


def question_of(survey: Survey, screen: str) -> dict[str, Any] | None:
    """The survey question shown on a `q:` screen."""
    return survey.question(screen[2:]) if screen.startswith("q:") else None


def profile_options(town: Town, screen: str) -> list[str]:
    """The values offered on a profile screen (age bands from the town file, residencies)."""
    return list(town.age_bands) if screen == PROFILE_SCREENS["age_band"] else list(RESIDENCIES)


def _answered(survey: Survey, data: Mapping[str, Any], screen: str) -> bool:
    if screen.startswith("p:"):
        return bool((data.get("profile") or {}).get(screen[2:]))
    q = question_of(survey, screen)
    assert q is not None  # a screen of `screens`: a question of the survey
    given = (data.get("answers") or {}).get(q["id"])
    return rules.valid(q, given) if given else False


def first_missing(survey: Survey, data: Mapping[str, Any]) -> str | None:
    """The first screen that still needs an answer (optional questions never do)."""
    for screen in screens(survey, data):
        q = question_of(survey, screen)
        if q is not None and not q.get("required", True):
            continue
        if not _answered(survey, data, screen):
            return screen
    return None


def current(survey: Survey, data: Mapping[str, Any]) -> str:
    """The screen to show now: where the draft stopped, or the first unanswered one."""
    at: str | None = data.get("at")
    if at == INELIGIBLE and rules.ineligible_reason(survey.definition, data.get("profile") or {}):
        return INELIGIBLE
    order = screens(survey, data)
    if at is None:
        return order[0] if order else CONFIRM
    if at in order:
        return at
    return first_missing(survey, data) or CONFIRM


def progress(survey: Survey, data: Mapping[str, Any], screen: str) -> tuple[int, int]:
    """(position, total) of a screen among the screens this person is asked."""
    order = screens(survey, data)
    return (order.index(screen) + 1 if screen in order else len(order)), len(order)


def _after(survey: Survey, data: Mapping[str, Any], screen: str) -> str:
    order = screens(survey, data)
    i = order.index(screen)
    return order[i + 1] if i + 1 < len(order) else CONFIRM


def step(
    survey: Survey, town: Town, data: Mapping[str, Any], screen: str, action: str, raw: list[str]
) -> Result:
    """One form post: answer, skip, go back, or jump back to a screen from the confirmation.

    On an error the draft is returned unchanged with the reason (and its details for the
    message): `stale` (no such screen now), `bad_action`, or a survey_rules reason.
    """
    data = {
        "profile": dict(data.get("profile") or {}),
        "answers": dict(data.get("answers") or {}),
        "at": data.get("at"),
        "review": bool(data.get("review")),
    }
    order = screens(survey, data)
    if action not in ACTIONS:
        return Result(data, "bad_action")
    if screen == INELIGIBLE:
        if action != "back":
            return Result(data, "bad_action")
        reason = rules.ineligible_reason(survey.definition, data["profile"])
        back = PROFILE_SCREENS["age_band" if reason == "age" else "residency"]
        data["at"] = back if back in order else current(survey, data)
        return Result(data)
    if screen == CONFIRM:
        if action != "back" or not order:
            return Result(data, "bad_action")
        data["at"], data["review"] = order[-1], False
        return Result(data)
    if screen not in order:
        return Result(data, "stale")
    if action == "edit":
        data["at"], data["review"] = screen, True
        return Result(data)
    if action == "back":
        i = order.index(screen)
        data["at"] = order[i - 1] if i else screen
        return Result(data)
    if screen.startswith("p:"):
        return _profile_step(survey, town, data, screen, action, raw)
    q = question_of(survey, screen)
    assert q is not None  # a screen of `screens`: a question of the survey
    optional = not q.get("required", True)
    given = [r for r in raw if str(r).strip()]
    if action == "skip" or (optional and not given):
        if not optional:
            return Result(data, "required")
        data["answers"].pop(q["id"], None)
    else:
        values, reason = rules.parse(q, raw)
        if reason:
            return Result(data, reason, _detail(q, raw, reason))
        data["answers"][q["id"]] = values
    data["at"] = _onward(survey, data, screen)
    return Result(data)


def _onward(survey: Survey, data: Mapping[str, Any], screen: str) -> str:
    """The next screen; straight back to the confirmation after a change made from it."""
    if data.get("review") and first_missing(survey, data) is None:
        return CONFIRM
    return _after(survey, data, screen)


def _detail(q: Mapping[str, Any], raw: list[str], reason: str) -> dict[str, Any]:
    if reason == "too_long":
        return {"max": q["max_length"], "length": len(rules.clean_text("\n".join(raw)))}
    if reason == "too_many":
        return {"max": q["max_choices"]}
    if reason == "out_of_range":
        return {"min": q["min"], "max": q["max"]}
    return {}


def _profile_step(
    survey: Survey, town: Town, data: dict[str, Any], screen: str, action: str, raw: list[str]
) -> Result:
    if action == "skip":
        return Result(data, "required")
    given = [r for r in raw if str(r).strip()]
    if not given:
        return Result(data, "required")
    options = profile_options(town, screen)
    if len(given) != 1 or rules.norm(given[0]) not in options:
        return Result(data, "unknown_choice")
    data["profile"][screen[2:]] = rules.norm(given[0])
    if rules.ineligible_reason(survey.definition, data["profile"]):
        data["at"] = INELIGIBLE
    else:
        data["at"] = _onward(survey, data, screen)
    return Result(data)


def submit(
    session: Session, survey: Survey, code: str, data: Mapping[str, Any], now: datetime, tz: str
) -> str:
    """Send the answers, in the caller's transaction: `ok`, `closed`, `incomplete`,
    `ineligible` or `used` (the code was used meanwhile). Only `ok` changes anything.

    The code is marked used, the response written with the channel `web` and the
    answers that still fit, and the draft deleted; the response row has no code or hash.
    """
    if opening(survey, now):
        return "closed"
    profile = {k: v for k, v in (data.get("profile") or {}).items() if k in PROFILE_SCREENS}
    if rules.ineligible_reason(survey.definition, profile):
        return "ineligible"
    if first_missing(survey, data) is not None:
        return "incomplete"
    if not invitations.use(session, survey.id, code):
        return "used"
    kept = rules.kept_answers(survey.questions, data.get("answers") or {})
    db_surveys.write_response(session, survey, kept, profile, now, tz, channel="web")
    store.drop_draft(session, invitations.code_hash(code))
    return "ok"
