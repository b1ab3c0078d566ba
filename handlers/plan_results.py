"""計画の進捗 → 結果・報告: the published survey results and event reports, newest first."""

from __future__ import annotations

from handlers import chat, publishing
from handlers.context import Ctx, Outcome
from messages.publish import results_cards
from messages.typed_words import RESULTS_WORDS


@chat.keyword("label.pub.results", *RESULTS_WORDS)
def show_results(ctx: Ctx, _text: str = "") -> Outcome:
    """Cards linking to the public pages (or a line saying there are none yet)."""
    items = publishing.published(ctx.session)
    s = ctx.settings
    return Outcome().add(*results_cards(items, ctx.lang, s.public_base_url, s.town_tz))
