"""Survey results for the CLI, the staff console and the weekly digest (one place to call).

- `list_surveys(session)` → [{id, title, version, anonymous, opens_at, closes_at, questions,
  responses}]
- `survey_results(session, survey_id, by=..., channel=None)` → counts/shares, responses per
  channel, scale mean/median/distribution, frequent words of free text, cross-tabs by age
  band, district and residency (and channel: `by=ALL_DIMENSIONS`); anonymous surveys: cells
  under 5 respondents are a hidden `Cell` (handlers/survey_cells.py). `channel` ('line' |
  'web' | 'paper') restricts every count, the frequent words included; any other value is
  a ValueError. `words="stored"` reads the words the clock's `words` job counted
  (db/survey_words.py) instead of running the analyser (web workers).
- `responses_between(session, survey_id, start, end, tz)` → {started, finished, total,
  completion_rate, by_channel}
- `frequent_words(session, survey_id, question_id, top=20)` → [(word, answers)]
- `export_survey(session, survey_id, fmt, fileobj, channel=None)` → responses written
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db import survey_words
from db import surveys as store
from db.survey_channels import CHANNELS
from db.surveys import ALL_DIMENSIONS, DIMENSIONS, list_surveys, responses_between
from handlers import privacy, survey_report
from handlers.survey_cells import is_hidden
from handlers.survey_export import CHANNEL_NAMES
from handlers.survey_export import export as export_survey
from handlers.textmining import count_words, frequent_words

__all__ = [
    "ALL_DIMENSIONS",
    "CHANNELS",
    "CHANNEL_NAMES",
    "export_survey",
    "frequent_words",
    "list_surveys",
    "responses_between",
    "survey_results",
]


def survey_results(
    session: Session,
    survey_id: str,
    top_words: int = 20,
    by: tuple[str, ...] = DIMENSIONS,
    channel: str | None = None,
    words: str = "live",
) -> dict[str, Any]:
    """Everything `handlers.survey_report.results` gives, plus frequent words of free text.

    `channels_shown` and `responses_shown` are the counts a view may show (handlers/privacy).
    With a channel filter in an anonymous survey whose channel has under 5 answers to a
    question, that question gets no words (as its counts are hidden).

    `words="live"` counts the words now with the Japanese analyser (CLI, digest: the clock
    process); `words="stored"` reads what the clock's `words` job counted (web workers never
    load the analyser) and adds to each free-text question `words_counted_at` (UTC, None
    when not counted yet), `words_from` (the answers counted) and `words_waiting` (True
    when nothing is stored yet).
    """
    if words not in ("live", "stored"):
        raise ValueError(f"words must be 'live' or 'stored', not {words!r}")
    res = survey_report.results(session, survey_id, by=by, channel=channel)
    anonymous = res["survey"]["anonymous"]  # the privacy rule for counts shown (privacy.py)
    res["channels_shown"] = privacy.hide_small(res["channels"], anonymous)
    res["responses_shown"] = (  # one of the counts per channel: the subtraction rule
        privacy.hide_small(store.channel_counts(session, survey_id), anonymous)[channel]
        if channel
        else res["responses"]
    )
    if words == "stored":
        _stored_words(session, survey_id, res, top_words, channel)
        return res
    for q in res["questions"]:
        if q["type"] != "text":
            continue
        if not top_words:  # charts: no words, and no analyser
            q["words"] = []
        elif channel is None:
            q["words"] = frequent_words(session, survey_id, q["id"], top_words)
        elif is_hidden(q["answered"]) or q.get("texts_hidden"):
            q["words"] = []
        else:
            texts = store.text_answers(session, survey_id, q["id"], channel)
            q["words"] = count_words(texts, top_words)
    return res


def _stored_words(
    session: Session, survey_id: str, res: dict[str, Any], top: int, channel: str | None
) -> None:
    """The words the clock stored, under the same privacy rule as counting them live."""
    counted = survey_words.counted(session, survey_id)
    for q in res["questions"]:
        if q["type"] != "text":
            continue
        found = counted.get((q["id"], channel or survey_words.ALL))
        hidden = is_hidden(q["answered"]) or bool(q.get("texts_hidden"))
        q["words"] = [] if hidden or found is None or not top else found.words[:top]
        q["words_counted_at"] = None if hidden or found is None else found.counted_at
        q["words_from"] = None if hidden or found is None else found.answers
        q["words_waiting"] = not hidden and found is None
