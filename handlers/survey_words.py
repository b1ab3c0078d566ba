"""Count the frequent words of free-text answers ahead of time (the clock's `words` job).

The Japanese analyser (Sudachi, about 80 MB) runs here, in the clock process, never in a web
worker: the results page and the console's workbook read what this stored
(db/survey_words.py; `survey_results(..., words="stored")`). A question is counted again
only when the number of its answers differs from the number its stored words were counted
from, in any channel; its words are then counted per channel and over all channels, each
answer analysed once.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import survey_words as stored
from db.survey_channels import CHANNELS
from db.surveys import Survey
from handlers.textmining import TOP, words

KEYS = (*CHANNELS, stored.ALL)


def surveys(session: Session) -> list[str]:
    """The ids of the surveys with a free-text question."""
    return [s.id for s in session.scalars(select(Survey).order_by(Survey.id)) if _text_ids(s)]


def _text_ids(survey: Survey) -> list[str]:
    return [q["id"] for q in survey.questions if q["type"] == "text"]


def stale(session: Session, survey_id: str) -> list[str]:
    """The free-text questions of a survey whose stored words miss answers (or are none)."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        return []
    ids = _text_ids(survey)
    now = stored.answers_now(session, survey_id, ids)
    done = stored.answers_counted(session, survey_id)
    out = []
    for q in ids:
        per = {ch: now.get((q, ch), 0) for ch in CHANNELS}
        per[stored.ALL] = sum(n for (qid, _), n in now.items() if qid == q)
        if any(done.get((q, key)) != per[key] for key in KEYS):
            out.append(q)
    return out


def recount(
    session: Session, survey_id: str, question_id: str, at: datetime, top: int = TOP
) -> int:
    """Count one question's words per channel and over all, store them; the answers read.

    The analyser (handlers/textmining.py) loads on the first answer, in this process."""
    counts = {key: Counter[str]() for key in KEYS}
    answers = dict.fromkeys(KEYS, 0)
    for channel, text in stored.texts_by_channel(session, survey_id, question_id):
        found = set(words(text))
        for key in (channel, stored.ALL) if channel in counts else (stored.ALL,):
            counts[key].update(found)
            answers[key] += 1
    for key in KEYS:
        top_words = sorted(counts[key].items(), key=lambda kv: (-kv[1], kv[0]))[:top]
        stored.store(session, survey_id, question_id, key, top_words, answers[key], at)
    return answers[stored.ALL]


def count_due(session: Session, survey_id: str, at: datetime) -> int:
    """Count again every free-text question of a survey whose answers changed; how many."""
    due = stale(session, survey_id)
    for question_id in due:
        recount(session, survey_id, question_id, at)
    return len(due)
