"""Publishing survey results and event reports to the public, and telling those who took part.

State lives in content documents (docs/publishing.md):
- `kind: publication` (key: the survey id): published or not, when, the cross-tabs staff
  chose, the free-text excerpts staff picked (each must be part of a real answer), and the
  announcement sent about it.
- `kind: report` (key: the event id): the report staff wrote (text, optional https image
  URLs), published or not; attendance is counted from check-in when shown, never typed.

The public rule (`public_results`): whatever the survey's own setting, every count under
SUPPRESS_BELOW is hidden, and a lone hidden count in a row or column (whose total is shown)
takes another with it, so no hidden count can be worked out by subtraction. Options of a
multiple-choice question are counted per option, never per combination.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from db.base import utcnow
from db.broadcasts import Broadcast
from db.models import AuditLog, ContentItem
from db.surveys import ALL_DIMENSIONS, SUPPRESS_BELOW, SUPPRESSED
from handlers import broadcast
from handlers.content import DATETIME, ID, TEXT, Document, Kind, digest, parse_time
from handlers.content import register as register_kind
from messages.catalog import t

EXCERPT_MAX = 300
EXCERPTS_MAX = 30
IMAGES_MAX = 6
REPORT_MAX = 10_000
IMAGE_URL = "^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\\s\"'<>]*)?$"  # its origin goes in the CSP

ANNOUNCED = {
    "type": "object",
    "required": ["broadcast", "at"],
    "additionalProperties": False,
    "properties": {"broadcast": {"type": "integer"}, "at": DATETIME},
}

PUBLICATION_SCHEMA = {
    "type": "object",
    "required": ["kind", "survey", "published"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "publication"},
        "survey": ID,
        "published": {"type": "boolean"},
        "published_at": DATETIME,
        "crosstabs": {
            "type": "array",
            "uniqueItems": True,
            "items": {"enum": list(ALL_DIMENSIONS)},
        },
        "excerpts": {
            "type": "array",
            "maxItems": EXCERPTS_MAX,
            "items": {
                "type": "object",
                "required": ["question", "text"],
                "additionalProperties": False,
                "properties": {
                    "question": ID,
                    "text": {"type": "string", "minLength": 1, "maxLength": EXCERPT_MAX},
                },
            },
        },
        "announced": ANNOUNCED,
    },
}

REPORT_SCHEMA = {
    "type": "object",
    "required": ["kind", "event", "text", "published"],
    "additionalProperties": False,
    "properties": {
        "kind": {"const": "report"},
        "event": ID,
        "text": TEXT,
        "images": {
            "type": "array",
            "maxItems": IMAGES_MAX,
            "items": {"type": "string", "pattern": IMAGE_URL, "maxLength": 1000},
        },
        "published": {"type": "boolean"},
        "published_at": DATETIME,
        "announced": ANNOUNCED,
    },
}


def _publication_checks(doc: Document, session: Session) -> list[str]:
    d = doc.data
    survey = store.get_survey(session, d["survey"])
    if survey is None:
        return [doc.problem(["survey"], f"there is no survey {d['survey']!r}")]
    problems = []
    answers: dict[str, list[str]] = {}
    for i, item in enumerate(d.get("excerpts", [])):
        q = survey.question(item["question"])
        if q is None or q["type"] != "text":
            problems.append(doc.problem(["excerpts", i, "question"], "is not a free-text question"))
            continue
        if item["question"] not in answers:
            answers[item["question"]] = list(
                store.text_answers(session, survey.id, item["question"])
            )
        if not any(item["text"].strip() in a for a in answers[item["question"]]):
            problems.append(
                doc.problem(["excerpts", i, "text"], "is not part of any answer to the question")
            )
    return problems


def _report_checks(doc: Document, session: Session) -> list[str]:
    d = doc.data
    if event_store.get_event(session, d["event"]) is None:
        return [doc.problem(["event"], f"there is no event {d['event']!r}")]
    text = d["text"]
    for lang, value in text.items() if isinstance(text, dict) else [("ja", text)]:
        if len(value) > REPORT_MAX:
            return [doc.problem(["text", lang], f"is longer than {REPORT_MAX} characters")]
    return []


register_kind(
    Kind(
        "publication",
        PUBLICATION_SCHEMA,
        key=lambda d: d["survey"],
        checks=[_publication_checks],
        order=80,
    )
)
register_kind(
    Kind("report", REPORT_SCHEMA, key=lambda d: d["event"], checks=[_report_checks], order=80)
)


class PublishError(ValueError):
    """Publishing or announcing is refused; the message says why (in Japanese for staff)."""


# --- the records ----------------------------------------------------------------------------


def record(session: Session, kind: str, key: str) -> dict | None:
    """The publication (kind "publication", survey id) or report ("report", event id)."""
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == kind, ContentItem.key == key)
    )
    return dict(item.data) if item else None


def save(session: Session, data: dict, actor: str) -> dict:
    """Validate and store a publication or report document; raises PublishError."""
    from handlers import content

    doc = Document(path=f"console:{data['kind']}", data=data, lines={})
    problems = content.validate(doc, session)
    if problems:
        raise PublishError("; ".join(getattr(p, "plain", str(p)) for p in problems))
    content.apply(session, [doc], actor)
    return data


def _stamp(data: dict, before: dict | None, published: bool, now: datetime) -> dict:
    data["published"] = published
    if published:
        kept = before.get("published_at") if before and before.get("published") else None
        data["published_at"] = kept or now.isoformat()
    elif before and before.get("published_at"):
        data["published_at"] = before["published_at"]
    if before and "announced" in before:
        data["announced"] = before["announced"]
    return data


def publish_survey(
    session: Session,
    survey_id: str,
    actor: str,
    now: datetime,
    *,
    published: bool = True,
    crosstabs: list[str] | None = None,
    excerpts: list[dict] | None = None,
) -> dict:
    """Publish (or unpublish) a survey's results; crosstabs/excerpts None keep the stored ones."""
    if store.get_survey(session, survey_id) is None:
        raise PublishError(f"アンケート「{survey_id}」はありません。")
    before = record(session, "publication", survey_id)
    data: dict[str, Any] = {"kind": "publication", "survey": survey_id}
    old = before or {}
    data["crosstabs"] = list(crosstabs if crosstabs is not None else old.get("crosstabs", []))
    data["excerpts"] = [
        {"question": e["question"], "text": e["text"].strip()}
        for e in (excerpts if excerpts is not None else old.get("excerpts", []))
        if e.get("text", "").strip()
    ]
    return save(session, _stamp(data, before, published, now), actor)


def save_report(
    session: Session,
    event_id: str,
    actor: str,
    now: datetime,
    *,
    text: str,
    text_en: str = "",
    images: list[str] | None = None,
    published: bool = False,
) -> dict:
    """Write (and optionally publish) an event's report."""
    if event_store.get_event(session, event_id) is None:
        raise PublishError(f"イベント「{event_id}」はありません。")
    before = record(session, "report", event_id)
    body: Any = {"ja": text.strip(), "en": text_en.strip()} if text_en.strip() else text.strip()
    if not text.strip():
        raise PublishError("報告の本文を書いてください。")
    data: dict[str, Any] = {"kind": "report", "event": event_id, "text": body}
    data["images"] = [u.strip() for u in images or [] if u.strip()]
    return save(session, _stamp(data, before, published, now), actor)


def unpublish_report(session: Session, event_id: str, actor: str, now: datetime) -> dict:
    """Take a report off the public pages (the text is kept for staff)."""
    before = record(session, "report", event_id)
    if before is None:
        raise PublishError(f"イベント「{event_id}」の報告はありません。")
    data = {k: v for k, v in before.items() if k not in {"published", "published_at"}}
    return save(session, _stamp(data, before, False, now), actor)


def published(session: Session) -> list[dict]:
    """Published results and reports, newest first: {kind, id, title, published_at, path}."""
    rows = session.scalars(
        select(ContentItem).where(ContentItem.kind.in_(("publication", "report")))
    ).all()
    out = []
    for row in rows:
        d = row.data
        if not d.get("published"):
            continue
        if row.kind == "publication":
            survey = store.get_survey(session, d["survey"])
            if survey is None:
                continue
            title, path, kind = survey.definition["title"], f"/results/{survey.id}", "results"
        else:
            event = event_store.get_event(session, d["event"])
            if event is None:
                continue
            title, path, kind = event.title, f"/reports/{event.id}", "report"
        at = parse_time(str(d.get("published_at", ""))) or row.updated_at
        out.append({"kind": kind, "id": row.key, "title": title, "published_at": at, "path": path})
    return sorted(out, key=lambda x: (x["published_at"], x["id"]), reverse=True)


# --- the public rule --------------------------------------------------------------------------


def _hidden(value) -> bool:
    return value == SUPPRESSED or (isinstance(value, int) and value < SUPPRESS_BELOW)


def protect(matrix: dict[Any, dict[Any, int | str]], margins: bool = True) -> dict:
    """Rows × columns of counts with the public rule: counts under 5 hidden, then, while a
    row or column has exactly one hidden non-zero count, the smallest other shown count in
    it hidden too. A count the survey already hid ("<5") is treated as non-zero."""
    cells = {(r, c): v for r, row in matrix.items() for c, v in row.items()}
    hidden = {k for k, v in cells.items() if _hidden(v)}
    value = {k: (1 if v == SUPPRESSED else v) for k, v in cells.items()}
    lines: list[list] = [[(r, c) for c in row] for r, row in matrix.items()]
    if margins:
        columns: dict[Any, list] = {}
        for r, c in cells:
            columns.setdefault(c, []).append((r, c))
        lines += list(columns.values())
    changed = True
    while changed:
        changed = False
        for line in lines:
            lone = [k for k in line if k in hidden and value[k] > 0]
            if len(lone) == 1 and len([k for k in line if k in hidden]) == 1:
                shown = sorted((value[k], str(k)) for k in line if k not in hidden)
                if shown:
                    pick = next(k for k in line if str(k) == shown[0][1])
                    hidden.add(pick)
                    changed = True
    out: dict = {}
    for (r, c), v in cells.items():
        out.setdefault(r, {})[c] = SUPPRESSED if (r, c) in hidden else v
    for r in matrix:
        out.setdefault(r, {})
    return out


def _share(n, total) -> float | None:
    if n == SUPPRESSED or total == SUPPRESSED or not total:
        return None
    return round(100.0 * n / total, 1)


def public_results(session: Session, survey_id: str, pub: dict | None = None) -> dict:
    """The results as the public may see them (numbers only; labels in both languages)."""
    survey = store.get_survey(session, survey_id)
    if survey is None:
        raise KeyError(survey_id)
    pub = pub or record(session, "publication", survey_id) or {}
    dims = tuple(d for d in ALL_DIMENSIONS if d in pub.get("crosstabs", []))
    res = store.survey_results(session, survey_id, by=dims)
    total = res["responses"]
    few = total < SUPPRESS_BELOW
    used = {ch: n for ch, n in res["channels"].items() if n}
    channels = protect({"all": used}, margins=False)["all"] if used else {}
    excerpts: dict[str, list[str]] = {}
    for e in pub.get("excerpts", []):
        excerpts.setdefault(e["question"], []).append(e["text"])
    questions = []
    for n, (q, r) in enumerate(zip(survey.questions, res["questions"], strict=True), 1):
        answered = r["answered"]
        item: dict[str, Any] = {"n": n, "id": q["id"], "type": q["type"], "text": q["text"]}
        small = few or _hidden(answered)
        item["answered"] = SUPPRESSED if small else answered
        if q["type"] in store.CHOICE_TYPES:
            counts = {c["value"]: c["count"] for c in r["choices"]}
            if small:
                shown = {v: SUPPRESSED for v in counts}
            else:
                shown = protect({"all": counts}, margins=False)["all"]
            labels = {c["value"]: c["label"] for c in q.get("choices", [])}
            item["choices"] = [
                {
                    "value": v,
                    "label": labels.get(v, {"ja": v, "en": v}),
                    "count": shown[v],
                    "share": None if small else _share(shown[v], answered),
                }
                for v in counts
            ]
            if q["type"] == "scale":
                point_labels = q.get("labels") or {}
                for c in item["choices"]:
                    c["label"] = point_labels.get(c["value"]) or point_labels.get(int(c["value"]))
                    c["point"] = c["value"]
                item["mean"] = None if small else r.get("mean")
                item["median"] = None if small else r.get("median")
        if q["type"] == "text":  # picked by staff; none when under 5 answered the question
            item["excerpts"] = [] if small else excerpts.get(q["id"], [])
        questions.append(item)
    crosstabs = []
    for dim in dims:
        for q, item in zip(survey.questions, questions, strict=True):
            if q["type"] not in store.CHOICE_TYPES or item["answered"] == SUPPRESSED:
                continue
            groups = res["crosstabs"][dim].get(q["id"], {})
            crosstabs.append(_public_crosstab(dim, q, item, groups))
    return {
        "survey": survey,
        "title": survey.definition["title"],
        "opens_at": survey.opens_at,
        "closes_at": survey.closes_at,
        "responses": SUPPRESSED if few else total,
        "channels": {} if few else channels,
        "questions": [] if few else questions,
        "crosstabs": [] if few else crosstabs,
        "published_at": parse_time(str(pub.get("published_at", ""))),
    }


def _public_crosstab(dim: str, q: dict, item: dict, groups: dict) -> dict:
    """One question by one dimension under the public rule (rows: groups, columns: values)."""
    values = [c["value"] for c in item["choices"]]
    totals = {g: row["total"] for g, row in groups.items()}
    matrix = {g: {v: row["cells"][v]["count"] for v in values} for g, row in groups.items()}
    # a group too small hides its whole row; a lone hidden group takes another one with it
    shown_totals = protect({"all": totals}, margins=False)["all"] if totals else {}
    for g, tot in shown_totals.items():
        if tot == SUPPRESSED:
            matrix[g] = {v: SUPPRESSED for v in values}
    cells = protect(matrix) if matrix else {}
    rows = []
    for g in groups:
        tot = shown_totals[g]
        rows.append(
            {
                "group": g,
                "total": tot,
                "cells": [
                    {"count": cells[g][v], "share": _share(cells[g][v], tot)} for v in values
                ],
            }
        )
    return {"dim": dim, "question": item, "values": item["choices"], "rows": rows}


def attendance(session: Session, event_id: str) -> dict:
    """People checked in, per mode and in all, under the public rule."""
    event = event_store.get_event(session, event_id)
    counts = {
        c.mode: c.attended
        for c in event_store.signup_counts(session, [event_id])
        if c.mode in event.modes
    }
    total = sum(counts.values())
    shown = protect({"all": counts}, margins=False)["all"] if len(counts) > 1 else {}
    return {
        "total": SUPPRESSED if _hidden(total) else total,
        "modes": shown if not _hidden(total) else {m: SUPPRESSED for m in counts},
    }


# --- telling those who took part ----------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What the announcement about a publication says and to whom."""

    kind: str  # results | report
    target: str
    segment: str
    text: str
    text_en: str
    link_url: str | None
    link_label: str | None

    def args(self) -> dict:
        """Keyword arguments for broadcast.dry_run / create_broadcast."""
        return {
            "text": self.text,
            "text_en": self.text_en,
            "segment": self.segment,
            "link_url": self.link_url,
            "link_label": self.link_label,
        }


def _record_kind(kind: str) -> str:
    if kind not in ("results", "report"):
        raise PublishError(f"unknown kind {kind!r}")
    return "publication" if kind == "results" else "report"


def notice(session: Session, kind: str, target: str, base_url: str) -> Notice:
    """The announcement for a published survey (`answered=ID`) or report (`attended=ID`)."""
    data = record(session, _record_kind(kind), target)
    if not data or not data.get("published"):
        raise PublishError("公開していない結果・報告はお知らせできません。先に公開してください。")
    base = base_url.rstrip("/")
    if kind == "results":
        survey = store.get_survey(session, target)
        title, url = survey.definition["title"], f"{base}/results/{target}"
        n = store.response_count(session, target)
        words = {
            lang: t(
                lang,
                "pub.notice_results",
                title=_local(title, lang),
                url=url,
                n=n if n >= SUPPRESS_BELOW else t(lang, "pub.small"),
            )
            for lang in ("ja", "en")
        }
        segment = f"answered={target}"
    else:
        event = event_store.get_event(session, target)
        url = f"{base}/reports/{target}"
        words = {
            lang: t(lang, "pub.notice_report", title=_local(event.title, lang), url=url)
            for lang in ("ja", "en")
        }
        segment = f"attended={target}"
    https = url.startswith("https://")
    return Notice(
        kind,
        target,
        segment,
        words["ja"],
        words["en"],
        url if https else None,
        t("ja", "label.pub.notice_link") if https else None,
    )


def _local(value, lang: str) -> str:
    if isinstance(value, dict):
        return value.get(lang) or value.get("ja") or ""
    return str(value)


def announced(session: Session, kind: str, target: str) -> Broadcast | None:
    """The announcement already made about this publication (a cancelled one does not count)."""
    data = record(session, _record_kind(kind), target) or {}
    b_id = (data.get("announced") or {}).get("broadcast")
    b = session.get(Broadcast, b_id) if b_id else None
    return b if b is not None and b.status != "cancelled" else None


def announce_dry_run(session: Session, gateway, kind: str, target: str, base_url: str, now):
    """Who would receive the announcement and what it costs (sends nothing)."""
    n = notice(session, kind, target, base_url)
    try:
        return n, broadcast.dry_run(session, gateway, now=now, **n.args())
    except broadcast.BroadcastError as exc:
        raise PublishError(str(exc)) from None


def check_token(session: Session, kind: str, target: str, base_url: str) -> str:
    """A fingerprint of the announcement as the dry run showed it (text and audience)."""
    n = notice(session, kind, target, base_url)
    return digest(n.args())[:32]


def announce(
    session: Session,
    kind: str,
    target: str,
    base_url: str,
    actor: str,
    now: datetime,
    checked: str,
) -> Broadcast:
    """Create the announcement once, after its dry run (`checked` is the dry run's token).

    The publication's row is locked first, so two staff pressing send at once make one."""
    session.scalar(
        select(ContentItem)
        .where(ContentItem.kind == _record_kind(kind), ContentItem.key == target)
        .with_for_update()
    )
    same = announced(session, kind, target)
    if same is not None:
        raise PublishError(f"この結果・報告は、お知らせ #{same.id} ですでに知らせています。")
    if checked != check_token(session, kind, target, base_url):
        raise PublishError("送信の前に「送信前の確認」を押して、相手と件数を確かめてください。")
    n = notice(session, kind, target, base_url)
    try:
        b = broadcast.create_broadcast(session, actor=actor, now=now, **n.args())
    except broadcast.BroadcastError as exc:
        raise PublishError(str(exc)) from None
    item = session.scalar(
        select(ContentItem).where(ContentItem.kind == _record_kind(kind), ContentItem.key == target)
    )
    data = dict(item.data)
    data["announced"] = {"broadcast": b.id, "at": now.isoformat()}
    item.data, item.digest, item.updated_at = data, digest(data), utcnow()
    session.add(
        AuditLog(
            at=now,
            actor=actor[:120],
            action=f"publish.announce.{kind}",
            target=target,
            detail={"broadcast": b.id, "segment": n.segment},
        )
    )
    session.flush()
    return b


# --- charts ---------------------------------------------------------------------------------

_CHARTS: dict[tuple, bytes] = {}


def chart_png(item: dict, lang: str) -> bytes | None:
    """A bar chart of one question's shares; a hidden count is named, not drawn; cached."""
    if "choices" not in item or item["answered"] == SUPPRESSED:
        return None
    labels = []
    for c in item["choices"]:
        label = _local(c["label"], lang) if c.get("label") else ""
        labels.append(
            f"{c['point']}（{label}）" if "point" in c and label else c.get("point") or label
        )
    shares = [c["share"] for c in item["choices"]]
    title = _local(item["text"], lang)
    note = t(lang, "pub.answered", n=item["answered"])
    key = (lang, title, tuple(labels), tuple(shares), note)
    if key not in _CHARTS:
        from handlers import charts  # matplotlib: loaded on the first chart

        try:
            data = _hbar(charts, title, labels, shares, note, t(lang, "pub.small"))
        except charts.MissingGlyph:  # e.g. an emoji: number the options (the table names them)
            plain = [str(i) for i in range(1, len(labels) + 1)]
            data = _hbar(charts, item["id"], plain, shares, f"n={item['answered']}", "<5")
        if len(_CHARTS) > 256:
            _CHARTS.clear()
        _CHARTS[key] = data
    return _CHARTS[key]


def _hbar(charts, title, labels, shares, note, small) -> bytes:
    """Horizontal bars in percent, first on top; None (hidden) gets the word, no bar."""
    from matplotlib.figure import Figure

    with charts.drawing():
        fig = Figure(figsize=(6.4, 0.5 * len(labels) + 1.4), dpi=120)
        ax = fig.add_subplot()
        values = [s or 0 for s in shares]
        ax.barh(range(len(labels)), values, color=charts.BAR)
        ax.set_yticks(range(len(labels)), labels=[x[:24] for x in labels], fontsize=11)
        ax.invert_yaxis()
        ax.set_title(title[:40], loc="left", fontsize=13)
        top = max(values, default=0) or 1
        ax.set_xlim(0, top * 1.25)
        for i, s in enumerate(shares):
            ax.text(
                (s or 0) + top * 0.01,
                i,
                small if s is None else f"{s:.1f}%",
                va="center",
                fontsize=11,
            )
        ax.spines[["top", "right"]].set_visible(False)
        fig.text(0.01, 0.01, note, fontsize=10, color="#404040")
        fig.tight_layout(rect=(0, 0.05, 1, 1))
        return charts.png(fig)
