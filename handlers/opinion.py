"""意見: an opinion at any time, or a public comment on a section of the draft plan.

Diagram: docs/flows/opinion.mmd
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from linebot.v3.messaging import Message

from db.models import Conversation
from db.opinions import Opinion
from handlers import chat, engine, plan_content
from handlers.context import Ctx, Outcome
from handlers.engine import Flow, Input, State, Step
from messages import common
from messages.catalog import every, t
from messages.choices import question
from messages.plan import local

MAX_LENGTH = 1000


class S(StrEnum):
    """Opinion states."""

    KIND = "kind"
    SECTION = "section"
    WRITE = "write"
    CONFIRM = "confirm"


def clean(text: str) -> str:
    """Resident text as we store it: NFC, control characters removed, trimmed."""
    text = unicodedata.normalize("NFC", text)
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    return kept.strip()


def _consultation(ctx: Ctx, conv: Conversation) -> dict | None:
    cid = conv.data.get("consultation")
    if not cid:
        return None
    return next(
        (c for c in plan_content.items(ctx.session, "consultation") if c["id"] == cid), None
    )


def _limit(ctx: Ctx, conv: Conversation) -> int:
    c = _consultation(ctx, conv)
    return c.get("max_length", MAX_LENGTH) if c else MAX_LENGTH


def _start(ctx: Ctx, conv: Conversation, args: dict) -> Step:
    if "offered" in args:  # typed outside any conversation (handlers/chat.py): keep the words
        return _offer(ctx, conv, clean(args["offered"]))
    open_now = plan_content.open_consultation(ctx.session, ctx.now)
    if open_now is None:
        return Step(S.WRITE)
    engine.update(conv, open=open_now["id"])
    return Step(S.KIND)


def _offer(ctx: Ctx, conv: Conversation, text: str) -> Step:
    """Offer to send typed words as an opinion: the confirmation, with the menu beside it."""
    if not text:
        return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "fallback.unknown"))])
    if len(text) > MAX_LENGTH:
        too_long = t(ctx.lang, "opinion.too_long", max=MAX_LENGTH, n=len(text))
        return Step(S.WRITE, [common.text(t(ctx.lang, "fallback.offer_long") + "\n" + too_long)])
    engine.update(conv, draft=text, offered=True)
    return Step(S.CONFIRM)


def _ask_kind(ctx: Ctx, conv: Conversation) -> list[Message]:
    c = next(
        c for c in plan_content.items(ctx.session, "consultation") if c["id"] == conv.data["open"]
    )
    body = t(ctx.lang, "opinion.ask_kind", title=local(c["title"], ctx.lang), url=c.get("url", ""))
    return [
        common.text(
            body,
            [
                engine.button(conv, t(ctx.lang, "opinion.label.comment"), "comment"),
                engine.button(conv, t(ctx.lang, "opinion.label.general"), "general"),
                *engine.nav(ctx, conv),
            ],
        )
    ]


def _answer_kind(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    if inp.action == "comment" or inp.text in every("opinion.label.comment"):
        engine.update(conv, consultation=conv.data["open"])
        return Step(S.SECTION)
    if inp.action == "general" or inp.text in every("opinion.label.general"):
        engine.update(conv, consultation=None)
        return Step(S.WRITE)
    return Step(S.KIND, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True)


def _ask_section(ctx: Ctx, conv: Conversation) -> list[Message]:
    sections = _consultation(ctx, conv)["sections"]
    choices = [engine.button(conv, s, "section", str(i)) for i, s in enumerate(sections)]
    return question(t(ctx.lang, "opinion.ask_section"), choices, engine.nav(ctx, conv))


def _answer_section(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    sections = _consultation(ctx, conv)["sections"]
    index = None
    if inp.action == "section" and inp.value.isdigit() and int(inp.value) < len(sections):
        index = int(inp.value)
    elif inp.text in sections:
        index = sections.index(inp.text)
    if index is None:
        return Step(
            S.SECTION, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True
        )
    engine.update(conv, section=sections[index])
    return Step(S.WRITE)


def _ask_write(ctx: Ctx, conv: Conversation) -> list[Message]:
    body = t(ctx.lang, "opinion.ask_write", max=_limit(ctx, conv))
    return [common.text(body, engine.nav(ctx, conv))]


def _answer_write(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    if inp.text is None:
        return Step(S.WRITE, [common.text(t(ctx.lang, "opinion.type_please"))], stay=True)
    text = clean(inp.text)
    limit = _limit(ctx, conv)
    if not text:
        return Step(S.WRITE, [common.text(t(ctx.lang, "opinion.type_please"))], stay=True)
    if len(text) > limit:
        return Step(
            S.WRITE,
            [common.text(t(ctx.lang, "opinion.too_long", max=limit, n=len(text)))],
            stay=True,
        )
    engine.update(conv, draft=text)
    return Step(S.CONFIRM)


def _ask_confirm(ctx: Ctx, conv: Conversation) -> list[Message]:
    draft = conv.data["draft"]
    preview = draft if len(draft) <= 300 else draft[:300] + "…"
    send = engine.button(conv, t(ctx.lang, "opinion.label.send"), "send")
    confirm = t(ctx.lang, "opinion.confirm", text=preview)
    if conv.data.get("offered"):  # typed outside a conversation: send, don't, or the menu
        body = t(ctx.lang, "fallback.offer") + "\n" + confirm
        discard = engine.button(conv, t(ctx.lang, "opinion.label.discard"), "discard")
        return [common.text(body, [send, discard, *common.menu_actions(ctx.lang)])]
    return [
        common.text(
            confirm,
            [
                send,
                engine.button(conv, t(ctx.lang, "opinion.label.rewrite"), "back"),
                *engine.nav(ctx, conv, back=False),
            ],
        )
    ]


def _answer_confirm(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    declined = {*every("opinion.label.discard"), *every("label.no")}
    if inp.action == "discard" or (conv.data.get("offered") and inp.text in declined):
        conv.data = {}  # the words were not sent: they are not kept either
        return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "fallback.discarded"))])
    if not (
        inp.action == "send"
        or inp.text in every("opinion.label.send")
        or (conv.data.get("offered") and inp.text in every("label.yes"))
    ):
        return _add_to_draft(ctx, conv, inp)
    consultation = _consultation(ctx, conv)
    opinion = Opinion(
        resident_id=ctx.resident.id,
        body=conv.data["draft"],
        created_at=ctx.now,
        consultation_id=consultation["id"] if consultation else None,
        section=conv.data.get("section"),
    )
    ctx.session.add(opinion)
    ctx.session.flush()
    opinion.receipt_no = f"{'PC' if consultation else 'OP'}-{opinion.id:06d}"
    conv.data = {}  # the resident's words live only in the opinion row now
    key = "opinion.thanks_comment" if consultation else "opinion.thanks"
    return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, key, receipt=opinion.receipt_no))])


def _add_to_draft(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    """More typed words at the confirmation join the draft (nothing typed is thrown away)."""
    more = clean(inp.text or "")
    if inp.tapped or not more:
        return Step(
            S.CONFIRM, [common.text(t(ctx.lang, "onboarding.choose_from_buttons"))], stay=True
        )
    draft = conv.data["draft"] + "\n" + more
    limit = _limit(ctx, conv)
    if len(draft) > limit:
        return Step(
            S.CONFIRM,
            [common.text(t(ctx.lang, "opinion.too_long_added", max=limit, n=len(draft)))],
            stay=True,
        )
    engine.update(conv, draft=draft)
    return Step(S.CONFIRM, [common.text(t(ctx.lang, "opinion.added"))], stay=True)


engine.register(
    Flow(
        name="opinion",
        keyword="menu.opinion",
        start=_start,
        states={
            S.KIND: State(ask=_ask_kind, answer=_answer_kind),
            S.SECTION: State(ask=_ask_section, answer=_answer_section),
            S.WRITE: State(ask=_ask_write, answer=_answer_write, free_text=True),
            S.CONFIRM: State(ask=_ask_confirm, answer=_answer_confirm),
        },
    )
)


@chat.keyword("menu.opinion", "パブリックコメント", "パブコメ")
def start_opinion(ctx: Ctx, _text: str = "") -> Outcome:
    """Begin an opinion (or a public comment while a consultation is open)."""
    return Outcome().add(*engine.start(ctx, "opinion"))
