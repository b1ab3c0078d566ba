"""私のデータ: what is stored about me, and deleting it after a confirmation.

Deleting removes the resident row; every table that refers to it cascades. Anonymous
survey answers were never linked to the resident and stay, unlinkable, in the results.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from linebot.v3.messaging import Message
from sqlalchemy import delete, func, select, update

from db.broadcasts import BroadcastDelivery
from db.models import Conversation, Outbox, Resident, WebhookEvent
from db.opinions import Opinion
from handlers import chat, engine, onboarding
from handlers.context import Ctx, Outcome
from handlers.engine import Flow, Input, State, Step
from messages import common
from messages.catalog import every, t

# Other areas add a line about what they store: fn(ctx) -> text or None.
SECTIONS: list[Callable[[Ctx], str | None]] = []


def section(fn: Callable[[Ctx], str | None]) -> Callable[[Ctx], str | None]:
    """Register a line for the 私のデータ summary."""
    SECTIONS.append(fn)
    return fn


@section
def _opinions(ctx: Ctx) -> str | None:
    n = ctx.session.scalar(
        select(func.count()).select_from(Opinion).where(Opinion.resident_id == ctx.resident.id)
    )
    return t(ctx.lang, "mydata.opinions", n=n) if n else None


def summary(ctx: Ctx) -> str:
    """Everything stored about the resident, in plain words."""
    r = ctx.resident
    unset = t(ctx.lang, "unset")
    lines = [
        t(ctx.lang, "mydata.header"),
        t(ctx.lang, "mydata.language", value="日本語" if r.language == "ja" else "English"),
        t(ctx.lang, f"mydata.consent.{r.consent}"),
    ]
    if r.consent == "agreed":
        residency = t(ctx.lang, f"residency.{r.residency}") if r.residency else unset
        lines.append(
            t(
                ctx.lang,
                "profile.show",
                age=ctx.town.label("age_band", r.age_band, ctx.lang) if r.age_band else unset,
                district=ctx.town.label("district", r.district, ctx.lang) if r.district else unset,
                residency=residency,
                topics=onboarding.topic_list(ctx, r.topic_names),
            )
        )
    lines.extend(line for fn in SECTIONS if (line := fn(ctx)))
    lines.append(t(ctx.lang, "mydata.footer"))
    return "\n".join(lines)


class S(StrEnum):
    """My-data states."""

    SHOW = "show"
    CONFIRM = "confirm"


def _start(ctx: Ctx, conv: Conversation, args: dict) -> Step:
    return Step(S.SHOW)


def _ask_show(ctx: Ctx, conv: Conversation) -> list[Message]:
    return [
        common.text(
            summary(ctx),
            [
                engine.button(conv, t(ctx.lang, "mydata.label.delete"), "delete"),
                engine.button(conv, t(ctx.lang, "menu.menu"), "close"),
            ],
        )
    ]


def _answer_show(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    if inp.action == "delete" or inp.text in every("mydata.label.delete"):
        return Step(S.CONFIRM)
    return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "menu.intro"))])


def _ask_confirm(ctx: Ctx, conv: Conversation) -> list[Message]:
    return [
        common.text(
            t(ctx.lang, "mydata.confirm"),
            [
                engine.button(conv, t(ctx.lang, "mydata.label.confirm"), "confirm"),
                engine.button(conv, t(ctx.lang, "mydata.label.keep"), "keep"),
            ],
        )
    ]


def _answer_confirm(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    if inp.action == "confirm" or inp.text in every("mydata.label.confirm"):
        lang = ctx.lang
        forget(ctx)
        return Step(None, [common.with_menu(lang, t(lang, "mydata.deleted"))])
    return Step(None, [common.with_menu(ctx.lang, t(ctx.lang, "mydata.kept"))])


def forget(ctx: Ctx) -> None:
    """Delete the resident and everything that refers to them (cascades), in this transaction."""
    r = ctx.resident
    s = ctx.session
    # event ids stay (a redelivery must still be recognised) but lose their link and payload
    s.execute(
        update(WebhookEvent)
        .where(WebhookEvent.line_user_id == r.line_user_id)
        .values(line_user_id=None, payload=None)
    )
    s.execute(delete(Outbox).where(Outbox.line_user_id == r.line_user_id))
    # the one table without a foreign key (its fan-out must be fast): deleted by hand
    s.execute(delete(BroadcastDelivery).where(BroadcastDelivery.resident_id == r.id))
    for conv in s.scalars(select(Conversation).where(Conversation.resident_id == r.id)):
        s.expunge(conv)  # removed by the cascade below; the engine's last touch must not flush
    s.execute(delete(Resident).where(Resident.id == r.id))
    s.expunge(r)
    ctx.resident, ctx.conversations = None, {}


engine.register(
    Flow(
        name="mydata",
        keyword="menu.mydata",
        start=_start,
        pausable=False,
        states={
            S.SHOW: State(ask=_ask_show, answer=_answer_show),
            S.CONFIRM: State(ask=_ask_confirm, answer=_answer_confirm),
        },
    )
)


@chat.keyword("menu.mydata", "データ削除", "退会")
def show_mydata(ctx: Ctx, _text: str = "") -> Outcome:
    """Show what is stored, with 削除する."""
    return Outcome().add(*engine.start(ctx, "mydata"))
