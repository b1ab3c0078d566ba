"""The survey builder: staff write a survey in a form (no YAML, no JavaScript needed).

`/admin/surveys/new` (also `?copy=<id>` for 複製) and `/admin/surveys/<id>/edit` show the
form; every button posts it to `/admin/surveys/build`: add, move or remove a question (the
form comes back as it was, changed), or save. Saving turns the form into a `kind: survey`
document (handlers/survey_form.py) and applies it through the content pipeline exactly as
an uploaded file, so every check and the versioning of surveys with answers hold.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from bot.console import uploads
from bot.console.base import actor, bp, db, now, require, state
from db import surveys as store
from handlers import content, survey_form, translations
from handlers.content import Document, plain_problem
from handlers.survey_content import TYPES
from messages.survey_staff import RESIDENCY_NAMES, TYPE_NAMES, word
from messages.text import RESIDENCIES


def _locked_ids(survey_id: str | None) -> tuple[set[str], int]:
    """Ids of the questions that already have answers (all of them once a response exists)."""
    if not survey_id:
        return set(), 0
    session = db()
    survey = store.get_survey(session, survey_id)
    if survey is None:
        return set(), 0
    count = store.stored_answers(session, survey_id)  # pooled anonymous answers count too
    return ({q["id"] for q in survey.questions} if count else set()), count


def _page(model: dict, editing: str | None, problems=(), focus=None, status: int = 200):
    _, responses = _locked_ids(editing)
    by_question = survey_form.problems_by_question(list(problems))
    return (
        render_template(
            "console/survey_builder.html",
            model=model,
            editing=editing,
            responses=responses,
            problems=list(problems),
            by_question=by_question,
            focus=focus,
            type_names=TYPE_NAMES,
            types=TYPES,
            residencies=[(r, RESIDENCY_NAMES[r]) for r in RESIDENCIES],
            condition_options=lambda i: survey_form.condition_options(model, i),
            stray_conditions=lambda i: survey_form.stray_conditions(model, i),
        ),
        status,
    )


@bp.get("/surveys/new")
@require("editor")
def survey_new():
    """An empty survey form, or a copy of a survey (`?copy=<id>`: new id, no period)."""
    tz = state().settings.tz
    source = request.args.get("copy")
    if source:
        data = uploads.stored_document(db(), "survey", source)
        if data is None:
            abort(404)
        taken = {row["id"] for row in store.list_surveys(db())}
        data = survey_form.copy_of(data, taken, now().astimezone(tz).date())
        return _page(survey_form.from_document(data, tz), None)
    return _page(survey_form.from_document(None, tz), None)


@bp.get("/surveys/<survey_id>/edit")
@require("editor")
def survey_edit(survey_id: str):
    """The stored survey as a form; questions with answers cannot be removed or retyped."""
    data = uploads.stored_document(db(), "survey", survey_id)
    if data is None:
        abort(404)
    locked, _ = _locked_ids(survey_id)
    return _page(survey_form.from_document(data, state().settings.tz, locked), survey_id)


def _new_id(model_id: str) -> str:
    """The id for a new survey: as typed, or one from today's date when left blank."""
    if model_id:
        return model_id
    taken = {row["id"] for row in store.list_surveys(db())}
    base = f"survey-{now().astimezone(state().settings.tz):%Y%m%d}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


@bp.post("/surveys/build")
def survey_build():
    """A builder button: add, move or remove a question, or save the survey."""
    editing = request.form.get("editing") or None
    base = None
    if editing:
        base = uploads.stored_document(db(), "survey", editing)
        if base is None:
            abort(404)
    model = survey_form.from_form(request.form)
    locked, _ = _locked_ids(editing)
    for q in model["questions"]:  # what has answers stays locked, whatever the form says
        q["locked"] = q["id"] in locked
    if locked:
        kept = {q["id"] for q in model["questions"]}
        missing = [
            q
            for q in survey_form.from_document(base, state().settings.tz, locked)["questions"]
            if q["id"] not in kept
        ]
        model["questions"].extend(missing)  # a locked question cannot be dropped from the form
    op = request.form.get("op", "save")
    if op not in ("save", "save-preview"):
        focus = survey_form.apply_op(model, op)
        return _page(model, editing, focus=focus)
    if editing:
        model["id"] = editing  # a survey's id never changes
    else:
        model["id"] = _new_id(model["id"])
        if store.get_survey(db(), model["id"]) is not None:
            problem = plain_problem("id_taken", value=model["id"])
            return _page(model, editing, [problem], status=400)
    data = survey_form.document(model, state().settings.tz, base)
    doc = Document(path=word("builder.place"), data=data, lines={})
    early = survey_form.form_problems(model, doc)
    if early:  # with the pipeline's own findings, so staff see every problem at once
        early += content.validate(doc, db())
        return _page(model, editing, early, status=400)
    result = uploads.apply_document(doc, "survey", actor())
    if not result.ok:
        return _page(model, editing, result.problems, status=400)
    unchanged = result.counts.get("unchanged")
    flash(word("builder.unchanged" if unchanged else "builder.saved", title=model["title"]), "ok")
    for warning in _translation_warnings(data):
        flash(warning, "warn")
    if op == "save-preview":
        return redirect(url_for("console.survey_preview_page", survey_id=result.key))
    return redirect(url_for("console.survey", survey_id=result.key))


def _translation_warnings(data: dict) -> list[str]:
    """What lacks English, when English-speaking residents will see the survey."""
    missing = translations.warnings(db(), data)
    return [translations.sentence(missing)] if missing else []
