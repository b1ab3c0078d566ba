"""Public pages, no login: `/results/` (the list), `/results/<survey-id>`, `/reports/<event-id>`.

Only what staff published is shown, under the public rule of `handlers.publishing`
(groups under 5 never shown). Japanese first, English with `?lang=en` or the browser's
Accept-Language; no cookies, no scripts, a strict CSP, everything escaped by Jinja.
`render_results(..., static=True)` gives the same page as one self-contained file (CSS
inlined, charts as data: URIs) for `surveys publish ID --static DIR`.
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, g, render_template, request, url_for
from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from handlers import plan_content, publishing
from handlers import publishing_snapshot as publication_snapshot
from handlers.content import parse_time
from handlers.survey_cells import HIDDEN as SUPPRESSED
from handlers.town import Town, load_town
from messages.catalog import t
from messages.text import RESIDENCIES, dated, when

bp = Blueprint(
    "public",
    __name__,
    template_folder="public_templates",
    static_folder="public_static",
    static_url_path="/results/_static",
)

LANGS = ("ja", "en")
CSS = Path(__file__).parent / "public_static" / "public.css"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'{images}; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'"
)
STATIC_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'"


def _state():
    return current_app.extensions["machikoe"]


def _lang() -> str:
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    return request.accept_languages.best_match(LANGS, default="ja")


@bp.before_request
def _guard():
    if request.endpoint == "public.static":
        return None
    g.public_lang = _lang()
    g.public_session = _state().sessions()
    return None


@bp.teardown_request
def _close(_exc):
    s = g.pop("public_session", None)
    if s is not None:
        s.close()


@bp.after_request
def _headers(response):
    """No scripts, nothing third-party (but a report's own images), no framing."""
    origins = "".join(f" {o}" for o in g.pop("public_image_origins", ()))
    response.headers.setdefault("Content-Security-Policy", CSP.format(images=origins))
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if request.endpoint != "public.static":
        response.headers.setdefault("Cache-Control", "no-cache")  # unpublishing takes effect
        response.headers["Vary"] = "Accept-Language"
    return response


@bp.errorhandler(404)
def _not_found(_exc):
    lang = g.get("public_lang", "ja")
    session = g.get("public_session")
    town = load_town(session) if session is not None else Town()
    html = render_template(
        "public/message.html",
        **_context(lang, town),
        heading=t(lang, "pub.not_found_heading"),
        body=t(lang, "pub.not_found"),
    )
    return html, 404


# --- formatting --------------------------------------------------------------------------------


def _context(lang: str, town: Town, *, static: bool = False, switch: str | None = None) -> dict:
    tz = ZoneInfo(_state().settings.town_tz)

    def tr(key: str, **values) -> str:
        return t(lang, key, **values)

    def loc(value) -> str:
        if isinstance(value, dict):
            return value.get(lang) or value.get("ja") or ""
        return "" if value is None else str(value)

    def day(moment: datetime | None) -> str:
        if moment is None:
            return ""
        return dated(moment, lang, tz)

    def num(value) -> str:
        if value == SUPPRESSED:
            return t(lang, "pub.small")
        return f"{value:,}" if isinstance(value, int) else str(value)

    def pct(share) -> str:
        return "—" if share is None else f"{share:.1f}%"

    def group(dim: str, value: str) -> str:
        if not value:
            return t(lang, "pub.group_none")
        if dim == "residency":
            return t(lang, f"pub.residency.{value}") if value in RESIDENCIES else value
        if dim == "channel":
            return t(lang, f"pub.channel.{value}") if value in ("line", "web", "paper") else value
        return town.label(dim, value, lang)

    return {
        "lang": lang,
        "tr": tr,
        "loc": loc,
        "day": day,
        "num": num,
        "pct": pct,
        "group": group,
        "town": town,
        "contact": town.contact_for(lang),
        "static": static,
        "inline_css": CSS.read_text(encoding="utf-8") if static else "",
        "static_csp": STATIC_CSP,
        "switch": switch,
        "other": "en" if lang == "ja" else "ja",
        "small": SUPPRESSED,
    }


def _switch(endpoint: str, **args) -> str:
    other = "en" if g.public_lang == "ja" else "ja"
    return url_for(endpoint, **args, lang=other)


# --- the pages -----------------------------------------------------------------------------------


@bp.get("/results/")
def index():
    """Every published result and report, newest first, with the plan-making timeline."""
    session: Session = g.public_session
    lang = g.public_lang
    return render_template(
        "public/index.html",
        **_context(lang, load_town(session), switch=_switch("public.index")),
        items=publishing.published(session),
        timelines=plan_content.items(session, "timeline"),
        heading=t(lang, "pub.index_heading"),
    )


def _published(session: Session, survey_id: str) -> dict:
    pub = publishing.record(session, "publication", survey_id)
    if not pub or not pub.get("published") or store.get_survey(session, survey_id) is None:
        abort(404)
    return pub


def render_results(
    session: Session,
    survey_id: str,
    lang: str,
    *,
    static: bool = False,
    switch: str | None = None,
    inline_images: bool | None = None,
    live: bool = False,
) -> str:
    """The results page as HTML (the caller has checked it is published): the snapshot taken
    at publication (`live`: counted now, the console's preview); `static`: one
    self-contained file; `inline_images`: charts as data: URIs (the default when static)."""
    if live:
        view, counted = publishing.public_results(session, survey_id), _state().now()
    else:
        view, counted = _snapshot(session, survey_id)
    inline = static if inline_images is None else inline_images

    def chart_src(item):
        if inline:
            data = publishing.chart_png(item, lang)
            return "data:image/png;base64," + base64.b64encode(data).decode() if data else None
        return url_for("public.chart", survey_id=survey_id, question_id=item["id"], lang=lang)

    now = _state().now()
    tz = _state().settings.town_tz
    return render_template(
        "public/results.html",
        **_context(lang, load_town(session), static=static, switch=switch),
        v=view,
        generated=counted,
        as_of=when(counted, lang, tz, year=True),  # the counts are as of the snapshot (JST)
        still_open=view["closes_at"] is not None and now < view["closes_at"],
        closes=when(view["closes_at"], lang, tz, year=True) if view["closes_at"] else "",
        heading=_loc(view["title"], lang),
        chart_src=chart_src,
    )


def _snapshot(session: Session, survey_id: str) -> tuple[dict, datetime]:
    """The figures as published; one published before snapshots existed gets one now."""
    found = publication_snapshot.read(session, survey_id)
    if found is None:
        publication_snapshot.take_if_missing(session, survey_id, _state().now())
        session.commit()
        found = publication_snapshot.read(session, survey_id)
    if found is None:
        abort(404)
    return found


def _loc(value, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or value.get("ja") or ""
    return str(value)


@bp.get("/results/<survey_id>")
def results(survey_id: str):
    """One survey's published results."""
    session: Session = g.public_session
    _published(session, survey_id)
    return render_results(
        session,
        survey_id,
        g.public_lang,
        switch=_switch("public.results", survey_id=survey_id),
    )


@bp.get("/results/<survey_id>/chart/<question_id>.png")
def chart(survey_id: str, question_id: str):
    """A published question's chart (its numbers are in the table beside it)."""
    session: Session = g.public_session
    _published(session, survey_id)
    view, _counted = _snapshot(session, survey_id)
    item = next((q for q in view["questions"] if q["id"] == question_id), None)
    data = publishing.chart_png(item, g.public_lang) if item else None
    if data is None:
        abort(404)
    return Response(data, mimetype="image/png")


@bp.get("/reports/<event_id>")
def report(event_id: str):
    """A published report of a workshop or meeting, with attendance from check-in."""
    session: Session = g.public_session
    lang = g.public_lang
    rep = publishing.record(session, "report", event_id)
    event = event_store.get_event(session, event_id)
    if not rep or not rep.get("published") or event is None:
        abort(404)
    images = rep.get("images", [])
    g.public_image_origins = sorted(
        {f"https://{urlparse(u).netloc}" for u in images if urlparse(u).netloc}
    )
    body = _loc(rep["text"], lang)
    return render_template(
        "public/report.html",
        **_context(lang, load_town(session), switch=_switch("public.report", event_id=event_id)),
        heading=_loc(event.title, lang),
        event=event,
        paragraphs=[p.strip() for p in body.replace("\r\n", "\n").split("\n\n") if p.strip()],
        images=images,
        attendance=publishing.attendance(session, event_id),
        published_at=parse_time(str(rep.get("published_at", ""))),
        when=_when(event, lang),
    )


def _when(event, lang: str) -> str:
    from messages.survey import when

    tz = _state().settings.town_tz
    start = when(event.starts_at, lang, tz)
    end = event.ends_at.astimezone(ZoneInfo(tz))
    return f"{start}–{end:%H:%M}"


def write_static(session: Session, survey_id: str, folder: Path) -> list[Path]:
    """The results page in Japanese and English as self-contained files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    names = {"ja": f"{survey_id}.html", "en": f"{survey_id}.en.html"}
    written = []
    for lang in LANGS:
        other = "en" if lang == "ja" else "ja"
        with current_app.test_request_context(f"/results/{survey_id}"):
            html = render_results(session, survey_id, lang, static=True, switch=names[other])
        path = folder / names[lang]
        path.write_text(html, encoding="utf-8")
        written.append(path)
    return written
