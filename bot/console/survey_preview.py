"""スマホ表示のプレビュー: every message of a survey drawn as LINE draws it, before it opens.

The messages come from handlers/survey_preview.py (the chat's own builders); the page embeds
them as JSON and bot/console/static/line_render.js (shared with the simulator) draws them.
Any signed-in role may look; nothing is stored.
"""

from __future__ import annotations

from flask import abort, render_template, request

from bot.console.base import bp, db, now, state
from bot.console.surveys import TYPE_NAMES
from db import surveys as store
from handlers import survey_preview
from handlers.town import load_town
from messages.survey import local
from messages.text import LANGUAGE_NAMES

LANG_NAMES = LANGUAGE_NAMES


@bp.get("/surveys/<survey_id>/preview")
def survey_preview_page(survey_id: str):
    """Each question in a phone-sized frame, in Japanese or English (`?lang=en`)."""
    lang = request.args.get("lang", "ja")
    if lang not in survey_preview.LANGUAGES:
        abort(400)
    session = db()
    survey = store.get_survey(session, survey_id)
    if survey is None:
        abort(404)
    screens = survey_preview.screens(survey, lang, load_town(session), now())
    return render_template(
        "console/survey_preview.html",
        sv=survey,
        title=local(survey.definition["title"], "ja"),
        type_names=TYPE_NAMES,
        lang=lang,
        lang_names=LANG_NAMES,
        screens=screens,
        simulator=state().settings.simulator_enabled,
    )
