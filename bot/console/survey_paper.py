"""Paper answers at the console: one sheet after another, or a file of sheets (editor role).

The form and the upload go through handlers/paper_answers exactly as the CLI does. A sheet is
audited as `survey.paper` with its sheet number only; an import as `survey.paper_import`
with its counts. An uploaded file is checked first (a dry run) and kept, under a random name
this browser session alone knows, until staff confirm or upload another.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from pathlib import Path

from flask import abort, flash, redirect, render_template, request, session, url_for
from sqlalchemy.exc import IntegrityError

from bot.cli_survey_answers import import_answers
from bot.console import uploads
from bot.console.base import actor, bp, db, now, require, state, write
from db import surveys as store
from handlers import paper_answers as paper
from handlers import staff as staff_accounts
from handlers.town import load_town
from messages.paper import say
from messages.survey_staff import word

MAX_FILE = 50 * 1024 * 1024
UPLOADS = Path(tempfile.gettempdir()) / "machikoe-paper"
KEEP_SECONDS = 24 * 3600
FIELDS = ("sheet", "day", "code", "age_band", "district", "residency")


def _page(survey_id: str, values: dict | None = None, problems: dict | None = None, **extra):
    """The entry form (with values and problems when a sheet was refused) and the upload."""
    s = db()
    survey = store.get_survey(s, survey_id)
    if survey is None:
        abort(404)
    town = load_town(s)
    values = values or {"sheet": paper.next_sheet_number(s, survey_id)}
    questions = []
    for n, q in enumerate(survey.questions, 1):
        refs = [
            (f"Q{[x['id'] for x in survey.questions].index(ref) + 1}", vals)
            for ref, vals in (q.get("show_if") or {}).items()
        ]
        questions.append({**q, "n": n, "refs": refs})
    status = 400 if problems else 200
    return (
        render_template(
            "console/survey_paper.html",
            sv=survey,
            questions=questions,
            town=town,
            residency=paper.RESIDENCY_LABELS,
            values=values,
            problems=problems or {},
            titles=paper.TITLES,
            entered=session.get("paper_entered", {}).get(survey_id, 0),
            total=paper.paper_total(s, survey_id),
            upload=extra.get("upload"),
            upload_problems=extra.get("upload_problems"),
        ),
        extra.get("status", status),
    )


@bp.get("/surveys/<survey_id>/paper")
@require("editor")
def survey_paper(survey_id: str):
    """The form for one paper sheet after another (sheet number prefilled) and the upload."""
    return _page(survey_id)


def _form_values(survey: store.Survey) -> tuple[dict, dict]:
    raw: dict[str, object] = {f: request.form.get(f, "") for f in FIELDS}
    values = dict(raw)
    for q in survey.questions:
        given = request.form.getlist(f"q_{q['id']}")
        raw[q["id"]] = given if q["type"] in ("single", "multi") else (given or [""])[0]
        values[q["id"]] = given
    return raw, values


@bp.post("/surveys/<survey_id>/paper")
@require("editor")
def survey_paper_save(survey_id: str):
    """Save one sheet (channel 紙); on a problem nothing is stored and the values stay."""
    try:
        with write() as s:
            survey = store.get_survey(s, survey_id)
            if survey is None:
                abort(404)
            raw, values = _form_values(survey)
            ctx = paper.context(s, survey, now(), state().settings.tz)
            sheet, problems = paper.enter_sheet(s, ctx, raw)
            if sheet is not None:
                detail = {"sheet": sheet.sheet_no}
                staff_accounts.audit(s, actor(), "survey.paper", survey_id, detail)
    except IntegrityError:  # the same sheet number saved at the same moment elsewhere
        sheet, problems = None, {"sheet": say("entered_meanwhile")}
    if sheet is None:
        return _page(survey_id, values, problems)
    counts = dict(session.get("paper_entered", {}))
    counts[survey_id] = counts.get(survey_id, 0) + 1
    session["paper_entered"] = counts
    flash(word("paper.sheet_saved", sheet=sheet.sheet_no), "ok")
    return redirect(url_for("console.survey_paper", survey_id=survey_id) + "#sheet")


def _sweep() -> None:
    """Forget uploads nobody confirmed within a day."""
    if not UPLOADS.exists():
        return
    for old in UPLOADS.iterdir():
        if time.time() - old.stat().st_mtime > KEEP_SECONDS:
            old.unlink(missing_ok=True)


def _pending(survey_id: str) -> tuple[Path, dict] | None:
    held = session.get("paper_upload")
    if not held or held.get("survey") != survey_id:
        return None
    path = UPLOADS / f"{held['token']}{held['suffix']}"
    return (path, held) if path.exists() else None


def _forget() -> None:
    held = session.pop("paper_upload", None)
    if held:
        (UPLOADS / f"{held['token']}{held['suffix']}").unlink(missing_ok=True)


@bp.post("/surveys/<survey_id>/paper/upload")
@require("editor")
def survey_paper_upload(survey_id: str):
    """Check an answer file (a dry run): what would be added, or every problem."""
    with state().sessions() as s:
        if store.get_survey(s, survey_id) is None:
            abort(404)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(survey_id, upload_problems=[word("upload.no_file")], status=400)
    name = uploads.display_name(file.filename)
    suffix = ".xlsx" if name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    _forget()
    _sweep()
    UPLOADS.mkdir(mode=0o700, exist_ok=True)
    token = secrets.token_urlsafe(24)
    path = UPLOADS / f"{token}{suffix}"
    size = 0
    with path.open("wb") as out:
        while chunk := file.stream.read(1 << 20):
            size += len(chunk)
            if size > MAX_FILE:
                break
            out.write(chunk)
    if size > MAX_FILE:
        path.unlink(missing_ok=True)
        return _page(survey_id, upload_problems=[word("paper.too_big")], status=400)
    try:
        report = import_answers(state(), survey_id, path, dry_run=True)
    except (paper.FileProblem, paper.Refused) as exc:
        path.unlink(missing_ok=True)
        lines = exc.report.lines() if isinstance(exc, paper.Refused) else [str(exc)]
        return _page(survey_id, upload_problems=[f"{name}: {x}" for x in lines], status=400)
    session["paper_upload"] = {"token": token, "suffix": suffix, "survey": survey_id, "name": name}
    return _page(survey_id, upload={"name": name, "summary": report.summary()})


@bp.post("/surveys/<survey_id>/paper/confirm")
@require("editor")
def survey_paper_confirm(survey_id: str):
    """Import the file checked a moment ago (all or nothing), audited."""
    pending = _pending(survey_id)
    if pending is None:
        flash(word("paper.checked_file_gone"), "error")
        return redirect(url_for("console.survey_paper", survey_id=survey_id))
    path, held = pending
    try:
        report = import_answers(state(), survey_id, path)
    except (paper.FileProblem, paper.Refused) as exc:
        _forget()
        lines = exc.report.lines() if isinstance(exc, paper.Refused) else [str(exc)]
        return _page(survey_id, upload_problems=[f"{held['name']}: {x}" for x in lines], status=400)
    _forget()
    with write() as s:
        staff_accounts.audit(
            s,
            actor(),
            "survey.paper_import",
            survey_id,
            {"rows": report.rows, "channels": dict(report.by_channel), "file": held["name"]},
        )
    flash(word("paper.added_from", name=held["name"], summary=report.summary()), "ok")
    return redirect(url_for("console.survey_paper", survey_id=survey_id))
