"""The weekly digest as words: e-mail subject, plain text, HTML and the short LINE push.

Staff-facing and Japanese. Pure functions of a `handlers.digest.Digest`; the HTML comes
from a Jinja2 template with autoescaping, and charts are referenced by Content-ID.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from messages.catalog import digest as catalog
from messages.common import text

LINE_MAX = 2000

TEMPLATES = Path(__file__).resolve().parent / "templates" / "digest"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def subject(digest) -> str:
    """e.g. 【みらい野町】週次ダイジェスト 11/24〜11/30."""
    return f"【{digest.town}】週次ダイジェスト {digest.period.label}"


def _when(digest, tz) -> str:
    at = digest.generated_at.astimezone(tz)
    return f"{at.year}年{at.month}月{at.day}日 {at:%H:%M}"


def plain(digest, tz) -> str:
    """The digest as plain text (the e-mail's text part, and `digest send --dry-run`)."""
    out = [subject(digest), f"作成: {_when(digest, tz)}", ""]
    for sec in digest.sections:
        out.append(f"■ {sec.title}")
        if sec.missing:
            out.append(f"  {sec.missing}")
        out.extend(f"  {line}" for line in sec.lines)
        for table in sec.tables:
            out.append(f"  [{table.title}]")
            out.append("  " + " | ".join(table.headers))
            out.extend("  " + " | ".join(row) for row in table.rows)
        if sec.charts:
            out.append("  （グラフはHTML版のメールをご覧ください）")
        out.append("")
    out.append("このメールは「まちの声」から自動で送信しています。")
    return "\n".join(out)


def html(digest, tz, *, embed: bool = False) -> str:
    """The digest as an HTML page; charts are <img src="cid:…"> (data: URIs when embed)."""
    src = {
        c.cid: ("data:image/png;base64," + base64.b64encode(c.png).decode())
        if embed
        else f"cid:{c.cid}"
        for c in digest.charts
    }
    return _env.get_template("digest.html").render(
        subject=subject(digest), digest=digest, when=_when(digest, tz), src=src
    )


def line_text(digest) -> str:
    """A short summary for staff who linked their LINE account."""
    out = [f"{subject(digest)}", ""]
    out.extend(f"・{sec.short}" for sec in digest.sections if sec.short)
    out.append("")
    out.append("詳しくはメールの週次ダイジェストをご覧ください。")
    body = "\n".join(out)
    return body if len(body) <= LINE_MAX else body[: LINE_MAX - 1] + "…"


def line_messages(digest) -> list:
    """The LINE push: one text message."""
    return [text(line_text(digest))]


# --- linking a staff member's LINE account (typed one-time code) ------------------------


def staff_text(lang: str, key: str, **values) -> str:
    """Wording for the staff link replies (Japanese when the language is missing)."""
    texts = catalog.EN if lang == "en" else catalog.JA
    return texts[f"digest.{key}"].format(**values)
