"""A survey as residents will see it in LINE, screen by screen, for the staff preview.

Every message is built by the chat's own code (handlers/survey.py: `intro_text`,
`question_messages`, the age band and residency states) on an in-memory conversation, then
fitted to LINE's limits as the gateway fits it (messages/limits.py) — LINE's wire JSON. Nothing
is read from or written to the database: the caller passes the town (for its age bands).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from linebot.v3.messaging import Message

from db.models import Conversation
from db.surveys import Survey
from handlers import engine
from handlers import survey as chat_survey
from handlers.context import Ctx
from handlers.survey_flow import S
from handlers.town import Town
from messages import common, limits
from messages.survey import local

LANGUAGES = ("ja", "en")


def screens(survey: Survey, lang: str, town: Town, now: datetime) -> list[dict[str, Any]]:
    """What a resident is sent, in order: the intro, the eligibility questions, each question.

    Each screen: `kind` (intro | age | residency | question), `messages` (LINE JSON),
    `plain` (texts and button labels, for a page without scripts); a question also has `n`,
    `id`, `type`, `text` (Japanese, as staff wrote it) and `conditions` (its show_if in words:
    the question it depends on, by number and text, and the choices that show it).
    """
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}")
    # no session and no settings: nothing a preview screen builds reads them
    nothing: Any = None
    ctx = Ctx(session=nothing, resident=None, now=now, settings=nothing, lang=lang, _town=town)
    conv = Conversation(
        resident_id=None,
        flow=chat_survey.FLOW,
        state="",
        status="active",
        step=0,
        data={"survey": survey.id, "answers": {}, "picked": {}, "every_question": True},
        history=[],
    )
    out = [_screen("intro", [common.text(chat_survey.intro_text(survey, lang))])]
    eligibility = survey.definition.get("eligibility") or {}
    asked: list[tuple[str, S]] = []
    if eligibility.get("min_age"):
        asked.append(("age", chat_survey.S.AGE))
    if eligibility.get("residency"):
        asked.append(("residency", chat_survey.S.RESIDENCY))
    for kind, state in asked:
        _enter(conv, state)
        out.append(_screen(kind, chat_survey.STATES[state].ask(ctx, conv)))
    for n, q in enumerate(survey.questions, 1):
        _enter(conv, chat_survey.state_of(q))
        nav = engine.nav(ctx, conv, skip=not q.get("required", True))
        screen = _screen("question", chat_survey.question_messages(survey, q, conv, lang, nav))
        screen.update(
            n=n,
            id=q["id"],
            type=q["type"],
            text=local(q["text"], "ja"),
            conditions=conditions(survey, q),
        )
        out.append(screen)
    return out


def _enter(conv: Conversation, state: str) -> None:
    """Move on as the engine does: the last state goes to history, the step counts up."""
    if conv.state:
        conv.history = [*conv.history, conv.state]
    conv.state = state
    conv.step += 1


def _screen(kind: str, messages: list[Message]) -> dict[str, Any]:
    wire = limits.fit(messages)
    return {"kind": kind, "messages": wire, "plain": [plain(m) for m in wire]}


def conditions(survey: Survey, q: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A question's show_if as {n, text, choices}: shown when question n got one of the choices."""
    out = []
    numbers = {x["id"]: i for i, x in enumerate(survey.questions, 1)}
    for ref, values in (q.get("show_if") or {}).items():
        source = survey.question(ref)
        labels = {c["value"]: local(c["label"], "ja") for c in (source or {}).get("choices", [])}
        out.append(
            {
                "n": numbers.get(ref),
                "text": local(source["text"], "ja") if source else ref,
                "choices": [labels.get(str(v), str(v)) for v in values],
            }
        )
    return out


def plain(message: Mapping[str, Any]) -> dict[str, Any]:
    """A message's words and its buttons' labels, in order (quick replies last)."""
    labels: list[str] = []
    texts: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and "text" in node:
                texts.append(node["text"])
            if node.get("type") == "button" and isinstance(node.get("action"), dict):
                labels.append(node["action"].get("label", ""))
            for key, value in node.items():
                if key not in ("action", "quickReply"):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    if message.get("type") == "text":
        texts.append(message.get("text", ""))
    else:
        walk(message.get("contents") or message.get("template") or {})
        if not texts and message.get("altText"):
            texts.append(message["altText"])
    quick = [
        (item.get("action") or {}).get("label", "")
        for item in (message.get("quickReply") or {}).get("items", [])
    ]
    return {"text": "\n".join(texts), "buttons": labels, "quick": quick}
