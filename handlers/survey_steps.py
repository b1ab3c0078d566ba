"""A survey question in chat: how it is asked (`Q2/5`, buttons) and how an answer is read.

The `question` and `free_text` states of the survey flow (handlers/survey_flow.py) ask and
answer with `ask_question` / `answer_question`; the console's preview builds the same messages
with `question_messages`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from linebot.v3.messaging import Message

from db.models import Conversation
from db.surveys import Survey
from handlers import engine
from handlers import survey_flow as flow
from handlers import survey_rules as rules
from handlers.context import Ctx
from handlers.engine import Input, Step
from messages import common
from messages import survey as msg
from messages.catalog import t
from messages.postback import ascii_int

OFFER_AFTER = 12  # typed characters that read as words of one's own, not a mistyped choice
_norm = rules.norm


def progress(
    survey: Survey, q: Mapping[str, Any], answers: Mapping[str, Any], lang: str, every: bool = False
) -> str:
    """`Q2/5`: this question's place among those this resident is asked, and how many in all.

    Questions before this one count only when they were shown (survey_rules.asked); later
    ones count when shown by the answers so far, or when what decides them is still to come.
    `every` (the staff preview, which shows every question): the path that shows them all.
    """
    questions = survey.questions
    at = next(i for i, x in enumerate(questions) if x["id"] == q["id"])
    if every:
        return t(lang, "survey.progress", n=at + 1, total=len(questions))
    decided = {x["id"] for x in questions[:at]}
    n = len(rules.asked(questions[:at], answers)) + 1
    later = [
        x
        for x in questions[at + 1 :]
        if rules.visible(x, answers) or any(ref not in decided for ref in x.get("show_if") or {})
    ]
    return t(lang, "survey.progress", n=n, total=n + len(later))


def _nav(ctx: Ctx, conv: Conversation, q: Mapping[str, Any]) -> list[object]:
    buttons = engine.nav(ctx, conv, skip=not q.get("required", True))
    if conv.data.get("typed"):  # words typed instead of a choice: offer to send them
        buttons.insert(0, engine.button(conv, t(ctx.lang, "label.offer_opinion"), "offer"))
    return buttons


def ask_question(ctx: Ctx, conv: Conversation) -> list[Message]:
    """Ask the conversation's question."""
    survey = flow.survey_of(ctx, conv)
    q = flow.question_of(survey, conv) if survey else None
    if q is None or survey is None:
        return [common.text(t(ctx.lang, "survey.gone"))]
    out = question_messages(survey, q, conv, ctx.lang, _nav(ctx, conv, q))
    picked = conv.data.get("picked") or {}
    if picked.get("compact"):  # shown once: the next re-ask (resume, stale button) is whole
        engine.update(conv, picked={**picked, "compact": False})
    return out


def question_messages(
    survey: Survey, q: Mapping[str, Any], conv: Conversation, lang: str, nav: list[object]
) -> list[Message]:
    """The messages that ask one question (the chat and the console preview both use this)."""
    text = msg.local(q["text"], lang)
    optional = "" if q.get("required", True) else t(lang, "survey.optional")
    every = bool(conv.data.get("every_question"))
    place = progress(survey, q, flow.answers(conv), lang, every=every)
    if q["type"] == "single":
        body = msg.heading(place, text, t(lang, "survey.hint_single"), optional)
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
            body = msg.heading(place, text, hint, optional)
        toggles = [
            engine.button(
                conv, t(lang, "survey.ticked", label=labels[c["value"]]), "toggle", str(i)
            )
            if c["value"] in chosen
            else engine.button(conv, labels[c["value"]], "toggle", str(i))
            for i, c in enumerate(q["choices"])
        ]
        done = engine.button(conv, t(lang, "label.done"), "done")
        return msg.choice_question(body, toggles, [done, *nav])
    if q["type"] == "scale":
        ends = "  ".join(
            t(lang, "survey.scale_end", n=k, label=msg.local(v, lang))
            for k, v in sorted(q.get("labels", {}).items(), key=lambda kv: int(kv[0]))
        )
        hint = t(lang, "survey.hint_scale", min=q["min"], max=q["max"], labels=ends).strip()
        body = msg.heading(place, text, hint, optional)
        numbers = [
            engine.button(conv, str(n), "pick", str(n)) for n in range(q["min"], q["max"] + 1)
        ]
        return msg.scale_question(body, numbers, nav)
    body = msg.heading(place, text, t(lang, "survey.hint_text", max=q["max_length"]), optional)
    return msg.text_question(body, nav)


def _picked(conv: Conversation, q: Mapping[str, Any]) -> list[str]:
    """The working set of a multiple-choice question (starts from the saved answer)."""
    picked = conv.data.get("picked") or {}
    if picked.get("q") != q["id"]:
        return list(flow.answers(conv).get(q["id"]) or [])
    return list(picked["values"])


def _save(conv: Conversation, q: Mapping[str, Any], values: list[Any] | None) -> None:
    answers = flow.answers(conv)
    if values is None:
        answers.pop(q["id"], None)
    else:
        answers[q["id"]] = values
    engine.update(conv, answers=answers, picked={})


def _not_a_choice(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    """Typed words that are no choice: ask for a button, and offer to send them as an opinion.

    The words wait in the conversation (never in a button or a log) until the next input.
    """
    typed = opinion_words(inp.text)
    if inp.tapped or len(typed) < OFFER_AFTER or conv.data.get("preview"):
        return flow.retry(conv, ctx, "survey.choose_from_buttons")
    engine.update(conv, typed=typed)
    return flow.retry(conv, ctx, "survey.choose_or_offer")


def _offer(ctx: Ctx, conv: Conversation) -> Step:
    """「意見として送る」: the survey pauses and the words go to the opinion flow's confirmation."""
    typed = conv.data.get("typed")
    engine.update(conv, typed=None)
    if not typed:
        return flow.retry(conv, ctx, "survey.choose_from_buttons")
    note = common.text(t(ctx.lang, "survey.offer_paused", keyword=t(ctx.lang, "menu.survey")))
    return Step(conv.state, [note, *engine.start(ctx, "opinion", {"offered": typed})], pause=True)


def opinion_words(text: str | None) -> str:
    """Typed text as it would be sent as an opinion (trimmed)."""
    return (text or "").strip()


def answer_question(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    """Read an answer to the conversation's question, and go on."""
    survey = flow.survey_of(ctx, conv)
    refused = flow.unanswerable(ctx, conv, survey)
    if refused is not None:
        return refused
    assert survey is not None  # unanswerable ends the flow when there is none
    q = flow.question_of(survey, conv)
    if q is None:  # the survey changed under the resident: carry on from the start
        engine.update(conv, picked={})
        first = flow.after(ctx, conv, survey, None)
        first.say[:0] = [common.text(t(ctx.lang, "survey.changed"))]
        return first
    if inp.action == "offer":
        return _offer(ctx, conv)
    engine.update(conv, typed=None)
    if inp.action == "skip":
        if q.get("required", True):
            return flow.retry(conv, ctx, "survey.required")
        _save(conv, q, None)
        return flow.after(ctx, conv, survey, q["id"])
    values = _ANSWER[q["type"]](ctx, conv, q, inp)
    if isinstance(values, Step):
        return values
    _save(conv, q, values)
    return flow.after(ctx, conv, survey, q["id"])


def _typed_choice(q: Mapping[str, Any], typed: str) -> str | None:
    """The choice whose value or label (in either language) was typed."""
    return next(
        (
            c["value"]
            for c in q["choices"]
            if typed and typed in {_norm(c["value"]), *map(_norm, c["label"].values())}
        ),
        None,
    )


def _single(ctx: Ctx, conv: Conversation, q: Mapping[str, Any], inp: Input) -> list[Any] | Step:
    choices = q["choices"]
    if inp.action == "pick" and ascii_int(inp.value) in range(len(choices)):
        return [choices[int(inp.value)]["value"]]
    value = _typed_choice(q, _norm(inp.text))
    return [value] if value is not None else _not_a_choice(ctx, conv, inp)


def _multi(ctx: Ctx, conv: Conversation, q: Mapping[str, Any], inp: Input) -> list[Any] | Step:
    chosen = _picked(conv, q)
    if inp.action == "done":
        if not chosen:
            return flow.retry(conv, ctx, "survey.choose_one")
        order = [c["value"] for c in q["choices"]]
        return [v for v in order if v in chosen]
    picked = None
    if inp.action == "toggle" and ascii_int(inp.value) in range(len(q["choices"])):
        picked = q["choices"][int(inp.value)]["value"]
    elif inp.text:
        picked = _typed_choice(q, _norm(inp.text.removeprefix("✓").strip()))
    if picked is None:
        return _not_a_choice(ctx, conv, inp)
    if picked in chosen:
        chosen.remove(picked)
    elif len(chosen) >= q["max_choices"]:
        engine.update(conv, picked={"q": q["id"], "values": chosen, "compact": True})
        return flow.retry(conv, ctx, "survey.too_many", max=q["max_choices"])
    else:
        chosen.append(picked)
    engine.update(conv, picked={"q": q["id"], "values": chosen, "compact": True})
    return Step(conv.state, stay=True)


def _scale(ctx: Ctx, conv: Conversation, q: Mapping[str, Any], inp: Input) -> list[Any] | Step:
    raw = inp.value if inp.action == "pick" else _norm(inp.text)
    if re.fullmatch(r"-?[0-9]{1,3}", raw or "") and q["min"] <= int(raw) <= q["max"]:
        return [int(raw)]
    return _not_a_choice(ctx, conv, inp)


def _text(ctx: Ctx, conv: Conversation, q: Mapping[str, Any], inp: Input) -> list[Any] | Step:
    if inp.tapped or inp.text is None:
        return flow.retry(conv, ctx, "survey.type_text")
    answer = inp.text.strip()
    if not answer:
        return flow.retry(conv, ctx, "survey.type_text")
    if len(answer) > q["max_length"]:
        return flow.retry(conv, ctx, "survey.too_long", max=q["max_length"], length=len(answer))
    return [answer]


_ANSWER = {"single": _single, "multi": _multi, "scale": _scale, "text": _text}
