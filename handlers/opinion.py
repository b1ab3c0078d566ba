"""意見: an opinion at any time, or a public comment on a section of the draft plan.

Diagram: docs/flows/opinion.mmd
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum

from linebot.v3.messaging import Message
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Conversation, Resident
from db.opinions import Opinion, OpinionReply
from db.outbox import retry_key
from handlers import chat, engine, plan_content
from handlers import staff as staff_accounts
from handlers.context import Ctx, Outcome
from handlers.engine import Flow, Input, State, Step
from messages import common
from messages.catalog import every, t
from messages.choices import question
from messages.plan import local
from messages.postback import ascii_int

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


# --- staff: status, category, memo and a reply (console ご意見) --------------------------------

STATUS_NAMES = {"open": "未対応", "in_progress": "対応中", "done": "対応済み"}
OTHER_CATEGORY = "その他"
MEMO_MAX = 2000
REPLY_MAX = 1000


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


def update(session: Session, opinion: Opinion, form: dict, actor: str, now: datetime) -> list[str]:
    """Set status, category and memo from the console form; problems (nothing stored) or []."""
    status = (form.get("status") or "").strip()
    category = (form.get("category") or "").strip() or None
    memo = clean(form.get("memo") or "") or None
    problems = []
    if status not in STATUS_NAMES:
        problems.append("対応状況を「未対応」「対応中」「対応済み」から選んでください。")
    if category is not None and category not in categories(session):
        problems.append("分類は一覧から選んでください。")
    if memo and len(memo) > MEMO_MAX:
        problems.append(f"メモは{MEMO_MAX}文字以内にしてください（いま{len(memo)}文字です）。")
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


def reply_problems(session: Session, opinion: Opinion, body: str) -> list[str]:
    """Why this reply cannot be sent (empty: it can)."""
    resident = session.get(Resident, opinion.resident_id)
    if resident is None:
        return ["この方はデータを削除したため、返信できません。"]
    if resident.blocked:
        return ["この方は公式アカウントをブロックしているため、返信できません。"]
    if not body:
        return ["返信の本文を入力してください。"]
    if len(body) > REPLY_MAX:
        return [f"返信は{REPLY_MAX}文字以内にしてください（いま{len(body)}文字です）。"]
    return []


def reply(
    session: Session, opinion: Opinion, body: str, token: str, actor: str, now: datetime
) -> tuple[int | None, list[str]]:
    """Queue a reply push (retry key from the opinion and the form's token); (outbox id, problems).

    The same form sent twice (a double click, a reload) has the same token, hence the same
    key: it is queued once and the second time is refused.
    """
    from handlers.pushes import queue

    body = clean(body)
    problems = reply_problems(session, opinion, body)
    if not token or len(token) > 64:
        problems = problems or ["ページを開き直してから、もう一度お送りください。"]
    if problems:
        return None, problems
    key = retry_key("opinion_reply", opinion.id, token)
    if session.scalar(select(OpinionReply.id).where(OpinionReply.retry_key == key)):
        return None, ["この返信はすでに送りました。"]
    resident = session.get(Resident, opinion.resident_id)
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
