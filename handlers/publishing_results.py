"""The public rule and what the public pages show: counts under SUPPRESS_BELOW hidden (and a
lone hidden count takes another with it), a survey's public results, an event's attendance,
and the results' bar charts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from db import events as event_store
from db import surveys as store
from db.surveys import ALL_DIMENSIONS
from handlers import survey_report
from handlers.content import parse_time
from handlers.privacy import protect as protect  # the complementary rule lives there
from handlers.publishing_records import record
from handlers.survey_cells import HIDDEN as SUPPRESSED  # a hidden count, shown "<5"
from handlers.survey_cells import SUPPRESS_BELOW, Cell
from messages.catalog import t
from messages.text import pick


def _hidden(value: object) -> bool:
    return value == SUPPRESSED or (isinstance(value, int) and value < SUPPRESS_BELOW)


def _share(n: int | Cell, total: int | Cell) -> float | None:
    if n == SUPPRESSED or total == SUPPRESSED or not total:
        return None
    assert isinstance(n, int) and isinstance(total, int)  # a Cell has no arithmetic
    return round(100.0 * n / total, 1)


def public_results(
    session: Session, survey_id: str, pub: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The results as the public may see them (numbers only; labels in both languages)."""
    survey = store.get_survey(session, survey_id)
    if survey is None:
        raise KeyError(survey_id)
    pub = pub or record(session, "publication", survey_id) or {}
    dims = tuple(d for d in ALL_DIMENSIONS if d in pub.get("crosstabs", []))
    res = survey_report.results(session, survey_id, by=dims)
    total = res["responses"]
    few = total < SUPPRESS_BELOW
    used = {ch: n for ch, n in res["channels"].items() if n}
    channels = protect({"all": used}, margins=False)["all"] if used else {}
    excerpts: dict[str, list[str]] = {}
    for e in pub.get("excerpts", []):
        excerpts.setdefault(e["question"], []).append(e["text"])
    questions: list[dict[str, Any]] = []
    for n, (q, r) in enumerate(zip(survey.questions, res["questions"], strict=True), 1):
        answered = r["answered"]
        item: dict[str, Any] = {"n": n, "id": q["id"], "type": q["type"], "text": q["text"]}
        small = few or _hidden(answered)
        item["answered"] = SUPPRESSED if small else answered
        if q["type"] in store.CHOICE_TYPES:
            counts = {c["value"]: c["count"] for c in r["choices"]}
            if small:
                shown: dict[Any, int | Cell] = {v: SUPPRESSED for v in counts}
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
    crosstabs: list[dict[str, Any]] = []
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


def _public_crosstab(
    dim: str, q: Mapping[str, Any], item: Mapping[str, Any], groups: Mapping[Any, Any]
) -> dict[str, Any]:
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
    rows: list[dict[str, Any]] = []
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


def attendance(session: Session, event_id: str) -> dict[str, Any]:
    """People checked in, per mode and in all, under the public rule."""
    event = event_store.get_event(session, event_id)
    counts = {
        c.mode: c.attended
        for c in event_store.signup_counts(session, [event_id])
        if event is not None and c.mode in event.modes  # no event has no sign-ups
    }
    total = sum(counts.values())
    shown = protect({"all": counts}, margins=False)["all"] if len(counts) > 1 else {}
    return {
        "total": SUPPRESSED if _hidden(total) else total,
        "modes": shown if not _hidden(total) else {m: SUPPRESSED for m in counts},
    }


_CHARTS: dict[tuple[Any, ...], bytes] = {}


def chart_png(item: Mapping[str, Any], lang: str) -> bytes | None:
    """A bar chart of one question's shares; a hidden count is named, not drawn; cached."""
    if "choices" not in item or item["answered"] == SUPPRESSED:
        return None
    labels: list[str] = []
    for c in item["choices"]:
        label = pick(c["label"], lang) if c.get("label") else ""
        labels.append(
            t(lang, "pub.chart_point", point=c["point"], label=label)
            if "point" in c and label
            else c.get("point") or label
        )
    shares = [c["share"] for c in item["choices"]]
    title = pick(item["text"], lang)
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


def _hbar(
    charts: ModuleType,
    title: str,
    labels: Sequence[str],
    shares: Sequence[float | None],
    note: str,
    small: str,
) -> bytes:
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
        png: bytes = charts.png(fig)
        return png
