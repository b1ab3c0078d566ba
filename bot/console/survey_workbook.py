"""Surveys in Excel: download the workbook (blank or filled in) and upload a filled one.

The upload is read by handlers/survey_workbook.py and applied with uploads.apply_document,
so it gets the builder's checks and messages (answers already stored keep their meaning);
problems are listed on the survey list page, each naming the sheet and row.
"""

from __future__ import annotations

import io

from flask import abort, flash, g, redirect, request, send_file, url_for

from bot.console import surveys as survey_pages
from bot.console import uploads
from bot.console.base import MIME, actor, bp, db, now, require, state, write
from handlers import content
from handlers import staff as staff_accounts
from handlers import survey_workbook as workbook
from messages.survey_staff import word


def _send(raw: bytes, name: str):
    return send_file(io.BytesIO(raw), mimetype=MIME["xlsx"], as_attachment=True, download_name=name)


@bp.get("/surveys/workbook.xlsx")
def survey_workbook_blank():
    """The blank survey workbook (with the 説明 sheet)."""
    return _send(workbook.template(None, state().settings.tz), "survey-template.xlsx")


@bp.get("/surveys/<survey_id>/workbook.xlsx")
def survey_workbook(survey_id: str):
    """This survey's stored document as a filled workbook, to change or copy."""
    data = uploads.stored_document(db(), "survey", survey_id)
    if data is None:
        abort(404)
    raw = workbook.template(data, state().settings.tz)
    with write() as s:
        staff_accounts.audit(s, actor(), "survey.workbook_download", survey_id, {})
    stamp = now().astimezone(state().settings.tz).strftime("%Y%m%d")
    return _send(raw, f"{survey_id}-{stamp}.xlsx")


def _refused(problems: list):
    g.workbook_problems = problems
    return survey_pages._list_page(None, 400)


@bp.post("/surveys/workbook/upload")
@require("editor")
def survey_workbook_upload():
    """A filled workbook: applied when valid, otherwise every problem with its sheet and row."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return _refused([content.plain_problem("no_file")])
    name = uploads.display_name(file.filename)
    raw = file.read(workbook.MAX_BYTES + 1)
    try:
        doc = workbook.read(raw, name, state().settings.tz)
    except content.ContentError as exc:
        return _refused(exc.problems)
    result = uploads.apply_document(doc, "survey", actor())
    if not result.ok:
        return _refused(result.problems)
    with write() as s:
        staff_accounts.audit(
            s, actor(), "survey.workbook_upload", result.key, {"file": name, **result.counts}
        )
    verb = word("upload.created") if result.counts.get("created") else word("upload.updated")
    if result.counts.get("unchanged"):
        verb = word("upload.unchanged")
    flash(word("workbook.done", key=result.key, verb=verb), "ok")
    return redirect(url_for("console.survey", survey_id=result.key))
