"""The announcement topics a resident receives: one stored choice for every screen.

What a resident receives is stored once, in `notify_optouts`: a topic is received unless it
is stopped (STOP_ALL stops everything but urgent news). Onboarding's 分野 question,
プロフィール and お知らせ設定 all read and write it through this module, so they show the
same thing and announcements follow it (handlers/segments.exclusions).

A resident who never chose receives every topic. Residents who agreed to keep a profile
also have their received topics in `resident_topics` (the `topic=` segment), kept equal to
what they receive each time they choose.
"""

from __future__ import annotations

from sqlalchemy import delete, select

from db.broadcasts import STOP_ALL, NotifyOptOut
from db.models import ResidentTopic
from handlers.context import Ctx
from messages.catalog import t


def stopped(ctx: Ctx) -> set[str]:
    """Topics the resident stopped (and STOP_ALL when everything non-urgent is stopped)."""
    assert ctx.resident is not None  # only for a known resident (bot/router.py)
    return set(
        ctx.session.scalars(
            select(NotifyOptOut.topic).where(NotifyOptOut.resident_id == ctx.resident.id)
        )
    )


def receiving(ctx: Ctx, off: set[str] | None = None) -> list[str]:
    """The town's topics this resident receives, in the town file's order."""
    off = stopped(ctx) if off is None else off
    return [topic for topic in ctx.town.topics if topic not in off]


def has_chosen(ctx: Ctx) -> bool:
    """Whether the resident ever chose topics (otherwise every topic is received)."""
    assert ctx.resident is not None  # only for a known resident (bot/router.py)
    off = stopped(ctx) - {STOP_ALL}
    return bool(off) or bool(ctx.resident.topic_names)


def choose(ctx: Ctx, chosen: list[str] | set[str]) -> list[str]:
    """Receive exactly these topics (STOP_ALL is kept as it was); returns them in order."""
    assert ctx.resident is not None  # only for a known resident (bot/router.py)
    rid = ctx.resident.id
    wanted = [topic for topic in ctx.town.topics if topic in set(chosen)]
    ctx.session.execute(
        delete(NotifyOptOut).where(NotifyOptOut.resident_id == rid, NotifyOptOut.topic != STOP_ALL)
    )
    for topic in ctx.town.topics:
        if topic not in wanted:
            ctx.session.add(NotifyOptOut(resident_id=rid, topic=topic, created_at=ctx.now))
    ctx.session.execute(delete(ResidentTopic).where(ResidentTopic.resident_id == rid))
    if ctx.resident.consent == "agreed":
        for topic in wanted:
            ctx.session.add(ResidentTopic(resident_id=rid, topic=topic))
    ctx.session.flush()
    ctx.session.expire(ctx.resident, ["topics"])
    return wanted


def switch(ctx: Ctx, topic: str, receive: bool) -> None:
    """Start or stop one topic, keeping the others as they are."""
    now = receiving(ctx)
    choose(ctx, [*now, topic] if receive else [x for x in now if x != topic])


def stop_all(ctx: Ctx, stop: bool) -> None:
    """Stop every non-urgent announcement, or take that back."""
    assert ctx.resident is not None  # only for a known resident (bot/router.py)
    rid = ctx.resident.id
    ctx.session.execute(
        delete(NotifyOptOut).where(NotifyOptOut.resident_id == rid, NotifyOptOut.topic == STOP_ALL)
    )
    if stop:
        ctx.session.add(NotifyOptOut(resident_id=rid, topic=STOP_ALL, created_at=ctx.now))
    ctx.session.flush()


def names(ctx: Ctx, topics: list[str]) -> str:
    """Topics as the resident reads them, joined (なし / none when there are none)."""
    labels = ctx.town.labels("topic", topics, ctx.lang)
    return t(ctx.lang, "list_sep").join(labels) or t(ctx.lang, "none")


def describe(ctx: Ctx) -> str:
    """What the resident receives, in words (says so when all but urgent news is stopped)."""
    off = stopped(ctx)
    shown = names(ctx, receiving(ctx, off))
    return t(ctx.lang, "topics.all_stopped", topics=shown) if STOP_ALL in off else shown
