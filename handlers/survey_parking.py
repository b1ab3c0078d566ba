"""Surveys left mid-way, and unfinished answers that expire.

A resident who opens another survey while one is in progress parks it: where they were (the
state, the question id, the history) and the answers so far become a `parked_surveys` row
(db.models.ParkedSurvey), which comes back when they open that survey again.

Unfinished answers, paused or parked, are kept for SURVEY_PAUSED_ANSWERS_DAYS after the last
step; then they are deleted (by the clock's `answers` job, or here when the resident comes back
first) and the resident is told once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeGuard

from linebot.v3.messaging import Message
from sqlalchemy import select, union
from sqlalchemy.orm import Session

from db.models import Conversation, ParkedSurvey, Resident
from handlers.context import Ctx
from messages import common
from messages.catalog import t

FLOW = "survey"
EXPIRED = "expired"  # data key: answers expired, not yet told; also the state of such a row
RESTORED = ("q", "answers", "profile", "code_hash")  # what a parked row keeps of the data


def kept_for(ctx: Ctx) -> timedelta:
    """How long unfinished answers are kept after the last activity."""
    return timedelta(days=ctx.settings.survey_paused_answers_days)


def in_progress(conv: Conversation | None) -> TypeGuard[Conversation]:
    """A survey is under way in this conversation (active or paused, at some question)."""
    return (
        conv is not None
        and conv.status in {"active", "paused"}
        and bool(conv.data.get("survey"))
        and conv.state not in ("", EXPIRED)
    )


def parked(session: Session, resident_id: int) -> list[ParkedSurvey]:
    """The resident's parked surveys."""
    return list(
        session.scalars(
            select(ParkedSurvey)
            .where(ParkedSurvey.resident_id == resident_id)
            .order_by(ParkedSurvey.id)
        )
    )


def started_ids(ctx: Ctx, conv: Conversation | None) -> set[str]:
    """The surveys this resident can resume: the parked ones and the one under way."""
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    ids = {row.survey_id for row in parked(ctx.session, ctx.resident.id)}
    if in_progress(conv):
        ids.add(conv.data["survey"])
    return ids


def park(ctx: Ctx, conv: Conversation) -> None:
    """Keep the survey under way in its own row (the conversation moves on to another)."""
    if not in_progress(conv) or conv.data.get("preview"):
        return
    survey_id = conv.data["survey"]
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    row = next((r for r in parked(ctx.session, ctx.resident.id) if r.survey_id == survey_id), None)
    if row is None:
        row = ParkedSurvey(resident_id=ctx.resident.id, survey_id=survey_id)
        ctx.session.add(row)
    row.state = conv.state
    row.data = {k: conv.data.get(k) for k in RESTORED}
    row.history = list(conv.history)
    row.parked_at = ctx.now  # parked answers expire too (forget_stale)


def unpark(ctx: Ctx, survey_id: str) -> dict[str, Any] | None:
    """Take a parked survey back (its row goes): state, history and data to start from."""
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    for row in parked(ctx.session, ctx.resident.id):
        if row.survey_id == survey_id:
            restore = {**row.data, "state": row.state, "history": list(row.history)}
            ctx.session.delete(row)
            return restore
    return None


def forget_stale(session: Session, conv: Conversation, now: datetime, kept: timedelta) -> bool:
    """Delete answers saved longer than `kept` ago and leave a notice; True if any were."""
    cutoff = now - kept
    rows = parked(session, conv.resident_id)
    if conv.updated_at <= cutoff and (in_progress(conv) or rows):
        for row in rows:
            session.delete(row)
        conv.data, conv.history = {EXPIRED: True}, []
        conv.status, conv.state, conv.updated_at = "done", EXPIRED, now
        return True
    old = [row for row in rows if row.parked_at <= cutoff]
    for row in old:
        session.delete(row)
    if old:
        conv.data = {**conv.data, EXPIRED: True}
    return bool(old)


def tell_expired(ctx: Ctx, conv: Conversation | None) -> list[Message]:
    """Forget answers kept too long (if the clock has not yet) and say so, once."""
    if conv is None:
        return []
    forget_stale(ctx.session, conv, ctx.now, kept_for(ctx))
    if not conv.data.get(EXPIRED):
        return []
    conv.data = {k: v for k, v in conv.data.items() if k != EXPIRED}
    if conv.state == EXPIRED:
        conv.state = ""
    return [common.text(t(ctx.lang, "survey.saved_expired", days=kept_for(ctx).days))]


def holders(session: Session) -> list[int]:
    """Residents whose survey conversation or parked surveys may hold answers."""
    convs = select(Conversation.resident_id).where(
        Conversation.flow == FLOW, Conversation.state != EXPIRED
    )
    rows = select(ParkedSurvey.resident_id)
    return sorted(session.scalars(union(convs, rows)))


def forget_old_answers(session: Session, resident_id: int, now: datetime, kept: timedelta) -> int:
    """The clock's half: expire one resident's old answers; a finished one's row goes. 1 if so.

    The resident's row is locked first, as their webhook events lock it, so the two never
    interleave.
    """
    session.scalar(select(Resident.id).where(Resident.id == resident_id).with_for_update())
    conv = session.scalar(
        select(Conversation).where(
            Conversation.resident_id == resident_id, Conversation.flow == FLOW
        )
    )
    if conv is None:  # parked rows without their conversation: one to hold the notice
        if not any(row.parked_at <= now - kept for row in parked(session, resident_id)):
            return 0
        conv = Conversation(
            resident_id=resident_id, flow=FLOW, state="", status="done", step=0, data={},
            history=[], updated_at=now,
        )  # fmt: skip
        session.add(conv)
    if conv.state == EXPIRED:
        return 0
    if forget_stale(session, conv, now, kept):
        return 1
    if conv.status == "done" and not conv.data.get(EXPIRED) and not parked(session, resident_id):
        session.delete(conv)  # a finished survey: the moment it ended goes with the row
        return 1
    return 0
