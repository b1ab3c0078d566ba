"""Builders for 計画の進捗: plan targets as Flex bubbles, the timeline as text."""

from __future__ import annotations

from linebot.v3.messaging import (
    FlexBox,
    FlexBubble,
    FlexCarousel,
    FlexMessage,
    FlexSeparator,
    FlexText,
    Message,
)

from messages.catalog import t
from messages.common import text
from messages.text import pick

MAX_BUBBLES = 12


local = pick  # a content text field in the resident's language (messages/text.py)


def _english(v: float, unit: str) -> str:
    """A figure as English readers write it: 1 billion yen, 24 million yen, 80%."""
    if unit == "円":
        unit = " " + t("en", "plan.unit.yen")
    elif unit and unit != "%":
        unit = " " + unit
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if abs(v) >= size:
            return f"{v / size:,.4g} {t('en', f'plan.scale.{word}')}{unit}"
    text = f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"
    return f"{text}{unit}"


def number(value: float, unit: str, lang: str = "ja") -> str:
    """A figure as readers write it: 10億円, 2,400万円, 80% (English: 24 million yen)."""
    v = float(value)
    if lang == "en":
        return _english(v, unit)
    if unit == "円" and abs(v) >= 1e8:
        return f"{v / 1e8:,.4g}億円"
    if unit == "円" and abs(v) >= 1e4:
        return f"{v / 1e4:,.4g}万円"
    text = f"{int(v):,}" if v.is_integer() else f"{v:,.1f}"
    return f"{text}{unit}"


def progress(kpi: dict) -> float | None:
    """Share of the way from baseline to target (0–1), or None without a current value."""
    if "current" not in kpi:
        return None
    span = kpi["target"]["value"] - kpi["baseline"]["value"]
    if span == 0:
        return 1.0
    return max(0.0, min(1.0, (kpi["current"]["value"] - kpi["baseline"]["value"]) / span))


def _row(label: str, point: dict | None, unit: str, lang: str) -> FlexBox:
    value = number(point["value"], unit, lang) if point else "—"
    year = t(lang, "plan.year", year=point["year"]) if point else ""
    return FlexBox(
        layout="baseline",
        spacing="sm",
        contents=[
            FlexText(text=label, size="md", color="#555555", flex=3),
            FlexText(text=value, size="md", weight="bold", flex=4, wrap=True),
            FlexText(text=year or " ", size="md", color="#555555", flex=3, align="end"),
        ],
    )


def kpi_bubble(kpi: dict, lang: str) -> FlexBubble:
    """One target: its title, baseline, current and target values and a progress bar."""
    unit = kpi.get("unit", "")
    rows: list = [
        FlexText(text=local(kpi["title"], lang), weight="bold", size="lg", wrap=True),
        FlexSeparator(margin="md"),
        _row(t(lang, "plan.baseline"), kpi["baseline"], unit, lang),
        _row(t(lang, "plan.current"), kpi.get("current"), unit, lang),
        _row(t(lang, "plan.target"), kpi["target"], unit, lang),
    ]
    share = progress(kpi)
    if share is not None:
        pct = round(share * 100)
        rows.append(
            FlexBox(
                layout="vertical",
                margin="lg",
                backgroundColor="#E6E6E6",
                height="10px",
                cornerRadius="5px",
                contents=[
                    FlexBox(
                        layout="vertical",
                        width=f"{max(pct, 1)}%",
                        backgroundColor="#06C755",
                        height="10px",
                        cornerRadius="5px",
                        contents=[],
                    ),
                ],
            )
        )
        rows.append(FlexText(text=t(lang, "plan.progress", pct=pct), size="md", color="#444444"))
    return FlexBubble(body=FlexBox(layout="vertical", spacing="md", contents=rows))


def kpi_carousel(kpis: list[dict], lang: str) -> list[Message]:
    """Targets as a carousel (at most 12 bubbles; a note says how many more there are)."""
    shown = kpis[:MAX_BUBBLES]
    alt = "\n".join(
        f"{local(k['title'], lang)}: {number(k['current']['value'], k.get('unit', ''), lang)}"
        if "current" in k
        else local(k["title"], lang)
        for k in shown
    )[:1500]
    out: list[Message] = [
        FlexMessage(
            altText=alt or t(lang, "plan.title"),
            contents=FlexCarousel(contents=[kpi_bubble(k, lang) for k in shown]),
        )
    ]
    if len(kpis) > MAX_BUBBLES:
        out.append(text(t(lang, "plan.more", n=len(kpis) - MAX_BUBBLES)))
    return out


def timeline_text(timeline: dict, lang: str) -> str:
    """The plan-making timeline, one step a line, done steps ticked."""
    lines = [local(timeline["title"], lang)]
    for step in timeline["steps"]:
        mark = "✓" if step.get("done") else "・"
        lines.append(f"{mark} {step['when']} {step['label']}")
    return "\n".join(lines)
