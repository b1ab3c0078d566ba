"""私のデータ: everything stored about me, with 変更 where it can be changed, and deletion.

Listed: language, consent, profile, the topics received, workshop sign-ups and waitlist
places, opinions with their receipt numbers, surveys answered (for anonymous ones only that
and when: the answers were never linked to the resident). Deleting first cancels upcoming
sign-ups the ordinary way (a freed seat goes to the next person waiting, told by a push),
then removes the resident row; every table that refers to it cascades. Anonymous survey
answers stay, unlinkable, in the results. Diagram: docs/flows/mydata.mmd
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import delete, func, select, update

from db import events as ev
from db.broadcasts import BroadcastDelivery
from db.models import Conversation, Outbox, Resident, WebhookEvent
from db.opinions import Opinion
from db.staff import Staff
from db.surveys import Survey, SurveyCompletion, SurveyResponse
from handlers import chat, engine, rsvp, seats
from handlers import topics as topic_choice
from handlers.context import Ctx
from handlers.engine import Entry, Flow, Input, State, Step
from messages import common
from messages import rsvp as rsvp_msg
from messages.catalog import every, t
from messages.postback import Postback
from messages.survey import local as survey_local
from messages.typed_words import LANGUAGE_WORDS, MYDATA_WORDS

SHOWN = 5  # items listed per kind; the rest are counted

# Other areas add a line about what they store: fn(ctx) -> text or None.
SECTIONS: list[Callable[[Ctx], str | None]] = []


def section(fn: Callable[[Ctx], str | None]) -> Callable[[Ctx], str | None]:
    """Register a line for the 私のデータ summary."""
    SECTIONS.append(fn)
    return fn


def _listed(ctx: Ctx, items: list[str]) -> list[str]:
    """At most SHOWN items, then how many more."""
    more = len(items) - SHOWN
    return items[:SHOWN] + ([t(ctx.lang, "mydata.more", n=more)] if more > 0 else [])


def _day(ctx: Ctx, day: date) -> str:
    weekday = t(ctx.lang, "events.weekdays").split(",")[day.weekday()]
    return t(ctx.lang, "events.date", month=day.month, day=day.day, weekday=weekday)


def _active_signups(ctx: Ctx) -> list[ev.Signup]:
    """Confirmed and waitlisted sign-ups for events not started yet, soonest first."""
    assert ctx.resident is not None  # my data is only ever a known resident's
    return ev.active_upcoming_signups(ctx.session, ctx.resident.id, ctx.now)


@section
def _signups(ctx: Ctx) -> str | None:
    assert ctx.resident is not None  # my data is only ever a known resident's
    rows = _active_signups(ctx)
    items = []
    for row in rows:
        e = row.event
        values = dict(
            when=rsvp_msg.moment(ctx.lang, e.starts_at, ctx.settings.tz),
            title=rsvp_msg.local(ctx.lang, e.title),
            mode=t(ctx.lang, f"events.mode.{row.mode}"),
        )
        if row.status == "waitlisted":
            position = ev.waitlist_position(ctx.session, row) or "-"
            items.append(t(ctx.lang, "mydata.signup.waitlisted", position=position, **values))
        else:
            items.append(t(ctx.lang, "mydata.signup.confirmed", code=row.attendance_code, **values))
        if row.door_name:  # the LINE display name the resident agreed to show at the door
            items[-1] += t(ctx.lang, "events.door_name.mine", name=row.door_name)
    total = ev.count_signups_of(ctx.session, ctx.resident.id)
    lines = [t(ctx.lang, "mydata.signups", n=len(rows)), *_listed(ctx, items)] if rows else []
    if total > len(rows):
        lines.append(t(ctx.lang, "mydata.signups_past", n=total - len(rows)))
    return "\n".join(lines) or None


@section
def _opinions(ctx: Ctx) -> str | None:
    assert ctx.resident is not None  # my data is only ever a known resident's
    rows = list(
        ctx.session.scalars(
            select(Opinion)
            .where(Opinion.resident_id == ctx.resident.id)
            .order_by(Opinion.created_at.desc(), Opinion.id.desc())
        )
    )
    if not rows:
        return None
    items = []
    for o in rows:
        day = rsvp_msg.date_label(ctx.lang, o.created_at, ctx.settings.tz)
        if o.receipt_no:
            items.append(t(ctx.lang, "mydata.opinion.item", date=day, receipt=o.receipt_no))
        else:
            items.append(t(ctx.lang, "mydata.opinion.item_plain", date=day))
    return "\n".join([t(ctx.lang, "mydata.opinions", n=len(rows)), *_listed(ctx, items)])


@section
def _surveys(ctx: Ctx) -> str | None:
    assert ctx.resident is not None  # my data is only ever a known resident's
    rows = ctx.session.execute(
        select(SurveyCompletion, Survey)
        .join(Survey, Survey.id == SurveyCompletion.survey_id)
        .where(SurveyCompletion.resident_id == ctx.resident.id)
        .order_by(SurveyCompletion.started_at.desc(), Survey.id)
    ).all()
    done, started = [], []
    for c, survey in rows:
        title = survey_local(survey.definition["title"], ctx.lang)
        if c.completed_on is None:
            started.append(t(ctx.lang, "mydata.survey.started", title=title))
            continue
        key = "mydata.survey.anonymous" if survey.anonymous else "mydata.survey.named"
        done.append(t(ctx.lang, key, title=title, date=_day(ctx, c.completed_on)))
    if not rows:
        return None
    return "\n".join([t(ctx.lang, "mydata.surveys", n=len(done)), *_listed(ctx, done + started)])


def language_name(lang: str) -> str:
    """日本語 or English, as the language names itself."""
    return LANGUAGE_WORDS["ja" if lang == "ja" else "en"][0]


def summary(ctx: Ctx) -> str:
    """Everything stored about the resident, in plain words."""
    r = ctx.resident
    assert r is not None  # my data is only ever a known resident's
    unset = t(ctx.lang, "unset")
    lines = [
        t(ctx.lang, "mydata.header"),
        t(ctx.lang, "mydata.language", value=language_name(r.language)),
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
                topics=topic_choice.describe(ctx),
            )
        )
    elif ctx.town.topics:
        lines.append(t(ctx.lang, "mydata.topics", topics=topic_choice.describe(ctx)))
    lines.extend(line for fn in SECTIONS if (line := fn(ctx)))
    lines.append(t(ctx.lang, "mydata.footer"))
    lines.append(t(ctx.lang, "mydata.change_hint"))
    return "\n".join(lines)


def _changes(ctx: Ctx) -> list[Any]:
    """The 変更 buttons: profile, topics, sign-ups (when there are any), language."""
    assert ctx.resident is not None  # my data is only ever a known resident's
    if ctx.resident.consent == "agreed":
        profile = common.button(
            t(ctx.lang, "mydata.label.profile_edit"), Postback(action="profile_edit")
        )
    else:
        profile = common.say(t(ctx.lang, "menu.profile"))
    out = [profile, common.say(t(ctx.lang, "menu.notify"))]
    if _active_signups(ctx):
        out.append(common.say(t(ctx.lang, "events.keyword.mine")))
    out.append(common.say(LANGUAGE_WORDS["en" if ctx.lang == "ja" else "ja"][0]))
    return out


def deletion_warning(ctx: Ctx) -> str:
    """What deleting removes and cancels, item by item, in plain words."""
    assert ctx.resident is not None  # my data is only ever a known resident's
    rid = ctx.resident.id
    s = ctx.session
    signups = _active_signups(ctx)
    confirmed = sum(row.status == "confirmed" for row in signups)
    counts = {
        "mydata.confirm.signups": confirmed,
        "mydata.confirm.waitlist": len(signups) - confirmed,
        "mydata.confirm.opinions": s.scalar(
            select(func.count()).select_from(Opinion).where(Opinion.resident_id == rid)
        ),
        "mydata.confirm.named": s.scalar(
            select(func.count())
            .select_from(SurveyResponse)
            .where(SurveyResponse.resident_id == rid)
        ),
        "mydata.confirm.started": s.scalar(
            select(func.count())
            .select_from(SurveyCompletion)
            .where(SurveyCompletion.resident_id == rid, SurveyCompletion.completed_on.is_(None))
        ),
    }
    agreed = ctx.resident.consent == "agreed"
    lines = [
        t(ctx.lang, "mydata.confirm.head"),
        t(ctx.lang, "mydata.confirm.profile" if agreed else "mydata.confirm.settings"),
    ]
    lines += [t(ctx.lang, key, n=n) for key, n in counts.items() if n]
    lines += [t(ctx.lang, "mydata.confirm.news"), t(ctx.lang, "mydata.confirm")]
    return "\n".join(lines)


class S(StrEnum):
    """My-data states."""

    SHOW = "show"
    CONFIRM = "confirm"


def _start(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> Step:
    return Step(S.SHOW)


def _ask_show(ctx: Ctx, conv: Conversation) -> list[Message]:
    return [
        common.text(
            summary(ctx),
            [
                *_changes(ctx),
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
            deletion_warning(ctx),
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
    assert r is not None  # my data is only ever a known resident's
    s = ctx.session
    for signup in _active_signups(ctx):  # cancelled as by キャンセル: the next one waiting moves up
        result = seats.cancel(s, signup.event_id, r.id, ctx.now)
        rsvp.queue_promotions(s, result.promoted, ctx.settings.tz)  # sent by the outbox job
    # event ids stay (a redelivery must still be recognised) but lose their link and payload
    s.execute(
        update(WebhookEvent)
        .where(WebhookEvent.line_user_id == r.line_user_id)
        .values(line_user_id=None, payload=None)
    )
    s.execute(delete(Outbox).where(Outbox.line_user_id == r.line_user_id))
    # a staff account linked to this LINE account (for the digest push) keeps no trace of it
    s.execute(update(Staff).where(Staff.line_user_id == r.line_user_id).values(line_user_id=None))
    # the one table without a foreign key (its fan-out must be fast): deleted by hand
    s.execute(delete(BroadcastDelivery).where(BroadcastDelivery.resident_id == r.id))
    for conv in s.scalars(select(Conversation).where(Conversation.resident_id == r.id)):
        s.expunge(conv)  # removed by the cascade below; the engine's last touch must not flush
    s.execute(delete(Resident).where(Resident.id == r.id))
    s.expunge(r)
    ctx.resident, ctx.conversations = None, {}


chat.flow(
    Flow(
        name="mydata",
        keyword="menu.mydata",
        start=_start,
        pausable=False,
        states={
            S.SHOW: State(ask=_ask_show, answer=_answer_show),
            S.CONFIRM: State(ask=_ask_confirm, answer=_answer_confirm),
        },
        # what is stored, with 削除する
        entry_points=(Entry(keywords=("menu.mydata", *MYDATA_WORDS)),),
    )
)
