"""計画の進捗: the plan's numeric targets and the plan-making timeline, on request."""

from __future__ import annotations

from handlers import chat, plan_content
from handlers.context import Ctx, Outcome
from messages import common
from messages.catalog import t
from messages.plan import kpi_carousel, timeline_text


@chat.keyword("menu.progress", "進捗", "目標")
def show_progress(ctx: Ctx, _text: str = "") -> Outcome:
    """Targets as cards, then the timeline, with the menu."""
    kpis = plan_content.items(ctx.session, "kpi")
    timelines = plan_content.items(ctx.session, "timeline")
    out = Outcome()
    if not kpis and not timelines:
        return out.add(common.with_menu(ctx.lang, t(ctx.lang, "plan.none")))
    if kpis:
        out.add(common.text(t(ctx.lang, "plan.intro", n=len(kpis))), *kpi_carousel(kpis, ctx.lang))
    body = "\n\n".join(timeline_text(tl, ctx.lang) for tl in timelines) or t(
        ctx.lang, "plan.intro_short"
    )
    return out.add(common.with_menu(ctx.lang, body))
