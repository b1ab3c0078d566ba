"""Surveys in chat: the list, eligibility, one question per message, and the response.

States are `age` and `residency` (asked first when a survey's eligibility needs them and the
profile does not say) and one state per question: `q.<id>` for choice and scale questions,
`t.<id>` for free text. In-progress answers live in the conversation's data only; the response
is written at the end, and the conversation is cleared, so an anonymous response leaves no
trace that ties it to the resident; unfinished answers expire (SURVEY_PAUSED_ANSWERS_DAYS).
Diagram: docs/flows/survey.mmd
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from enum import StrEnum

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from db import survey_channels as channels
from db import surveys as store
from db.models import Conversation, Resident
from db.surveys import Survey
from handlers import chat, engine, onboarding, survey_content  # noqa: F401 (registers the kind)
from handlers import survey_rules as rules
from handlers.context import Ctx, Outcome
from handlers.engine import Flow, Input, State, Step
from messages import common
from messages import survey as msg
from messages.catalog import t
from messages.postback import Postback, ascii_int

FLOW = "survey"
CHOICE_PREFIX, TEXT_PREFIX = "q.", "t."
PROFILE_FIELDS = ("age_band", "district", "residency")


class S(StrEnum):
    """Fixed states (question states are `q.<id>` / `t.<id>`)."""

    AGE = "age"
    RESIDENCY = "residency"


_norm = rules.norm


# --- eligibility ---------------------------------------------------------------------------


def profile(ctx: Ctx, conv: Conversation | None = None) -> dict:
    """The resident's age band, district and residency (answers given in this survey win)."""
    r = ctx.resident
    known = {f: getattr(r, f) for f in PROFILE_FIELDS}
    if conv is not None:
        known.update({k: v for k, v in (conv.data.get("profile") or {}).items() if v})
    return known


def ineligible(ctx: Ctx, survey: Survey, known: dict) -> Message | None:
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


def _needs(survey: Survey, known: dict) -> S | None:
    need = rules.needs(survey.definition, known)
    return {"age_band": S.AGE, "residency": S.RESIDENCY}.get(need or "")


# --- questions -------------------------------------------------------------------------------


def state_of(q: dict) -> str:
    """The conversation state that asks a question."""
    return (TEXT_PREFIX if q["type"] == "text" else CHOICE_PREFIX) + q["id"]


def next_question(survey: Survey, answers: dict, after: str | None) -> dict | None:
    """The first visible question after the one with id `after` (or the first of all)."""
    return rules.next_question(survey.questions, answers, after)


def _survey(ctx: Ctx, conv: Conversation) -> Survey | None:
    return store.get_survey(ctx.session, conv.data.get("survey", ""))


def _question(survey: Survey, conv: Conversation) -> dict | None:
    if not conv.state.startswith((CHOICE_PREFIX, TEXT_PREFIX)):
        return None
    q = survey.question(conv.state[2:])
    return q if q is not None and state_of(q) == conv.state else None


def _answers(conv: Conversation) -> dict:
    return dict(conv.data.get("answers") or {})


def _after(ctx: Ctx, conv: Conversation, survey: Survey, after: str | None) -> Step:
    """Go on to the next thing to ask, or finish (a staff preview skips eligibility)."""
    preview = bool(conv.data.get("preview"))
    need = None if preview else _needs(survey, profile(ctx, conv))
    if need is not None:
        return Step(need)
    if after is None and not preview:
        refusal = ineligible(ctx, survey, profile(ctx, conv))
        if refusal is not None:
            return _end(conv, [refusal])
    q = next_question(survey, _answers(conv), after)
    if q is None:
        return _finish(ctx, conv, survey)
    return Step(state_of(q))


def _end(conv: Conversation, say: list[Message]) -> Step:
    """End the flow and forget the in-progress answers (other parked surveys are kept)."""
    conv.data = {k: conv.data[k] for k in ("parked", EXPIRED) if conv.data.get(k)}
    conv.history = []
    conv.state = ""
    return Step(None, say)


def _finish(ctx: Ctx, conv: Conversation, survey: Survey) -> Step:
    if conv.data.get("preview"):
        return _end(conv, [msg.closing(ctx.lang, "survey.preview_done")])
    answers = _answers(conv)
    kept = rules.kept_answers(survey.questions, answers)
    if not _use_code(ctx, conv, survey):
        return _end(conv, [msg.closing(ctx.lang, "survey.code.used_meanwhile")])
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
        return _end(conv, [msg.closing(ctx.lang, "survey.already", title=title)])
    return _end(conv, [msg.closing(ctx.lang, "survey.thanks")])


def _use_code(ctx: Ctx, conv: Conversation, survey: Survey) -> bool:
    """Use the letter's code this answer came with (handlers/survey_code.py), if any.

    False when it was used meanwhile (the answer is then refused); a resident who already
    answered leaves it unused (submit refuses them).
    """
    code_hash = conv.data.get("code_hash")
    if not code_hash or survey.id in store.completed_ids(ctx.session, ctx.resident.id):
        return True
    row = channels.invitation(ctx.session, code_hash, lock=True)
    return (
        row is not None
        and row.survey_id == survey.id
        and channels.use_invitation(ctx.session, code_hash)
    )


def _open_for(ctx: Ctx, conv: Conversation, survey: Survey | None) -> bool:
    """Open now, or opened by staff as a preview (before its dates)."""
    return survey is not None and (bool(conv.data.get("preview")) or survey.is_open(ctx.now))


def _closed(ctx: Ctx, conv: Conversation, survey: Survey | None) -> Step:
    if survey is None:
        return _end(conv, [msg.closing(ctx.lang, "survey.gone")])
    return _end(
        conv,
        [
            msg.closing(
                ctx.lang,
                "survey.closed",
                title=msg.local(survey.definition["title"], ctx.lang),
                closes=msg.when(survey.closes_at, ctx.lang, ctx.settings.town_tz),
            )
        ],
    )


def _progress(survey: Survey, q: dict, answers: dict, every: bool = False) -> str:
    """`Q2/5`: this question's place among those this resident is asked, and how many in all.

    Questions before this one count only when they were shown (survey_rules.asked); later
    ones count when shown by the answers so far, or when what decides them is still to come.
    `every` (the staff preview, which shows every question): the path that shows them all.
    """
    questions = survey.questions
    at = next(i for i, x in enumerate(questions) if x["id"] == q["id"])
    if every:
        return f"Q{at + 1}/{len(questions)}"
    decided = {x["id"] for x in questions[:at]}
    n = len(rules.asked(questions[:at], answers)) + 1
    later = [
        x
        for x in questions[at + 1 :]
        if rules.visible(x, answers) or any(ref not in decided for ref in x.get("show_if") or {})
    ]
    return f"Q{n}/{n + len(later)}"


def _nav(ctx: Ctx, conv: Conversation, q: dict) -> list:
    buttons = engine.nav(ctx, conv, skip=not q.get("required", True))
    if conv.data.get("typed"):  # words typed instead of a choice: offer to send them
        buttons.insert(0, engine.button(conv, t(ctx.lang, "label.offer_opinion"), "offer"))
    return buttons


def _ask_question(ctx: Ctx, conv: Conversation) -> list[Message]:
    survey = _survey(ctx, conv)
    q = _question(survey, conv) if survey else None
    if q is None:
        return [common.text(t(ctx.lang, "survey.gone"))]
    out = question_messages(survey, q, conv, ctx.lang, _nav(ctx, conv, q))
    picked = conv.data.get("picked") or {}
    if picked.get("compact"):  # shown once: the next re-ask (resume, stale button) is whole
        engine.update(conv, picked={**picked, "compact": False})
    return out


def question_messages(
    survey: Survey, q: dict, conv: Conversation, lang: str, nav: list
) -> list[Message]:
    """The messages that ask one question (the chat and the console preview both use this)."""
    text = msg.local(q["text"], lang)
    optional = "" if q.get("required", True) else t(lang, "survey.optional")
    progress = _progress(survey, q, _answers(conv), every=bool(conv.data.get("every_question")))
    if q["type"] == "single":
        body = msg.heading(progress, text, t(lang, "survey.hint_single"), optional)
        buttons = [
            engine.button(conv, msg.local(c["label"], lang), "pick", str(i))
            for i, c in enumerate(q["choices"])
        ]
        return msg.choice_question(body, buttons, nav)
    if q["type"] == "multi":
        chosen = _picked(conv, q)
        labels = {c["value"]: msg.local(c["label"], lang) for c in q["choices"]}
        chosen_text = t(lang, "survey.list_sep").join(labels[v] for v in chosen) or t(lang, "none")
        picked = conv.data.get("picked") or {}
        if picked.get("q") == q["id"] and picked.get("compact"):  # after a tap: just the choice
            body = t(lang, "survey.chosen_now", chosen=chosen_text, max=q["max_choices"])
        else:
            hint = t(lang, "survey.hint_multi", max=q["max_choices"], chosen=chosen_text)
            body = msg.heading(progress, text, hint, optional)
        toggles = [
            engine.button(
                conv, ("✓ " if c["value"] in chosen else "") + labels[c["value"]], "toggle", str(i)
            )
            for i, c in enumerate(q["choices"])
        ]
        done = engine.button(conv, t(lang, "label.done"), "done")
        return msg.choice_question(body, toggles, [done, *nav])
    if q["type"] == "scale":
        ends = "  ".join(
            f"{k}: {msg.local(v, lang)}"
            for k, v in sorted(q.get("labels", {}).items(), key=lambda kv: int(kv[0]))
        )
        hint = t(lang, "survey.hint_scale", min=q["min"], max=q["max"], labels=ends).strip()
        body = msg.heading(progress, text, hint, optional)
        numbers = [
            engine.button(conv, str(n), "pick", str(n)) for n in range(q["min"], q["max"] + 1)
        ]
        return msg.scale_question(body, numbers, nav)
    body = msg.heading(progress, text, t(lang, "survey.hint_text", max=q["max_length"]), optional)
    return msg.text_question(body, nav)


def _picked(conv: Conversation, q: dict) -> list[str]:
    """The working set of a multiple-choice question (starts from the saved answer)."""
    picked = conv.data.get("picked") or {}
    if picked.get("q") != q["id"]:
        return list(_answers(conv).get(q["id"]) or [])
    return list(picked["values"])


def _save(conv: Conversation, q: dict, values: list | None) -> None:
    answers = _answers(conv)
    if values is None:
        answers.pop(q["id"], None)
    else:
        answers[q["id"]] = values
    engine.update(conv, answers=answers, picked={})


def _retry(conv: Conversation, ctx: Ctx, key: str, **values) -> Step:
    return Step(conv.state, [common.text(t(ctx.lang, key, **values))], stay=True)


OFFER_AFTER = 12  # typed characters that read as words of one's own, not a mistyped choice


def _not_a_choice(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    """Typed words that are no choice: ask for a button, and offer to send them as an opinion.

    The words wait in the conversation (never in a button or a log) until the next input.
    """
    typed = opinion_words(inp.text)
    if inp.tapped or len(typed) < OFFER_AFTER or conv.data.get("preview"):
        return _retry(conv, ctx, "survey.choose_from_buttons")
    engine.update(conv, typed=typed)
    return _retry(conv, ctx, "survey.choose_or_offer")


def _offer(ctx: Ctx, conv: Conversation) -> Step:
    """「意見として送る」: the survey pauses and the words go to the opinion flow's confirmation."""
    typed = conv.data.get("typed")
    engine.update(conv, typed=None)
    if not typed:
        return _retry(conv, ctx, "survey.choose_from_buttons")
    note = common.text(t(ctx.lang, "survey.offer_paused", keyword=t(ctx.lang, "menu.survey")))
    return Step(conv.state, [note, *engine.start(ctx, "opinion", {"offered": typed})], pause=True)


def opinion_words(text: str | None) -> str:
    """Typed text as it would be sent as an opinion (trimmed)."""
    return (text or "").strip()


def _answer_question(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    survey = _survey(ctx, conv)
    if not _open_for(ctx, conv, survey):
        return _closed(ctx, conv, survey)
    if _stale(ctx, conv):
        return _expire_now(ctx, conv)
    q = _question(survey, conv)
    if q is None:  # the survey changed under the resident: carry on from the start
        engine.update(conv, picked={})
        first = _after(ctx, conv, survey, None)
        first.say[:0] = [common.text(t(ctx.lang, "survey.changed"))]
        return first
    if inp.action == "offer":
        return _offer(ctx, conv)
    engine.update(conv, typed=None)
    if inp.action == "skip":
        if q.get("required", True):
            return _retry(conv, ctx, "survey.required")
        _save(conv, q, None)
        return _after(ctx, conv, survey, q["id"])
    values = _ANSWER[q["type"]](ctx, conv, q, inp)
    if isinstance(values, Step):
        return values
    _save(conv, q, values)
    return _after(ctx, conv, survey, q["id"])


def _single(ctx: Ctx, conv: Conversation, q: dict, inp: Input) -> list | Step:
    choices = q["choices"]
    if inp.action == "pick" and ascii_int(inp.value) in range(len(choices)):
        return [choices[int(inp.value)]["value"]]
    typed = _norm(inp.text)
    for c in choices:
        if typed and typed in {_norm(c["value"]), *map(_norm, c["label"].values())}:
            return [c["value"]]
    return _not_a_choice(ctx, conv, inp)


def _multi(ctx: Ctx, conv: Conversation, q: dict, inp: Input) -> list | Step:
    chosen = _picked(conv, q)
    if inp.action == "done":
        if not chosen:
            return _retry(conv, ctx, "survey.choose_one")
        order = [c["value"] for c in q["choices"]]
        return [v for v in order if v in chosen]
    picked = None
    if inp.action == "toggle" and ascii_int(inp.value) in range(len(q["choices"])):
        picked = q["choices"][int(inp.value)]["value"]
    elif inp.text:
        typed = _norm(inp.text.removeprefix("✓").strip())
        picked = next(
            (
                c["value"]
                for c in q["choices"]
                if typed in {_norm(c["value"]), *map(_norm, c["label"].values())}
            ),
            None,
        )
    if picked is None:
        return _not_a_choice(ctx, conv, inp)
    if picked in chosen:
        chosen.remove(picked)
    elif len(chosen) >= q["max_choices"]:
        engine.update(conv, picked={"q": q["id"], "values": chosen, "compact": True})
        return _retry(conv, ctx, "survey.too_many", max=q["max_choices"])
    else:
        chosen.append(picked)
    engine.update(conv, picked={"q": q["id"], "values": chosen, "compact": True})
    return Step(conv.state, stay=True)


def _scale(ctx: Ctx, conv: Conversation, q: dict, inp: Input) -> list | Step:
    raw = inp.value if inp.action == "pick" else _norm(inp.text)
    if re.fullmatch(r"-?[0-9]{1,3}", raw or "") and q["min"] <= int(raw) <= q["max"]:
        return [int(raw)]
    return _not_a_choice(ctx, conv, inp)


def _text(ctx: Ctx, conv: Conversation, q: dict, inp: Input) -> list | Step:
    if inp.tapped or inp.text is None:
        return _retry(conv, ctx, "survey.type_text")
    answer = inp.text.strip()
    if not answer:
        return _retry(conv, ctx, "survey.type_text")
    if len(answer) > q["max_length"]:
        return _retry(conv, ctx, "survey.too_long", max=q["max_length"], length=len(answer))
    return [answer]


_ANSWER = {"single": _single, "multi": _multi, "scale": _scale, "text": _text}


# --- age band and residency, when eligibility needs them ---------------------------------------


def _profile_options(ctx: Ctx, state: S) -> list[tuple[str, str]]:
    if state == S.AGE:
        return ctx.town.options("age_band", ctx.lang)
    return [(r, t(ctx.lang, f"residency.{r}")) for r in onboarding.RESIDENCIES]


def _profile_state(state: S) -> State:
    field = "age_band" if state == S.AGE else "residency"
    prompt = "survey.ask_age" if state == S.AGE else "survey.ask_residency"

    def ask(ctx: Ctx, conv: Conversation) -> list[Message]:
        buttons = [
            engine.button(conv, label, "pick", str(i))
            for i, (_, label) in enumerate(_profile_options(ctx, state))
        ]
        body = t(ctx.lang, prompt, town=ctx.town.name)
        return msg.choice_question(body, buttons, engine.nav(ctx, conv))

    def answer(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
        survey = _survey(ctx, conv)
        if not _open_for(ctx, conv, survey):
            return _closed(ctx, conv, survey)
        if _stale(ctx, conv):
            return _expire_now(ctx, conv)
        options = _profile_options(ctx, state)
        chosen = None
        if inp.action == "pick" and ascii_int(inp.value) in range(len(options)):
            chosen = options[int(inp.value)][0]
        elif inp.text:
            chosen = next((v for v, label in options if _norm(inp.text) in {v, label}), None)
            if chosen is None and state == S.AGE:  # typed in Japanese or English
                chosen = ctx.town.find("age_band", inp.text)
        if chosen is None:
            return _retry(conv, ctx, "survey.choose_from_buttons")
        engine.update(conv, profile={**(conv.data.get("profile") or {}), field: chosen})
        if ctx.resident.consent == "agreed":  # kept in the profile only with consent
            setattr(ctx.resident, field, chosen)
        refusal = ineligible(ctx, survey, profile(ctx, conv))
        if refusal is not None:
            return _end(conv, [refusal])
        return _after(ctx, conv, survey, None)

    return State(ask=ask, answer=answer)


# --- the flow ---------------------------------------------------------------------------------


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


def _start(ctx: Ctx, conv: Conversation, args: dict) -> Step:
    survey = store.get_survey(ctx.session, args["survey"])
    restore = args.get("restore") or {}
    engine.update(
        conv,
        survey=survey.id,
        version=survey.version,
        answers=restore.get("answers") or {},
        profile=restore.get("profile") or {},
        picked={},
        parked=args.get("parked") or {},
        preview=bool(args.get("preview")),
        code_hash=restore.get("code_hash"),
    )
    intro = intro_text(survey, ctx.lang, kept_for(ctx).days)
    if restore.get("state") and STATES.get(restore["state"]) is not None:
        conv.history = list(restore.get("history") or [])
        return Step(restore["state"])
    if args.get("preview"):
        intro = t(ctx.lang, "survey.preview_intro") + "\n\n" + intro
    first = _after(ctx, conv, survey, None)
    first.say[:0] = [common.text(intro)]
    return first


class _States(dict):
    """The fixed states plus one state per question (`q.<id>`, `t.<id>`)."""

    def _dynamic(self, key: object) -> State | None:
        if isinstance(key, str) and key.startswith(CHOICE_PREFIX):
            return QUESTION
        if isinstance(key, str) and key.startswith(TEXT_PREFIX):
            return FREE_TEXT
        return None

    def get(self, key, default=None):
        return super().get(key) or self._dynamic(key) or default

    def __getitem__(self, key):
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def __contains__(self, key) -> bool:
        return super().__contains__(key) or self._dynamic(key) is not None


QUESTION = State(ask=_ask_question, answer=_answer_question)
FREE_TEXT = State(ask=_ask_question, answer=_answer_question, free_text=True)
STATES = _States({S.AGE: _profile_state(S.AGE), S.RESIDENCY: _profile_state(S.RESIDENCY)})

engine.register(Flow(name=FLOW, keyword="menu.survey", start=_start, states=STATES))


# --- entry points: the list and a chosen survey ------------------------------------------------


def _in_progress(conv: Conversation | None) -> set[str]:
    if conv is None:
        return set()
    ids = set((conv.data.get("parked") or {}).keys())
    if conv.status in {"active", "paused"} and conv.data.get("survey") and conv.state:
        ids.add(conv.data["survey"])
    return ids


@chat.keyword("menu.survey")
def survey_menu(ctx: Ctx, _text: str = "") -> Outcome:
    """The open surveys this resident may answer and has not finished."""
    done = store.completed_ids(ctx.session, ctx.resident.id)
    conv = engine.find(ctx, FLOW)
    notice = tell_expired(ctx, conv)
    started = _in_progress(conv)
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


@chat.action("survey_open")
def survey_open(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    """Start or resume the chosen survey."""
    return Outcome().add(*open_survey(ctx, pb.value))


def open_survey(ctx: Ctx, survey_id: str) -> list[Message]:
    """Start (or resume) a survey, after checking dates, earlier answers and eligibility."""
    return tell_expired(ctx, engine.find(ctx, FLOW)) + _open_survey(ctx, survey_id)


def _open_survey(ctx: Ctx, survey_id: str) -> list[Message]:
    survey = store.get_survey(ctx.session, survey_id)
    if survey is None:
        return [msg.closing(ctx.lang, "survey.gone")]
    title = msg.local(survey.definition["title"], ctx.lang)
    tz = ctx.settings.town_tz
    if ctx.now < survey.opens_at:
        return [
            msg.closing(
                ctx.lang,
                "survey.not_open",
                title=title,
                opens=msg.when(survey.opens_at, ctx.lang, tz),
            )
        ]
    if not survey.is_open(ctx.now):
        conv = engine.find(ctx, FLOW)
        if conv is not None and conv.data.get("survey") == survey.id:
            _end(conv, [])
            conv.status = "done"
        return [
            msg.closing(
                ctx.lang,
                "survey.closed",
                title=title,
                closes=msg.when(survey.closes_at, ctx.lang, tz),
            )
        ]
    if survey.id in store.completed_ids(ctx.session, ctx.resident.id):
        return [msg.closing(ctx.lang, "survey.already", title=title)]
    if not survey.anonymous and ctx.resident.consent != "agreed":
        return [msg.closing(ctx.lang, "survey.need_consent")]
    refusal = ineligible(ctx, survey, profile(ctx))
    if refusal is not None:
        return [refusal]
    conv = engine.find(ctx, FLOW)
    if (
        conv is not None
        and conv.status in {"active", "paused"}
        and conv.data.get("survey") == survey.id
        and conv.state in STATES
    ):
        return engine.resume(ctx, FLOW) or []
    parked = dict((conv.data.get("parked") or {}) if conv is not None else {})
    if (
        conv is not None
        and conv.status in {"active", "paused"}
        and conv.data.get("survey") not in (None, survey.id)
        and conv.state in STATES
    ):
        parked[conv.data["survey"]] = {
            "answers": conv.data.get("answers") or {},
            "profile": conv.data.get("profile") or {},
            "state": conv.state,
            "history": list(conv.history),
            "code_hash": conv.data.get("code_hash"),
            "at": ctx.now.isoformat(),  # parked answers expire too (forget_stale)
        }
    restore = parked.pop(survey.id, None)
    store.record_start(ctx.session, ctx.resident.id, survey.id, ctx.now)
    return engine.start(ctx, FLOW, {"survey": survey.id, "parked": parked, "restore": restore})


# --- saved answers expire -------------------------------------------------------------------
#
# Unfinished answers wait in the conversation, keyed by resident, for
# SURVEY_PAUSED_ANSWERS_DAYS after the last activity; then they are deleted (by the clock's
# `answers` job, or here when the resident comes back first) and the resident is told once.

EXPIRED = "expired"  # data key: answers expired, not yet told; also the state of such a row


def kept_for(ctx: Ctx) -> timedelta:
    """How long unfinished answers are kept after the last activity."""
    return timedelta(days=ctx.settings.survey_paused_answers_days)


def _saved_at(conv: Conversation, saved: dict) -> datetime:
    try:
        return datetime.fromisoformat(saved["at"])
    except (KeyError, TypeError, ValueError):
        return conv.updated_at


def _stale(ctx: Ctx, conv: Conversation) -> bool:
    return not conv.data.get("preview") and ctx.now - conv.updated_at >= kept_for(ctx)


def forget_stale(conv: Conversation, now: datetime, kept: timedelta) -> bool:
    """Delete answers saved longer than `kept` ago and leave a notice; True if any were."""
    cutoff = now - kept
    parked = dict(conv.data.get("parked") or {})
    in_progress = conv.status in {"active", "paused"} and conv.state in STATES
    if conv.updated_at <= cutoff and (in_progress or parked):
        conv.data, conv.history = {EXPIRED: True}, []
        conv.status, conv.state, conv.updated_at = "done", EXPIRED, now
        return True
    old = [sid for sid, saved in parked.items() if _saved_at(conv, saved) <= cutoff]
    if not old:
        return False
    for sid in old:
        del parked[sid]
    conv.data = {**conv.data, "parked": parked, EXPIRED: True}
    return True


def _expired_notice(ctx: Ctx) -> Message:
    return common.text(t(ctx.lang, "survey.saved_expired", days=kept_for(ctx).days))


def _expire_now(ctx: Ctx, conv: Conversation) -> Step:
    """An answer to a question asked too long ago: everything saved goes (the clock was late)."""
    conv.data = {}
    days = kept_for(ctx).days
    return _end(conv, [msg.closing(ctx.lang, "survey.saved_expired", days=days)])


def tell_expired(ctx: Ctx, conv: Conversation | None) -> list[Message]:
    """Forget answers kept too long (if the clock has not yet) and say so, once."""
    if conv is None:
        return []
    forget_stale(conv, ctx.now, kept_for(ctx))
    if not conv.data.get(EXPIRED):
        return []
    conv.data = {k: v for k, v in conv.data.items() if k != EXPIRED}
    if conv.state == EXPIRED:
        conv.state = ""
    return [_expired_notice(ctx)]


def holders(session: Session) -> list[int]:
    """Residents whose survey conversation may hold answers or the time a survey ended."""
    return list(
        session.scalars(
            select(Conversation.resident_id)
            .where(Conversation.flow == FLOW, Conversation.state != EXPIRED)
            .order_by(Conversation.resident_id)
        )
    )


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
    if conv is None or conv.state == EXPIRED:
        return 0
    if forget_stale(conv, now, kept):
        return 1
    if conv.status == "done" and not conv.data.get("parked") and not conv.data.get(EXPIRED):
        session.delete(conv)  # a finished survey: the moment it ended goes with the row
        return 1
    return 0


# --- staff preview (from the simulator) -------------------------------------------------------

PREVIEW_ACTION = "survey_preview"


def preview_signature(secret_key: str, user_id: str, survey_id: str) -> str:
    """What proves a survey_preview postback was made by this server's simulator."""
    message = f"{PREVIEW_ACTION}:{user_id}:{survey_id}".encode()
    return hmac.new(secret_key.encode(), message, hashlib.sha256).hexdigest()[:16]


@chat.action(PREVIEW_ACTION)
def survey_preview(ctx: Ctx, pb: Postback, _params: dict) -> Outcome:
    """Walk a survey before it opens; nothing is stored. Only with the simulator enabled."""
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
