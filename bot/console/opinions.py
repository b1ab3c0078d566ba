"""Opinions and public comments residents sent (意見): read, filter by kind, export."""

from __future__ import annotations

from flask import abort, render_template, request

from bot.console.base import MIME, bp, db, page_args, send_export, state
from db import opinions as db_opinions
from handlers import exports, plan_content
from messages.plan import local

KIND_NAMES = {"all": "すべて", "opinion": "ご意見", "comment": "パブリックコメント"}


def _kind() -> str:
    kind = request.args.get("kind", "all")
    if kind not in db_opinions.KINDS:
        abort(404)
    return kind


@bp.get("/opinions")
def opinions():
    """What residents wrote, newest first (the words escaped, no LINE user ids)."""
    kind = _kind()
    page, limit, offset = page_args(50)
    session = db()
    rows, total = db_opinions.listed(session, kind, limit, offset)
    titles = {c["id"]: local(c["title"], "ja") for c in plan_content.items(session, "consultation")}
    return render_template(
        "console/opinions.html",
        rows=rows,
        total=total,
        kind=kind,
        kinds=KIND_NAMES,
        titles=titles,
        page=page,
        pages=max(1, -(-total // limit)),
    )


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
