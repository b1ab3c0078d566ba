"""An answer code from a mailed letter, typed in chat, starts that survey in LINE.

「回答コード」 asks for the code (flow `survey_code`, one state); a code typed at any time is
recognised too (handlers/invitations.looks_like_code). A valid code of an open survey starts
(or resumes) the survey with the code's hash in the conversation data; the code is used only
when the response is written (handlers/survey.py `_finish`), in the same transaction.
Diagram: docs/flows/survey_code.mmd
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message

from db import survey_channels as channels
from db import surveys as store
from db.models import Conversation
from handlers import chat, engine, invitations
from handlers import survey as survey_flow
from handlers.context import Ctx, Outcome
from handlers.engine import Entry, Flow, Input, State, Step
from messages import common
from messages import survey as msg
from messages.catalog import t
from messages.typed_words import CODE_HYPHENS

FLOW = "survey_code"
_CH = "[0-9a-z] *"
# What looks_like_code accepts, after chat.normalise: 8 letters or digits, spaces anywhere,
# at most one hyphen.
_LEN = invitations.RANDOM_LENGTH + 1
CODE_PATTERN = "|".join(
    f" *(?:{_CH}){{{k}}}(?:- *)?(?:{_CH}){{{_LEN - k}}}" for k in range(_LEN + 1)
)


class C(StrEnum):
    """The flow's one state."""

    CODE = "code"


def try_code(ctx: Ctx, typed: str) -> tuple[list[Message], bool]:
    """What to say about a typed code, and whether the resident should simply retype it."""
    code = invitations.normalize(typed)
    if code is None:
        return [common.text(t(ctx.lang, "survey.code.malformed"))], True
    code_hash = invitations.code_hash(code)
    row = channels.invitation(ctx.session, code_hash)
    if row is None:
        return [common.text(t(ctx.lang, "survey.code.unknown"))], True
    if row.used:
        return [msg.closing(ctx.lang, "survey.code.used")], False
    survey = store.get_survey(ctx.session, row.survey_id)
    if survey is None or not survey.is_open(ctx.now):  # the usual refusals: closed, not yet
        return survey_flow.open_survey(ctx, row.survey_id), False
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    if survey.id in store.completed_ids(ctx.session, ctx.resident.id):
        title = msg.local(survey.definition["title"], ctx.lang)
        return [msg.closing(ctx.lang, "survey.code.already", title=title)], False
    say = survey_flow.open_survey(ctx, survey.id)
    conv = engine.find(ctx, survey_flow.FLOW)
    if (
        conv is not None
        and conv.status == "active"
        and conv.data.get("survey") == survey.id
        and not conv.data.get("preview")
    ):
        engine.update(conv, code_hash=code_hash)
        say = [common.text(t(ctx.lang, "survey.code.ok")), *say]
    return say, False


# --- the flow: 「回答コード」 → the code ---------------------------------------------------------


def _ask(ctx: Ctx, conv: Conversation) -> list[Message]:
    menu = engine.button(conv, t(ctx.lang, "menu.menu"), "menu")
    return [common.text(t(ctx.lang, "survey.code.ask"), [*engine.nav(ctx, conv), menu])]


def _answer(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    if inp.action == "menu":
        return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "menu.intro"))])
    if inp.tapped or not inp.text:
        return Step(conv.state, stay=True)
    say, retry = try_code(ctx, inp.text)
    return Step(conv.state, say, stay=True) if retry else Step(None, say)


def _start(_ctx: Ctx, _conv: Conversation, _args: dict[str, Any]) -> Step:
    return Step(C.CODE)


def typed_code(ctx: Ctx, text: str) -> Outcome:
    """Something shaped like a code, typed at any time."""
    conv = engine.active(ctx)
    inp = engine.from_text(text)
    if conv is not None and (
        conv.flow == FLOW
        or (invitations.normalize(text) is None and engine.wants(ctx, conv, inp, is_keyword=False))
    ):  # the code prompt, or an answer in another conversation that merely looks like one
        return Outcome().add(*engine.handle(ctx, conv, inp))
    if invitations.normalize(text) is None and not _code_like(text):
        # an ordinary word of eight letters ("workshop"): not a mistyped code
        return chat.not_understood(ctx, text)
    return Outcome().add(*try_code(ctx, text)[0])


def _code_like(text: str) -> bool:
    """A digit or a hyphen: what sets a mistyped code apart from a word."""
    return any(ch.isdigit() or ch in CODE_HYPHENS for ch in text)


chat.flow(
    Flow(
        name=FLOW,
        keyword="survey.keyword.code",
        start=_start,
        states={C.CODE: State(ask=_ask, answer=_answer)},
        entry_points=(
            Entry(keywords=("survey.keyword.code",)),  # 「回答コード」: ask for the code
            Entry(pattern=CODE_PATTERN, run=typed_code),  # something shaped like a code
        ),
    )
)
