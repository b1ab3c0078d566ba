"""計画の進捗: the plan's numeric targets and the plan-making timeline, on request."""

from __future__ import annotations

from linebot.v3.messaging import Message, QuickReply, QuickReplyItem, TextMessage

from handlers import chat, plan_content
from handlers.context import Ctx, Outcome
from messages import common
from messages.catalog import t
from messages.plan import kpi_carousel, timeline_text
from messages.typed_words import PROGRESS_WORDS


@chat.keyword("menu.progress", *PROGRESS_WORDS)
def show_progress(ctx: Ctx, _text: str = "") -> Outcome:
    """Targets as cards, then the timeline, with the menu."""
    kpis = plan_content.items(ctx.session, "kpi")
    timelines = plan_content.items(ctx.session, "timeline")
    out = Outcome()
    if not kpis and not timelines:
        return out.add(results_button(ctx, common.with_menu(ctx.lang, t(ctx.lang, "plan.none"))))
    if kpis:
        out.add(common.text(t(ctx.lang, "plan.intro", n=len(kpis))), *kpi_carousel(kpis, ctx.lang))
    body = "\n\n".join(timeline_text(tl, ctx.lang) for tl in timelines) or t(
        ctx.lang, "plan.intro_short"
    )
    return out.add(results_button(ctx, common.with_menu(ctx.lang, body)))


def results_button(ctx: Ctx, message: TextMessage) -> Message:
    """「結果・報告」 first in the quick replies when anything is published (#18)."""
    from handlers.publishing import published

    if message.quick_reply is None or not published(ctx.session):
        return message
    button = QuickReplyItem(action=common.say(t(ctx.lang, "label.pub.results")))
    items = [button, *message.quick_reply.items][: common.QUICK_REPLY_MAX]
    return TextMessage(text=message.text, quickReply=QuickReply(items=items))
