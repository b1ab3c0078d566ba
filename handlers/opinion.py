"""意見: an opinion at any time, or a public comment on a section of the draft plan.

Diagram: docs/flows/opinion.mmd
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Conversation, Resident
from db.opinions import Opinion, OpinionReply
from db.outbox import retry_key
from handlers import chat, engine, plan_content
from handlers import staff as staff_accounts
from handlers.context import Ctx
from handlers.engine import Entry, Flow, Input, State, Step
from messages import common
from messages.catalog import every, t
from messages.choices import question
from messages.plan import local
from messages.postback import ascii_int
from messages.typed_words import OPINION_WORDS

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


def _consultation(ctx: Ctx, conv: Conversation) -> dict[str, Any] | None:
    cid = conv.data.get("consultation")
    if not cid:
        return None
    return next(
        (c for c in plan_content.items(ctx.session, "consultation") if c["id"] == cid), None
    )


def _limit(ctx: Ctx, conv: Conversation) -> int:
    c = _consultation(ctx, conv)
    return c.get("max_length", MAX_LENGTH) if c else MAX_LENGTH


def _start(ctx: Ctx, conv: Conversation, args: dict[str, Any]) -> Step:
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
    consultation = _consultation(ctx, conv)
    assert consultation is not None  # the section is asked only within a consultation
    sections = consultation["sections"]
    choices = [engine.button(conv, s, "section", str(i)) for i, s in enumerate(sections)]
    return question(t(ctx.lang, "opinion.ask_section"), choices, engine.nav(ctx, conv))


def _answer_section(ctx: Ctx, conv: Conversation, inp: Input) -> Step:
    consultation = _consultation(ctx, conv)
    assert consultation is not None  # the section is asked only within a consultation
    sections = consultation["sections"]
    index = None
    if inp.action == "section" and ascii_int(inp.value) in range(len(sections)):
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
    assert ctx.resident is not None  # a conversation is a known resident's
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


chat.flow(
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
        # an opinion, or a public comment
        entry_points=(Entry(keywords=("menu.opinion", *OPINION_WORDS)),),
    )
)


# --- staff: status, category, memo and a reply (console ご意見) --------------------------------

STATUSES = ("open", "in_progress", "done")
STATUS_NAMES = {code: t("ja", f"opinion_staff.status.{code}") for code in STATUSES}
OTHER_CATEGORY = t("ja", "opinion_staff.other_category")  # stored as it is
MEMO_MAX = 2000
REPLY_MAX = 1000


class Refusal:
    """Why a change or a reply is refused: a code and its values; the console says it."""

    def __init__(self, code: str, **values: object) -> None:
        self.code, self.values = code, values

    def words(self, lang: str = "ja") -> str:
        """The sentence staff read (messages/catalog/opinion_staff.py)."""
        return t(lang, f"opinion_staff.{self.code}", **self.values)

    def __str__(self) -> str:
        return self.words("ja")

    def __repr__(self) -> str:
        return f"Refusal({self.code!r}, {self.values!r})"


def categories(session: Session) -> list[str]:
    """The categories staff may choose: the plan's areas, the town's topics, then その他."""
    from handlers.town import load_town

    areas = [k["area"] for k in plan_content.items(session, "kpi") if k.get("area")]
    try:
        topics = list(load_town(session).topics)
    except Exception:  # no town file applied yet
        topics = []
    out: list[str] = []
    for name in [*areas, *topics, OTHER_CATEGORY]:
        if name not in out:
            out.append(name)
    return out


def update(
    session: Session, opinion: Opinion, form: Mapping[str, str], actor: str, now: datetime
) -> list[Refusal]:
    """Set status, category and memo from the console form; problems (nothing stored) or []."""
    status = (form.get("status") or "").strip()
    category = (form.get("category") or "").strip() or None
    memo = clean(form.get("memo") or "") or None
    problems = []
    if status not in STATUS_NAMES:
        problems.append(Refusal("bad_status"))
    if category is not None and category not in categories(session):
        problems.append(Refusal("bad_category"))
    if memo and len(memo) > MEMO_MAX:
        problems.append(Refusal("memo_too_long", max=MEMO_MAX, length=len(memo)))
    if problems:
        return problems
    changed = [
        name
        for name, old, new in (
            ("status", opinion.status, status),
            ("category", opinion.category, category),
            ("memo", opinion.memo, memo),
        )
        if old != new
    ]
    if not changed:
        return []
    detail = {"changed": changed, "status": status, "category": category}
    opinion.status, opinion.category, opinion.memo = status, category, memo
    opinion.handled_at = now
    staff_accounts.audit(session, actor, "opinions.update", opinion.receipt_no, detail, at=now)
    return []


def reply_text(session: Session, opinion: Opinion, body: str) -> tuple[str, str]:
    """(language, the push text) the resident would receive for this reply."""
    from handlers.town import load_town

    resident = session.get(Resident, opinion.resident_id)
    lang = resident.language if resident and resident.language in ("ja", "en") else "ja"
    try:
        contact = load_town(session).contact_for(lang)
    except Exception:
        contact = ""
    words = t(lang, "opinion.reply", receipt=opinion.receipt_no, body=body, contact=contact)
    return lang, words.rstrip()


def reply_problems(session: Session, opinion: Opinion, body: str) -> list[Refusal]:
    """Why this reply cannot be sent (empty: it can)."""
    resident = session.get(Resident, opinion.resident_id)
    if resident is None:
        return [Refusal("deleted")]
    if resident.blocked:
        return [Refusal("blocked")]
    if not body:
        return [Refusal("empty_reply")]
    if len(body) > REPLY_MAX:
        return [Refusal("reply_too_long", max=REPLY_MAX, length=len(body))]
    return []


def reply(
    session: Session, opinion: Opinion, body: str, token: str, actor: str, now: datetime
) -> tuple[int | None, list[Refusal]]:
    """Queue a reply push (retry key from the opinion and the form's token); (outbox id, problems).

    The same form sent twice (a double click, a reload) has the same token, hence the same
    key: it is queued once and the second time is refused.
    """
    from handlers.pushes import queue

    body = clean(body)
    problems = reply_problems(session, opinion, body)
    if not token or len(token) > 64:
        problems = problems or [Refusal("bad_token")]
    if problems:
        return None, problems
    key = retry_key("opinion_reply", opinion.id, token)
    if session.scalar(select(OpinionReply.id).where(OpinionReply.retry_key == key)):
        return None, [Refusal("already_sent")]
    resident = session.get(Resident, opinion.resident_id)
    assert resident is not None  # an opinion goes with its resident (ON DELETE CASCADE)
    _lang, text = reply_text(session, opinion, body)
    outbox_id = queue(
        session, resident.line_user_id, [common.text(text)], "opinion_reply", (opinion.id, token)
    )
    session.add(
        OpinionReply(
            opinion_id=opinion.id,
            body=body,
            staff=actor[:120],
            retry_key=key,
            outbox_id=outbox_id,
            created_at=now,
        )
    )
    if opinion.status == "open":
        opinion.status, opinion.handled_at = "in_progress", now
    detail = {"outbox_id": outbox_id, "retry_key": key, "length": len(body)}
    staff_accounts.audit(session, actor, "opinions.reply", opinion.receipt_no, detail, at=now)
    return outbox_id, []
