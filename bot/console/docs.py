"""The staff guides in docs/ as console pages (`/admin/docs/surveys`), with their pictures.

Only the guides listed here are served; Markdown is rendered without raw HTML, so a guide
cannot carry a script. Links between guides and to docs/img/ point at these routes.
"""

from __future__ import annotations

import re

from flask import abort, render_template, send_from_directory
from markdown_it import MarkdownIt
from markupsafe import Markup

from bot.config import ROOT
from bot.console.base import bp
from messages.staff_labels import GUIDES

DOCS = ROOT / "docs"
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_LINK = re.compile(r'(href|src)="(?:\./)?(img/[\w.-]+|[\w-]+\.md)(#[^"]*)?"')


def _rewrite(html: str) -> str:
    def fix(m: re.Match) -> str:
        attr, target, anchor = m.group(1), m.group(2), m.group(3) or ""
        if target.startswith("img/"):
            return f'{attr}="/admin/docs/{target}"'
        name = target[:-3]
        if name not in GUIDES:
            return m.group(0)
        return f'{attr}="/admin/docs/{name}{anchor}"'

    return _LINK.sub(fix, html)


@bp.get("/docs/<name>")
def guide(name: str):
    """A staff guide rendered from docs/<name>.md."""
    if name not in GUIDES:
        abort(404)
    text = (DOCS / f"{name}.md").read_text(encoding="utf-8")
    body = Markup(_rewrite(_MD.render(text)))  # noqa: S704 (rendered with raw HTML off)
    return render_template("console/guide.html", title=GUIDES[name], body=body)


@bp.get("/docs/img/<path:filename>")
def guide_image(filename: str):
    """A picture of a guide."""
    if not re.fullmatch(r"[\w.-]+\.png", filename):
        abort(404)
    return send_from_directory(DOCS / "img", filename, max_age=300)
