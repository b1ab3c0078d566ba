"""Follow, unfollow and the onboarding flow: consent, then an optional short profile.

Diagram: docs/flows/onboarding.mmd
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message

from db import residents
from db.models import Conversation, Resident
from handlers import engine
from handlers import topics as topic_choice
from handlers.context import Ctx, Outcome
from handlers.engine import Flow, Input, State, Step
from messages import common
from messages.catalog import every, pick_language, t
from messages.choices import question
from messages.postback import Postback, ascii_int
from messages.text import RESIDENCIES


class S(StrEnum):
    """Onboarding states."""

    CONSENT = "consent"
    AGE = "age"
    DISTRICT = "district"
    RESIDENCY = "residency"
    TOPICS = "topics"


def get_or_create(ctx: Ctx, user_id: str) -> Resident:
    """The resident for a LINE user id, created on first contact."""
    found = residents.by_line_user_id(ctx.session, user_id)
    return found or residents.add(ctx.session, user_id, ctx.now)


def on_follow(ctx: Ctx, user_id: str, is_unblocked: bool, language: str | None) -> Outcome:
    """Greet a new friend and ask for consent; welcome a returning one back."""
    is_new = ctx.resident is None
    resident = ctx.resident or get_or_create(ctx, user_id)
    ctx.resident = resident
    if is_new and language:
        resident.language = pick_language(language)
    ctx.lang = resident.language
    was_known = not is_new and (resident.consent != "pending" or resident.onboarded_at)
    resident.blocked = False
    resident.blocked_at = None
    resident.followed_at = ctx.now
    if was_known or (is_unblocked and not is_new):
        return Outcome().add(common.with_menu(ctx.lang, t(ctx.lang, "onboarding.welcome_back")))
    greeting = common.text(t(ctx.lang, "onboarding.greeting", town=ctx.town.name))
    return Outcome().add(greeting, *engine.start(ctx, "onboarding"))


def on_unfollow(ctx: Ctx) -> Outcome:
    """The resident blocked us: never send anything until they return."""
    if ctx.resident is not None:
        ctx.resident.blocked = True
        ctx.resident.blocked_at = ctx.now
        conv = engine.active(ctx)
        if conv is not None:
            conv.status = "paused"
    return Outcome()


def _start(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> Step:
    assert ctx.resident is not None  # a conversation is a known resident's
    if ctx.resident.consent == "agreed" and args.get("edit"):
        return Step(S.AGE)
    return Step(S.CONSENT)


# --- consent ---------------------------------------------------------------


def _ask_consent(ctx: Ctx, conv: Conversation) -> list[Message]:
    body = t(ctx.lang, "onboarding.privacy", privacy_url=ctx.town.privacy_url or "-")
    return [
        common.text(
            body,
            [
                engine.button(conv, t(ctx.lang, "label.agree"), "agree"),
                engine.button(conv, t(ctx.lang, "label.decline"), "decline"),
            ],
        )
    ]


def _answer_consent(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    resident = ctx.resident
    assert resident is not None  # a conversation is a known resident's
    if inp.action == "agree" or inp.text in every("label.agree"):
        resident.consent = "agreed"
        resident.consented_at = ctx.now
        if topic_choice.has_chosen(ctx):  # chosen before agreeing: keep it as her interests
            topic_choice.choose(ctx, topic_choice.receiving(ctx))
        return Step(S.AGE, [common.text(t(ctx.lang, "onboarding.agreed"))])
    if inp.action == "decline" or inp.text in every("label.decline"):
        forget_profile(ctx)
        resident.consent = "declined"
        resident.consented_at = None
        return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "onboarding.declined"))])
    return Step(S.CONSENT, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True)


def forget_profile(ctx: Ctx) -> None:
    """Remove every profile field of the resident."""
    r = ctx.resident
    assert r is not None  # only a known resident has a profile to forget
    r.age_band = r.district = r.residency = None
    r.onboarded_at = None
    residents.clear_topics(ctx.session, r)


# --- single-choice profile questions ------------------------------------------


def _options(ctx: Ctx, state: S) -> list[tuple[str, str]]:
    """(stored value, label) for a profile question."""
    if state in TOWN_LIST:
        return ctx.town.options(TOWN_LIST[state], ctx.lang)
    return [(r, t(ctx.lang, f"residency.{r}")) for r in RESIDENCIES]


def _typed(ctx: Ctx, state: S, text: str, options: list[tuple[str, str]]) -> str | None:
    """The stored value for a typed answer (a town list understands Japanese and English)."""
    if state in TOWN_LIST:
        return ctx.town.find(TOWN_LIST[state], text)
    return next((v for v, label in options if text in {label, v}), None)


TOWN_LIST = {S.AGE: "age_band", S.DISTRICT: "district"}  # questions asked from the town file
FIELD = {S.AGE: "age_band", S.DISTRICT: "district", S.RESIDENCY: "residency"}
PROMPT = {
    S.AGE: "onboarding.ask_age",
    S.DISTRICT: "onboarding.ask_district",
    S.RESIDENCY: "onboarding.ask_residency",
}
NEXT = {S.AGE: S.DISTRICT, S.DISTRICT: S.RESIDENCY, S.RESIDENCY: S.TOPICS}


def _single(state: S) -> State:
    def ask(ctx: Ctx, conv: Conversation) -> list[Message]:
        choices = [
            engine.button(conv, label, "pick", str(i))
            for i, (_, label) in enumerate(_options(ctx, state))
        ]
        body = t(ctx.lang, PROMPT[state], town=ctx.town.name)
        return question(body, choices, engine.nav(ctx, conv, skip=True))

    def answer(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
        options = _options(ctx, state)
        if inp.action == "skip":
            return _after(ctx, NEXT[state])
        chosen = None
        if inp.action == "pick" and ascii_int(inp.value) in range(len(options)):
            chosen = options[int(inp.value)][0]
        elif inp.text:
            chosen = _typed(ctx, state, inp.text, options)
        if chosen is None:
            return Step(
                state, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True
            )
        setattr(ctx.resident, FIELD[state], chosen)
        return _after(ctx, NEXT[state])

    return State(ask=ask, answer=answer)


def _after(ctx: Ctx, state: S) -> Step:
    """Go to the next question, skipping those the town file gives no options for."""
    if state == S.DISTRICT and not ctx.town.districts:
        state = S.RESIDENCY
    if state == S.TOPICS and not ctx.town.topics:
        return _finish(ctx)
    return Step(state)


def _finish(ctx: Ctx, extra: str = "") -> Step:
    assert ctx.resident is not None  # a conversation is a known resident's
    ctx.resident.onboarded_at = ctx.now
    body = t(ctx.lang, "onboarding.done") + (f"\n{extra}" if extra else "")
    return Step(None, [common.with_menu(ctx.lang, body)])


# --- topics: toggles with 決定 ------------------------------------------------------


def _chosen(conv: Conversation, ctx: Ctx) -> list[str]:
    """The topics ticked so far: what she receives now, or none if she never chose."""
    if "topics" not in conv.data:
        fresh = not topic_choice.has_chosen(ctx)
        engine.update(conv, topics=[] if fresh else topic_choice.receiving(ctx), fresh=fresh)
    return list(conv.data["topics"])


def _ask_topics(ctx: Ctx, conv: Conversation) -> list[Message]:
    chosen = _chosen(conv, ctx)
    toggles = [
        engine.button(conv, ("✓ " if topic in chosen else "") + label, "toggle", str(i))
        for i, (topic, label) in enumerate(ctx.town.options("topic", ctx.lang))
    ]
    done = engine.button(conv, t(ctx.lang, "label.done"), "done")
    key = "onboarding.topics_now" if conv.data.get("compact") else "onboarding.ask_topics"
    engine.update(conv, compact=False)  # after a tap, just the choice; any other re-ask, whole
    body = t(ctx.lang, key, chosen=topic_list(ctx, chosen))
    if conv.data.get("fresh") and not chosen:
        body += "\n" + t(ctx.lang, "topics.default_all")
    return question(body, toggles, [done, *engine.nav(ctx, conv, skip=True)])


def _answer_topics(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    chosen = _chosen(conv, ctx)
    topics = list(ctx.town.topics)
    if inp.action in {"done", "skip"}:
        if inp.action == "done" and (chosen or not conv.data.get("fresh")):
            _save_topics(ctx, chosen)
            return _finish(ctx, t(ctx.lang, "topics.saved", topics=topic_list(ctx, chosen)))
        return _finish(ctx)  # never chose: every topic stays on
    picked = None
    if inp.action == "toggle" and ascii_int(inp.value) in range(len(topics)):
        picked = topics[int(inp.value)]
    elif inp.text:
        picked = ctx.town.find("topic", inp.text.removeprefix("✓"))
    if picked is None:
        return Step(
            S.TOPICS, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True
        )
    chosen = [c for c in chosen if c != picked] if picked in chosen else [*chosen, picked]
    engine.update(conv, topics=[c for c in topics if c in chosen], compact=True)
    return Step(S.TOPICS, stay=True)


def topic_list(ctx: Ctx, topics: list[str]) -> str:
    """Topics as the resident reads them, joined (なし / none when there are none)."""
    return topic_choice.names(ctx, topics)


def _save_topics(ctx: Ctx, chosen: list[str]) -> None:
    """What she ticked is what she receives (handlers/topics.py), nothing else."""
    topic_choice.choose(ctx, chosen)


FLOW = engine.register(
    Flow(
        name="onboarding",
        keyword="menu.profile",
        start=_start,
        states={
            S.CONSENT: State(ask=_ask_consent, answer=_answer_consent),
            S.AGE: _single(S.AGE),
            S.DISTRICT: _single(S.DISTRICT),
            S.RESIDENCY: _single(S.RESIDENCY),
            S.TOPICS: State(ask=_ask_topics, answer=_answer_topics),
        },
    )
)


# --- プロフィール ---------------------------------------------------------------


def show_profile(ctx: Ctx) -> Outcome:
    """Show what is stored and offer to change it (or to agree first)."""
    r = ctx.resident
    assert r is not None  # the menu's entries are a known resident's
    if r.consent != "agreed":
        return Outcome().add(
            common.text(t(ctx.lang, "profile.no_consent")), *engine.start(ctx, "onboarding")
        )
    unset = t(ctx.lang, "unset")
    body = t(
        ctx.lang,
        "profile.show",
        age=ctx.town.label("age_band", r.age_band, ctx.lang) if r.age_band else unset,
        district=ctx.town.label("district", r.district, ctx.lang) if r.district else unset,
        residency=t(ctx.lang, f"residency.{r.residency}") if r.residency else unset,
        topics=topic_choice.describe(ctx),
    )
    change = common.button(t(ctx.lang, "label.change"), Postback(action="profile_edit"))
    return Outcome().add(common.text(body, [change, *common.menu_actions(ctx.lang)]))


def edit_profile(ctx: Ctx) -> Outcome:
    """Walk the profile questions again, starting from the age band."""
    assert ctx.resident is not None  # the menu's entries are a known resident's
    if ctx.resident.consent != "agreed":
        return show_profile(ctx)
    return Outcome().add(*engine.start(ctx, "onboarding", {"edit": True}))
