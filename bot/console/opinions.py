"""Opinions and public comments residents sent (意見): read, filter by kind, export."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

from flask import abort, render_template, request, send_file

from bot.console.base import actor, bp, db, page_args, state, write
from db import opinions as db_opinions
from handlers import exports, plan_content
from handlers import staff as staff_accounts
from messages.plan import local

KIND_NAMES = {"all": "すべて", "opinion": "ご意見", "comment": "パブリックコメント"}
MIME = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


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
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"opinions.{fmt}"
        exports.export_opinions(db(), path, fmt, kind, tz=state().settings.tz)
        data = path.read_bytes()
    with write() as s:
        staff_accounts.audit(s, actor(), "opinions.export", kind, {"format": fmt})
    return send_file(
        io.BytesIO(data), mimetype=MIME[fmt], as_attachment=True, download_name=f"opinions.{fmt}"
    )
