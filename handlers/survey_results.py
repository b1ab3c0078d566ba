"""Survey results for the CLI, the staff console and the weekly digest (one place to call).

- `list_surveys(session)` → [{id, title, version, anonymous, opens_at, closes_at, questions,
  responses}]
- `survey_results(session, survey_id)` → counts/shares, scale mean/median/distribution,
  frequent words of free text, cross-tabs by age band, district and residency (anonymous
  surveys: cells under 5 respondents are the string "<5")
- `responses_between(session, survey_id, start, end)` → {started, finished, total,
  completion_rate}
- `frequent_words(session, survey_id, question_id, top=20)` → [(word, answers)]
- `export_survey(session, survey_id, fmt, fileobj)` → number of responses written
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from db import surveys as store
from db.surveys import list_surveys, responses_between
from handlers.survey_export import export as export_survey
from handlers.textmining import frequent_words

__all__ = [
    "export_survey",
    "frequent_words",
    "list_surveys",
    "responses_between",
    "survey_results",
]


def survey_results(session: Session, survey_id: str, top_words: int = 20) -> dict:
    """Everything `db.surveys.survey_results` gives, plus frequent words per free-text question."""
    res = store.survey_results(session, survey_id)
    for q in res["questions"]:
        if q["type"] == "text":
            q["words"] = frequent_words(session, survey_id, q["id"], top_words)
    return res
