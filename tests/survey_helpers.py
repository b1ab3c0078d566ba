"""Shared pieces of the survey tests: a survey file, a fixed clock, onboarded residents."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from db.session import transaction
from db.surveys import SurveyAnswer, SurveyCompletion, SurveyResponse, flush_pending

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 11月28日(土) 12:00 JST

SURVEY = """kind: survey
id: test-2026
title: {ja: 町民アンケート（テスト）, en: Test survey}
opens_at: 2026-11-01T00:00:00+09:00
closes_at: 2026-12-31T23:59:59+09:00
anonymous: ANON
eligibility: {min_age: 16, residency: [resident]}
questions:
  - id: livability
    type: single
    text: まちは住みやすいと思いますか
    choices: [住みやすい, どちらかといえば住みやすい, どちらかといえば住みにくい, 住みにくい]
  - id: reasons
    type: multi
    text: 住みにくいと感じる理由は（2つまで）
    choices:
      - {value: shops, label: 買い物が不便}
      - {value: jobs, label: 仕事が少ない}
      - {value: traffic, label: 交通が不便}
    max_choices: 2
    show_if: {livability: [どちらかといえば住みにくい, 住みにくい]}
  - id: happiness
    type: scale
    text: いま、どのくらい幸せですか
    min: 0
    max: 10
    labels: {0: とても不幸, 10: とても幸せ}
  - id: wishes
    type: text
    text: まちに望むことを自由にお書きください
    required: false
    max_length: 20
"""


def apply_survey(runner, tmp_path, text: str = SURVEY, anonymous: bool = True, name="s.yml"):
    """Write and apply a survey file; returns the CLI result."""
    path = tmp_path / name
    path.write_text(text.replace("ANON", "true" if anonymous else "false"), encoding="utf-8")
    return runner.invoke(args=["content", "apply", str(path)])


def onboard(r, age: str | None = "30代", district: str = "七ツ森", residency="町内に住んでいる"):
    """Follow, agree, and give a profile (age None: skip it)."""
    r.follow()
    r.tap("同意する")
    r.tap(age) if age else r.tap("スキップ")
    r.tap(district)
    r.tap(residency)
    r.tap("決定")
    return r


def flush(app) -> int:
    """Write every pooled anonymous answer, as the clock does when a survey closes.

    Anonymous answers wait in the pool until 5 of a group are in (db/anonymous_pool.py); a
    test that answers once and then reads stored responses plays the survey's close first.
    """
    state = app.extensions["machikoe"]
    with transaction(state.sessions) as s:
        return flush_pending(
            s,
            force=True,
            now=state.now(),
            tz=state.settings.town_tz,
            secret=state.settings.secret_key,
        )


def held(app, survey_id: str | None = None) -> list[tuple]:
    """What `flush` leaves in the pool (fewer than 5 of a channel stay sealed there), opened
    with the app's key as only the test can: (pool row, {question id: values})."""
    from db.anonymous_pool import PendingAnswer, unseal

    state = app.extensions["machikoe"]
    with state.sessions() as s:
        stmt = select(PendingAnswer).order_by(PendingAnswer.id)
        if survey_id is not None:
            stmt = stmt.where(PendingAnswer.survey_id == survey_id)
        return [(row, unseal(state.settings.secret_key, row)["a"]) for row in s.scalars(stmt)]


def count(app, model, **where) -> int:
    """Rows of a model matching column values (responses and answers: after `flush`, those
    still held in the pool included, so a test of one answer sees it stored)."""
    extra = 0
    if model in (SurveyResponse, SurveyAnswer):
        flush(app)
        for row, got in held(app):
            if all(getattr(row, k, v) == v for k, v in where.items()):
                extra += 1 if model is SurveyResponse else sum(map(len, got.values()))
    with app.extensions["machikoe"].sessions() as s:
        stmt = select(func.count()).select_from(model)
        for k, v in where.items():
            stmt = stmt.where(getattr(model, k) == v)
        return s.scalar(stmt) + extra


def answers(app, survey_id: str = "test-2026") -> dict[str, list[str]]:
    """Every stored answer of a survey: question id → values (after `flush`; written ones
    first, then those still held in the pool)."""
    flush(app)
    with app.extensions["machikoe"].sessions() as s:
        out: dict[str, list[str]] = {}
        for q, v in s.execute(
            select(SurveyAnswer.question_id, SurveyAnswer.value)
            .where(SurveyAnswer.survey_id == survey_id)
            .order_by(SurveyAnswer.question_id, SurveyAnswer.position)
        ):
            out.setdefault(q, []).append(v)
    for _row, got in held(app, survey_id):
        for q in sorted(got):
            out.setdefault(q, []).extend(got[q])
    return out


__all__ = ["SurveyAnswer", "SurveyCompletion", "SurveyResponse"]
