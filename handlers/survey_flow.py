"""The survey flow's fixed states, eligibility, what comes next, and the end of a survey.

States (`S`): `age` and `residency` (asked first when a survey's eligibility needs them and
the profile does not say), `question` (a choice or scale question) and `free_text` (a text
question, where typed keywords are answers); the question's id is `data["q"]`, a position
the history keeps (Flow.keeps), so もどる brings the previous question back.
In-progress answers live in the conversation's data only; the response is written at the end
and the conversation is cleared, so an anonymous response leaves no trace that ties it to the
resident. Diagram: docs/flows/survey.mmd
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message

from db import survey_channels as channels
from db import surveys as store
from db.models import Conversation
from db.surveys import Survey
from handlers import engine
from handlers import survey_parking as parking
from handlers import survey_rules as rules
from handlers.context import Ctx
from handlers.engine import Input, State, Step
from messages import common
from messages import survey as msg
from messages.catalog import t
from messages.postback import ascii_int
from messages.text import RESIDENCIES

FLOW = parking.FLOW
PROFILE_FIELDS = ("age_band", "district", "residency")
QUESTION_KEY = "q"  # data key: the id of the question asked in `question` / `free_text`


class S(StrEnum):
    """The survey flow's states."""

    AGE = "age"
    RESIDENCY = "residency"
    QUESTION = "question"
    FREE_TEXT = "free_text"


_norm = rules.norm


# --- eligibility ---------------------------------------------------------------------------


def profile(ctx: Ctx, conv: Conversation | None = None) -> dict[str, Any]:
    """The resident's age band, district and residency (answers given in this survey win)."""
    r = ctx.resident
    assert r is not None  # chat handlers run for a known resident (bot/router.py)
    known = {f: getattr(r, f) for f in PROFILE_FIELDS}
    if conv is not None:
        known.update({k: v for k, v in (conv.data.get("profile") or {}).items() if v})
    return known


def ineligible(ctx: Ctx, survey: Survey, known: Mapping[str, Any]) -> Message | None:
    """The polite refusal when what we know rules the resident out; None otherwise."""
    reason = rules.ineligible_reason(survey.definition, known)
    if reason is None:
        return None
    title = msg.local(survey.definition["title"], ctx.lang)
    eligibility = survey.definition.get("eligibility") or {}
    if reason == "age":
        return msg.closing(
            ctx.lang, "survey.ineligible_age", title=title, min_age=eligibility["min_age"]
        )
    allowed = eligibility["residency"]
    who = t(ctx.lang, "survey.or").join(t(ctx.lang, f"survey.who.{r}") for r in allowed)
    return msg.closing(ctx.lang, "survey.ineligible_residency", title=title, who=who)


def _needs(survey: Survey, known: Mapping[str, Any]) -> S | None:
    need = rules.needs(survey.definition, known)
    return {"age_band": S.AGE, "residency": S.RESIDENCY}.get(need or "")


# --- where the resident is -------------------------------------------------------------------


def state_of(q: Mapping[str, Any]) -> S:
    """The state that asks a question."""
    return S.FREE_TEXT if q["type"] == "text" else S.QUESTION


def ask(q: Mapping[str, Any]) -> Step:
    """Go on to ask question `q`."""
    return Step(state_of(q), data={QUESTION_KEY: q["id"]})


def survey_of(ctx: Ctx, conv: Conversation) -> Survey | None:
    """The survey this conversation is answering."""
    return store.get_survey(ctx.session, conv.data.get("survey", ""))


def question_of(survey: Survey, conv: Conversation) -> dict[str, Any] | None:
    """The question being asked (None in another state, or when the survey changed)."""
    if conv.state not in (S.QUESTION, S.FREE_TEXT):
        return None
    q = survey.question(conv.data.get(QUESTION_KEY) or "")
    return q if q is not None and state_of(q) == conv.state else None


def answers(conv: Conversation) -> dict[str, Any]:
    """The answers so far, by question id."""
    return dict(conv.data.get("answers") or {})


def retry(conv: Conversation, ctx: Ctx, key: str, **values: object) -> Step:
    """Say why, and ask the same again."""
    return Step(conv.state, [common.text(t(ctx.lang, key, **values))], stay=True)


# --- what comes next, and the end -------------------------------------------------------------


def after(ctx: Ctx, conv: Conversation, survey: Survey, last: str | None) -> Step:
    """Go on to the next thing to ask, or finish (a staff preview skips eligibility)."""
    preview = bool(conv.data.get("preview"))
    need = None if preview else _needs(survey, profile(ctx, conv))
    if need is not None:
        return Step(need)
    if last is None and not preview:
        refusal = ineligible(ctx, survey, profile(ctx, conv))
        if refusal is not None:
            return end(conv, [refusal])
    q = rules.next_question(survey.questions, answers(conv), last)
    if q is None:
        return _finish(ctx, conv, survey)
    return ask(q)


def end(conv: Conversation, say: list[Message]) -> Step:
    """End the flow and forget the in-progress answers (an expiry notice still due stays)."""
    conv.data = {k: conv.data[k] for k in (parking.EXPIRED,) if conv.data.get(k)}
    conv.history = []
    conv.state = ""
    return Step(None, say)


def _finish(ctx: Ctx, conv: Conversation, survey: Survey) -> Step:
    if conv.data.get("preview"):
        return end(conv, [msg.closing(ctx.lang, "survey.preview_done")])
    kept = rules.kept_answers(survey.questions, answers(conv))
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    if not _use_code(ctx, conv, survey):
        return end(conv, [msg.closing(ctx.lang, "survey.code.used_meanwhile")])
    rid = store.submit(
        ctx.session,
        survey,
        ctx.resident.id,
        kept,
        profile(ctx, conv),
        ctx.now,
        ctx.settings.town_tz,
        secret=ctx.settings.secret_key,
    )
    title = msg.local(survey.definition["title"], ctx.lang)
    if rid is None:
        return end(conv, [msg.closing(ctx.lang, "survey.already", title=title)])
    return end(conv, [msg.closing(ctx.lang, "survey.thanks")])


def _use_code(ctx: Ctx, conv: Conversation, survey: Survey) -> bool:
    """Use the letter's code this answer came with (handlers/survey_code.py), if any.

    False when it was used meanwhile (the answer is then refused); a resident who already
    answered leaves it unused (submit refuses them).
    """
    code_hash = conv.data.get("code_hash")
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    if not code_hash or survey.id in store.completed_ids(ctx.session, ctx.resident.id):
        return True
    row = channels.invitation(ctx.session, code_hash, lock=True)
    return (
        row is not None
        and row.survey_id == survey.id
        and channels.use_invitation(ctx.session, code_hash)
    )


def unanswerable(ctx: Ctx, conv: Conversation, survey: Survey | None) -> Step | None:
    """The end of the flow when the survey is gone, closed or answers expired; None if fine.

    A staff preview may be walked before the survey's dates.
    """
    preview = bool(conv.data.get("preview"))
    if survey is None:
        return end(conv, [msg.closing(ctx.lang, "survey.gone")])
    if not preview and not survey.is_open(ctx.now):
        title = msg.local(survey.definition["title"], ctx.lang)
        closes = msg.when(survey.closes_at, ctx.lang, ctx.settings.town_tz)
        return end(conv, [msg.closing(ctx.lang, "survey.closed", title=title, closes=closes)])
    if not preview and ctx.now - conv.updated_at >= parking.kept_for(ctx):
        # asked too long ago: everything saved goes (the clock was late)
        conv.data = {}
        days = parking.kept_for(ctx).days
        return end(conv, [msg.closing(ctx.lang, "survey.saved_expired", days=days)])
    return None


# --- age band and residency, when eligibility needs them ---------------------------------------


def _profile_options(ctx: Ctx, state: S) -> list[tuple[str, str]]:
    if state == S.AGE:
        return ctx.town.options("age_band", ctx.lang)
    return [(r, t(ctx.lang, f"residency.{r}")) for r in RESIDENCIES]


def profile_state(state: S) -> State:
    """The state that asks the age band or the residency."""
    field = "age_band" if state == S.AGE else "residency"
    prompt = "survey.ask_age" if state == S.AGE else "survey.ask_residency"

    def ask_profile(ctx: Ctx, conv: Conversation) -> list[Message]:
        buttons = [
            engine.button(conv, label, "pick", str(i))
            for i, (_, label) in enumerate(_profile_options(ctx, state))
        ]
        body = t(ctx.lang, prompt, town=ctx.town.name)
        return msg.choice_question(body, buttons, engine.nav(ctx, conv))

    def answer(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
        survey = survey_of(ctx, conv)
        refused = unanswerable(ctx, conv, survey)
        if refused is not None:
            return refused
        assert survey is not None  # unanswerable ends the flow when there is none
        options = _profile_options(ctx, state)
        chosen = None
        if inp.action == "pick" and ascii_int(inp.value) in range(len(options)):
            chosen = options[int(inp.value)][0]
        elif inp.text:
            chosen = next((v for v, label in options if _norm(inp.text) in {v, label}), None)
            if chosen is None and state == S.AGE:  # typed in Japanese or English
                chosen = ctx.town.find("age_band", inp.text)
        if chosen is None:
            return retry(conv, ctx, "survey.choose_from_buttons")
        engine.update(conv, profile={**(conv.data.get("profile") or {}), field: chosen})
        assert ctx.resident is not None  # chat handlers run for a known resident
        if ctx.resident.consent == "agreed":  # kept in the profile only with consent
            setattr(ctx.resident, field, chosen)
        refusal = ineligible(ctx, survey, profile(ctx, conv))
        if refusal is not None:
            return end(conv, [refusal])
        return after(ctx, conv, survey, None)

    return State(ask=ask_profile, answer=answer)


# --- the start ---------------------------------------------------------------------------------


def intro_text(survey: Survey, lang: str, days: int = 7) -> str:
    """The first words of a survey: title, length, privacy, how to pause and for how long."""
    privacy = t(lang, "survey.anonymous_note" if survey.anonymous else "survey.named_note")
    return t(
        lang,
        "survey.intro",
        title=msg.local(survey.definition["title"], lang),
        count=len(survey.questions),
        minutes=survey.definition["minutes"],
        privacy=privacy + "\n" + t(lang, "survey.pause_note", days=days),
    )


def start(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> Step:
    """The flow's start: a survey afresh (with its intro), or resumed from a parked row."""
    survey = store.get_survey(ctx.session, args["survey"])
    assert survey is not None  # the entry points start only a survey they found
    restore = args.get("restore") or {}
    engine.update(
        conv,
        survey=survey.id,
        version=survey.version,
        answers=restore.get("answers") or {},
        profile=restore.get("profile") or {},
        picked={},
        preview=bool(args.get("preview")),
        code_hash=restore.get("code_hash"),
    )
    intro = intro_text(survey, ctx.lang, parking.kept_for(ctx).days)
    if restore.get("state") in set(S):
        conv.history = list(restore.get("history") or [])
        return Step(restore["state"], data={QUESTION_KEY: restore.get(QUESTION_KEY)})
    if args.get("preview"):
        intro = t(ctx.lang, "survey.preview_intro") + "\n\n" + intro
    first = after(ctx, conv, survey, None)
    first.say[:0] = [common.text(intro)]
    return first
