"""Text and button input from a resident: the active conversation, keywords, fallbacks."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from handlers import engine, intents, onboarding
from handlers.context import Ctx, Outcome
from messages import common
from messages.catalog import every, t
from messages.postback import Postback, decode
from messages.text import nfkc
from messages.typed_words import LANGUAGE_WORDS

KeywordHandler = Callable[[Ctx, str], Outcome]
ActionHandler = Callable[[Ctx, Postback, dict[str, str]], Outcome]
K = TypeVar("K", bound=KeywordHandler)

KEYWORDS: dict[str, KeywordHandler] = {}
ACTIONS: dict[str, ActionHandler] = {}
PATTERNS: list[tuple[re.Pattern[str], KeywordHandler]] = []


def normalise(text: str) -> str:
    """Typed text as we compare it: NFKC, trimmed, lower case."""
    return nfkc(text, strip=True, lower=True)


def keyword(*words_or_keys: str) -> Callable[[K], K]:
    """Register a handler for typed words (catalog keys count in every language)."""

    def deco(fn: K) -> K:
        for item in words_or_keys:
            for word in every(item) or {item}:
                norm = normalise(word)
                if norm in KEYWORDS:
                    raise ValueError(f"keyword {word!r} is registered twice")
                KEYWORDS[norm] = fn
        return fn

    return deco


def pattern(regex: str) -> Callable[[KeywordHandler], KeywordHandler]:
    """Register a handler for typed text that fully matches a regex (after normalise)."""

    def deco(fn: KeywordHandler) -> KeywordHandler:
        PATTERNS.append((re.compile(regex), fn))
        return fn

    return deco


def _pattern_handler(text: str) -> KeywordHandler | None:
    norm = normalise(text)
    return next((fn for rx, fn in PATTERNS if rx.fullmatch(norm)), None)


def action(name: str) -> Callable[[ActionHandler], ActionHandler]:
    """Register a handler for a postback action outside any conversation."""

    def deco(fn: ActionHandler) -> ActionHandler:
        if name in ACTIONS:
            raise ValueError(f"postback action {name!r} is registered twice")
        ACTIONS[name] = fn
        return fn

    return deco


def flow(f: engine.Flow) -> engine.Flow:
    """Register a flow with the engine, and its entry points as keywords, actions, patterns."""
    engine.register(f)
    for entry in f.entry_points:
        run = entry.run or _starter(f)
        if entry.keywords:
            keyword(*entry.keywords)(run)
        if entry.action:
            action(entry.action)(run)
        if entry.pattern:
            pattern(entry.pattern)(run)
    return f


def _starter(f: engine.Flow) -> Callable[..., Outcome]:
    def start(ctx: Ctx, *_input: Any) -> Outcome:
        """Start the flow afresh."""
        return Outcome().add(*engine.start(ctx, f.name))

    start.__module__ = f.start.__module__  # registered by the flow's own module
    return start


def on_text(ctx: Ctx, text: str) -> Outcome:
    """A typed message: the conversation takes it, or a keyword, or the menu."""
    conv = engine.active(ctx)
    out = Outcome().add(*engine.idle_check(ctx, conv))
    if conv is not None and conv.status != "active":
        conv = None
    inp = engine.from_text(text)
    handler = KEYWORDS.get(normalise(text)) or _intent_handler(text) or _pattern_handler(text)
    if conv is not None and engine.wants(ctx, conv, inp, is_keyword=handler is not None):
        return out.add(*engine.handle(ctx, conv, inp))
    if handler is not None:
        result = handler(ctx, text)
        result.replies[:0] = out.replies
        return result
    result = not_understood(ctx, text)
    result.replies[:0] = out.replies
    return result


def not_understood(ctx: Ctx, text: str) -> Outcome:
    """Typed words that are no keyword: offer to send them as an opinion, with the menu.

    The words wait in the opinion conversation's data (never in a button, never in a log)
    until the resident sends them, declines, or starts afresh.
    """
    return Outcome().add(*engine.start(ctx, "opinion", {"offered": text}))


def _intent_handler(text: str) -> KeywordHandler | None:
    key = intents.menu_entry(text)
    return KEYWORDS.get(normalise(t("ja", key))) if key else None


def on_postback(ctx: Ctx, data: str, params: dict[str, str] | None = None) -> Outcome:
    """A tapped button: its conversation (if still current) or its registered action."""
    pb = decode(data)
    if pb is None:
        return Outcome().add(*engine.expired_button(ctx))
    if pb.flow:
        conv = engine.active(ctx)
        if conv is None or conv.flow != pb.flow:
            return Outcome().add(*engine.tapped_over(ctx, pb.flow))
        return Outcome().add(*engine.handle(ctx, conv, engine.from_postback(pb, params)))
    handler = ACTIONS.get(pb.action)
    if handler is None:
        return Outcome().add(*engine.expired_button(ctx))
    return handler(ctx, pb, dict(params or {}))


def on_other_message(ctx: Ctx) -> Outcome:
    """A sticker, photo, location…: thank them and show the menu."""
    return Outcome().add(common.with_menu(ctx.lang, t(ctx.lang, "fallback.not_text")))


# --- the menu's own entries --------------------------------------------------------


@keyword("menu.menu")
def show_menu(ctx: Ctx, _text: str = "") -> Outcome:
    """The menu as quick replies."""
    return Outcome().add(common.with_menu(ctx.lang, t(ctx.lang, "menu.intro")))


@keyword("menu.help")
def show_help(ctx: Ctx, _text: str = "") -> Outcome:
    """What the account can do, with the menu."""
    body = t(ctx.lang, "help.text", contact=ctx.town.contact_for(ctx.lang) or "-")
    return Outcome().add(common.with_menu(ctx.lang, body))


@keyword("menu.profile")
def profile(ctx: Ctx, _text: str = "") -> Outcome:
    """Show the stored profile."""
    return onboarding.show_profile(ctx)


@action("profile_edit")
def profile_edit(ctx: Ctx, _pb: Postback, _params: dict[str, str]) -> Outcome:
    """Change the profile."""
    return onboarding.edit_profile(ctx)


@keyword(*LANGUAGE_WORDS["en"], *LANGUAGE_WORDS["ja"])
def switch_language(ctx: Ctx, typed: str) -> Outcome:
    """Residents can choose English or Japanese whatever their LINE language."""
    lang = "en" if normalise(typed) in {normalise(w) for w in LANGUAGE_WORDS["en"]} else "ja"
    assert ctx.resident is not None  # typed text always comes from a known resident
    ctx.resident.language = ctx.lang = lang
    return show_menu(ctx)
