"""Surveys in chat: the flow as data, its entry points (the list, a chosen survey, a preview).

The states and what comes next: handlers/survey_flow.py; a question asked and answered:
handlers/survey_steps.py; a survey left for another, and answers that expire:
handlers/survey_parking.py. Diagram: docs/flows/survey.mmd
"""

from __future__ import annotations

import hashlib
import hmac

from linebot.v3.messaging import Message

from db import surveys as store
from handlers import chat, engine
from handlers import survey_parking as parking
from handlers.context import Ctx, Outcome
from handlers.engine import Entry, Flow, State
from handlers.survey_flow import (
    FLOW as FLOW,
)
from handlers.survey_flow import (
    S as S,
)
from handlers.survey_flow import (
    end as end,
)
from handlers.survey_flow import (
    ineligible as ineligible,
)
from handlers.survey_flow import (
    intro_text as intro_text,
)
from handlers.survey_flow import (
    profile as profile,
)
from handlers.survey_flow import (
    profile_state as profile_state,
)
from handlers.survey_flow import (
    start as start,
)
from handlers.survey_flow import (
    state_of as state_of,
)
from handlers.survey_parking import (
    EXPIRED as EXPIRED,
)
from handlers.survey_parking import (
    forget_old_answers as forget_old_answers,
)
from handlers.survey_parking import (
    forget_stale as forget_stale,
)
from handlers.survey_parking import (
    holders as holders,
)
from handlers.survey_parking import (
    kept_for as kept_for,
)
from handlers.survey_parking import (
    tell_expired as tell_expired,
)
from handlers.survey_steps import (
    answer_question as answer_question,
)
from handlers.survey_steps import (
    ask_question as ask_question,
)
from handlers.survey_steps import (
    question_messages as question_messages,
)
from messages import common
from messages import survey as msg
from messages.catalog import t
from messages.postback import Postback

STATES: dict[str, State] = {
    S.AGE: profile_state(S.AGE),
    S.RESIDENCY: profile_state(S.RESIDENCY),
    S.QUESTION: State(ask=ask_question, answer=answer_question),
    S.FREE_TEXT: State(ask=ask_question, answer=answer_question, free_text=True),
}


# --- entry points: the list and a chosen survey ------------------------------------------------


def survey_menu(ctx: Ctx, _text: str = "") -> Outcome:
    """The open surveys this resident may answer and has not finished."""
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    done = store.completed_ids(ctx.session, ctx.resident.id)
    conv = engine.find(ctx, FLOW)
    notice = tell_expired(ctx, conv)
    started = parking.started_ids(ctx, conv)
    known = profile(ctx)
    items, buttons = [], []
    for survey in store.open_surveys(ctx.session, ctx.now):
        if survey.id in done or ineligible(ctx, survey, known) is not None:
            continue
        title = msg.local(survey.definition["title"], ctx.lang)
        if survey.id in started:
            items.append(t(ctx.lang, "survey.list_item_resume", title=title))
            label = t(ctx.lang, "survey.label_resume", title=title)
        else:
            items.append(
                t(
                    ctx.lang,
                    "survey.list_item",
                    title=title,
                    count=len(survey.questions),
                    minutes=survey.definition["minutes"],
                    closes=msg.when(survey.closes_at, ctx.lang, ctx.settings.town_tz),
                )
            )
            label = title
        buttons.append(common.button(label, Postback(action="survey_open", value=survey.id)))
    if not buttons:
        return Outcome().add(*notice, msg.closing(ctx.lang, "survey.none_open"))
    return Outcome().add(*notice, *msg.survey_list(ctx.lang, items, buttons[:12]))


def survey_open(ctx: Ctx, pb: Postback, _params: dict[str, str]) -> Outcome:
    """Start or resume the chosen survey."""
    return Outcome().add(*open_survey(ctx, pb.value))


def open_survey(ctx: Ctx, survey_id: str) -> list[Message]:
    """Start (or resume) a survey, after checking dates, earlier answers and eligibility."""
    conv = engine.find(ctx, FLOW)
    notice = tell_expired(ctx, conv)
    refusal = _refusal(ctx, survey_id)
    if refusal is not None:
        return [*notice, refusal]
    if parking.in_progress(conv) and conv.data.get("survey") == survey_id:
        return notice + (engine.resume(ctx, FLOW) or [])
    if conv is not None:
        parking.park(ctx, conv)  # the survey under way waits in its own row
    restore = parking.unpark(ctx, survey_id)
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    store.record_start(ctx.session, ctx.resident.id, survey_id, ctx.now)
    return notice + engine.start(ctx, FLOW, {"survey": survey_id, "restore": restore})


def _refusal(ctx: Ctx, survey_id: str) -> Message | None:
    """Why this survey cannot be answered now (gone, dates, answered, consent, eligibility)."""
    survey = store.get_survey(ctx.session, survey_id)
    if survey is None:
        return msg.closing(ctx.lang, "survey.gone")
    title = msg.local(survey.definition["title"], ctx.lang)
    tz = ctx.settings.town_tz
    if ctx.now < survey.opens_at:
        opens = msg.when(survey.opens_at, ctx.lang, tz)
        return msg.closing(ctx.lang, "survey.not_open", title=title, opens=opens)
    if not survey.is_open(ctx.now):
        conv = engine.find(ctx, FLOW)
        if conv is not None and conv.data.get("survey") == survey.id:
            end(conv, [])
            conv.status = "done"
        closes = msg.when(survey.closes_at, ctx.lang, tz)
        return msg.closing(ctx.lang, "survey.closed", title=title, closes=closes)
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    if survey.id in store.completed_ids(ctx.session, ctx.resident.id):
        return msg.closing(ctx.lang, "survey.already", title=title)
    if not survey.anonymous and ctx.resident.consent != "agreed":
        return msg.closing(ctx.lang, "survey.need_consent")
    return ineligible(ctx, survey, profile(ctx))


# --- staff preview (from the simulator) -------------------------------------------------------

PREVIEW_ACTION = "survey_preview"


def preview_signature(secret_key: str, user_id: str, survey_id: str) -> str:
    """What proves a survey_preview postback was made by this server's simulator."""
    message = f"{PREVIEW_ACTION}:{user_id}:{survey_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:16]


def survey_preview(ctx: Ctx, pb: Postback, _params: dict[str, str]) -> Outcome:
    """Walk a survey before it opens; nothing is stored. Only with the simulator enabled."""
    assert ctx.resident is not None  # chat handlers run for a known resident (bot/router.py)
    survey_id, _, signature = pb.value.rpartition(".")
    expected = preview_signature(ctx.settings.secret_key, ctx.resident.line_user_id, survey_id)
    survey = store.get_survey(ctx.session, survey_id) if survey_id else None
    if (
        not ctx.settings.simulator_enabled
        or not hmac.compare_digest(signature, expected)
        or survey is None
    ):
        return Outcome().add(*engine.expired_button(ctx))
    conv = engine.find(ctx, FLOW)
    if conv is not None and conv.status == "active" and conv.data.get("survey"):
        conv.status = "paused"  # the resident's own survey stays resumable
    return Outcome().add(*engine.start(ctx, FLOW, {"survey": survey.id, "preview": True}))


chat.flow(
    Flow(
        name=FLOW,
        keyword="menu.survey",
        start=start,
        states=STATES,
        keeps=("q",),
        entry_points=(
            Entry(keywords=("menu.survey",), run=survey_menu),
            Entry(action="survey_open", run=survey_open),
            Entry(action=PREVIEW_ACTION, run=survey_preview),
        ),
    )
)
