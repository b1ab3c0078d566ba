"""Opinions and public comments residents sent (意見): read, filter, handle, answer, export."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

from bot import outbox
from bot.console.base import MIME, actor, bp, db, now, page_args, send_export, state, write
from db import opinions as db_opinions
from handlers import exports, plan_content
from handlers import opinion as opinion_work
from messages.catalog import t
from messages.plan import local

KIND_NAMES = {k: t("ja", f"opinion_staff.kind.{k}") for k in ("all", "opinion", "comment")}


def _kind() -> str:
    kind = request.args.get("kind", "all")
    if kind not in db_opinions.KINDS:
        abort(404)
    return kind


@bp.get("/opinions")
def opinions():
    """What residents wrote, newest first (the words escaped, no LINE user ids)."""
    kind = _kind()
    if any(v == "" for v in request.args.values()):  # a filter form's blanks: a clean address
        kept: dict[str, Any] = {k: v for k, v in request.args.items() if v != ""}
        return redirect(url_for("console.opinions", **kept))
    session = db()
    status = request.args.get("status", "")
    category = request.args.get("category", "")
    choices = opinion_work.categories(session)
    if status and status not in opinion_work.STATUS_NAMES:
        abort(404)
    if category and category != "none" and category not in choices:
        abort(404)
    page, limit, offset = page_args(50)
    rows, total = db_opinions.listed(session, kind, limit, offset, status or None, category or None)
    titles = {c["id"]: local(c["title"], "ja") for c in plan_content.items(session, "consultation")}
    return render_template(
        "console/opinions.html",
        rows=rows,
        total=total,
        kind=kind,
        kinds=KIND_NAMES,
        status=status,
        statuses=opinion_work.STATUS_NAMES,
        category=category,
        categories=choices,
        open_count=db_opinions.open_count(session),
        titles=titles,
        page=page,
        pages=max(1, -(-total // limit)),
    )


def _opinion(session, opinion_id: int) -> db_opinions.Opinion:
    row = session.get(db_opinions.Opinion, opinion_id)
    if row is None:
        abort(404)
    return row


def _detail(
    opinion_id: int,
    *,
    problems=(),
    draft=None,
    reply_body: str = "",
    preview: str = "",
    code=200,
):
    session = db()
    row = _opinion(session, opinion_id)
    draft = draft or {"status": row.status, "category": row.category, "memo": row.memo}
    titles = {c["id"]: local(c["title"], "ja") for c in plan_content.items(session, "consultation")}
    token = request.form.get("reply_token") or secrets.token_urlsafe(16)
    html = render_template(
        "console/opinion.html",
        row=row,
        title=titles.get(row.consultation_id, row.consultation_id),
        statuses=opinion_work.STATUS_NAMES,
        categories=opinion_work.categories(session),
        replies=db_opinions.replies(session, row.id),
        draft=draft,
        refused=opinion_work.reply_problems(session, row, "x"),
        problems=problems,
        reply_body=reply_body,
        reply_token=token,
        reply_max=opinion_work.REPLY_MAX,
        memo_max=opinion_work.MEMO_MAX,
        preview=preview,
    )
    return html, code


@bp.get("/opinions/<int:opinion_id>")
def opinion(opinion_id: int):
    """One opinion: what the resident wrote, staff's status, category and memo, replies."""
    return _detail(opinion_id)


@bp.post("/opinions/<int:opinion_id>")
def opinion_update(opinion_id: int):
    """Change status, category and memo (editor); a wrong value changes nothing."""
    with write() as s:
        row = _opinion(s, opinion_id)
        problems = opinion_work.update(s, row, request.form, actor(), now())
    if problems:  # shown again as typed, nothing stored
        typed = {k: request.form.get(k, "") for k in ("status", "category", "memo")}
        return _detail(opinion_id, problems=problems, draft=typed, code=400)
    flash(t("ja", "opinion_staff.saved"), "ok")
    return redirect(url_for("console.opinion", opinion_id=opinion_id))


@bp.post("/opinions/<int:opinion_id>/reply")
def opinion_reply(opinion_id: int):
    """Preview, then send a reply by LINE push (editor; audited; once per form)."""
    body = request.form.get("body", "")
    if request.form.get("action") != "send":
        session = db()
        row = _opinion(session, opinion_id)
        cleaned = opinion_work.clean(body)
        problems = opinion_work.reply_problems(session, row, cleaned)
        preview = "" if problems else opinion_work.reply_text(session, row, cleaned)[1]
        return _detail(
            opinion_id,
            problems=problems,
            reply_body=body,
            preview=preview,
            code=400 if problems else 200,
        )
    with write() as s:
        row = _opinion(s, opinion_id)
        outbox_id, problems = opinion_work.reply(
            s, row, body, request.form.get("reply_token", ""), actor(), now()
        )
    if problems:
        return _detail(opinion_id, problems=problems, reply_body=body, code=400)
    assert outbox_id is not None  # a reply without problems is queued
    result = outbox.deliver(state(), outbox_id)
    if result == "sent":
        flash(t("ja", "opinion_staff.reply_sent"), "ok")
    elif result == "skipped":
        flash(t("ja", "opinion_staff.reply_skipped"), "warn")
    else:
        flash(t("ja", "opinion_staff.reply_queued"), "warn")
    return redirect(url_for("console.opinion", opinion_id=opinion_id))


@bp.get("/opinions/export.<fmt>")
def opinions_export(fmt: str):
    """Every opinion of the chosen kind as CSV (with BOM) or xlsx; audited."""
    if fmt not in MIME:
        abort(404)
    kind = _kind()
    tz = state().settings.tz
    return send_export(
        fmt,
        f"opinions.{fmt}",
        lambda path: exports.export_opinions(db(), path, fmt, kind, tz=tz),
        "opinions.export",
        kind,
    )
