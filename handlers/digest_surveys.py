"""The digest's survey sections: responses, completion, headline results, gaps, words, coverage.

`surveys(Inputs)` returns a heading section and, per survey open during the week, its own
section and (with population data) its response-rate section. Figures come from
handlers/survey_results.py; the words are messages/digest.py's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from db import digest_counts
from db.surveys import respondent_groups
from handlers import population, privacy
from handlers.digest_model import Chart, Inputs, Section, n
from handlers.digest_sections import coverage_section
from handlers.survey_cells import Cell
from messages.digest import listed, say

MIN_GROUP_ANSWERS = 5  # a cross-tab group needs this many respondents to be compared
DIFFS = 3
WORDS = 10


def _headline(q: Mapping[str, Any]) -> str | None:
    """The answer most chose (or the mean of a scale)."""
    if q["type"] == "scale" and q.get("mean") is not None:
        return say("surveys.mean", question=q["text"], mean=q["mean"], median=q.get("median"))
    choices = [c for c in q.get("choices", []) if c.get("share") is not None]
    if q["type"] in {"single", "multi"} and choices:
        top = max(choices, key=lambda c: c["count"])
        return say("surveys.top", question=q["text"], label=top["label"], share=top["share"])
    return None


def _differences(res: Mapping[str, Any], dims: tuple[str, ...]) -> list[tuple[float, str]]:
    """(gap, sentence) for groups whose share of an answer differs most from everyone's."""
    found = []
    questions = {q["id"]: q for q in res["questions"] if q["type"] in {"single", "multi"}}
    for dim in dims:
        for qid, groups in res["crosstabs"].get(dim, {}).items():
            q = questions.get(qid)
            if q is None:
                continue
            overall = {c["value"]: (c["label"], c["share"]) for c in q["choices"]}
            for group, row in groups.items():
                if not group or not isinstance(row["total"], int):
                    continue
                if row["total"] < MIN_GROUP_ANSWERS:
                    continue
                for value, cell in row["cells"].items():
                    label, everyone = overall.get(value, (value, None))
                    if cell["share"] is None or everyone is None:
                        continue
                    gap = cell["share"] - everyone
                    sentence = say(
                        "surveys.difference",
                        group=group,
                        label=label,
                        share=cell["share"],
                        everyone=everyone,
                        gap=f"{'+' if gap >= 0 else ''}{gap:.1f}",
                        question=q["text"],
                    )
                    found.append((abs(gap), sentence))
    return sorted(found, key=lambda x: -x[0])[:DIFFS]


def _counts_lines(
    counts: Mapping[str, Any],
    week: Mapping[str, int | Cell],
    total: Mapping[str, int | Cell],
    channel_names: Mapping[str, str],
) -> list[str]:
    """This week's and all responses, completion, and each answer channel."""
    rate = counts["completion_rate"]
    channels = listed(
        say("surveys.channel", name=channel_names[ch], week=n(week[ch]), total=n(total[ch]))
        for ch in counts["by_channel"]
    )
    return [
        say("surveys.week", finished=n(counts["finished"]), started=n(counts["started"])),
        say("surveys.total", total=n(counts["total"]))
        + (say("surveys.completion", rate=rate) if rate is not None else ""),
        say("surveys.channels", channels=channels),
    ]


def surveys(inp: Inputs) -> Section | list[Section]:
    """Each survey open during the week: responses, completion, results, differences, words."""
    from handlers import charts
    from handlers import survey_results as results

    s, p = inp.session, inp.period
    open_now = digest_counts.surveys_open_between(s, p.start, p.end)
    if not open_now:
        return Section("surveys", say("surveys.title"), lines=[say("surveys.none")])
    sections = []
    shorts = []
    pop = population.load(s)
    for survey in open_now:
        counts = results.responses_between(s, survey.id, p.start, p.end, inp.tz.key)
        res = results.survey_results(s, survey.id, top_words=WORDS, words=inp.words)
        inp.numbers[f"survey.{survey.id}"] = counts
        # the privacy rule (handlers/privacy.py): small channel counts hidden when anonymous
        week = privacy.hide_small(
            {ch: c["week"] for ch, c in counts["by_channel"].items()}, survey.anonymous
        )
        total = privacy.hide_small(
            {ch: c["total"] for ch, c in counts["by_channel"].items()}, survey.anonymous
        )
        lines = _counts_lines(counts, week, total, results.CHANNEL_NAMES)
        if any(privacy.is_hidden(v) for v in (*week.values(), *total.values())):
            lines.append(privacy.NOTE)
        heads = [h for q in res["questions"] if (h := _headline(q))]
        if heads:
            lines.append(say("surveys.results"))
            lines.extend(say("bullet", text=h) for h in heads[:4])
        diffs = _differences(res, ("age_band", "district"))
        inp.numbers[f"survey.{survey.id}.differences"] = [d for _g, d in diffs]
        if diffs:
            lines.append(say("surveys.differences"))
            lines.extend(say("bullet", text=d) for _g, d in diffs)
        for q in res["questions"]:
            if q["type"] == "text" and q.get("words"):
                top = listed(say("surveys.word", word=w, count=c) for w, c in q["words"][:WORDS])
                lines.append(say("surveys.words", question=q["text"], words=top))
        made = []
        first = next(
            (q for q in res["questions"] if q["type"] == "single" and q.get("answered")), None
        )
        if first:
            made.append(
                Chart(
                    f"survey-{survey.id}@machikoe",
                    first["text"],
                    charts.hbar(
                        f"{survey.title}: {first['text']}"[:60],
                        [c["label"] for c in first["choices"]],
                        [(c["share"] or 0) / 100 for c in first["choices"]],
                        note=say("surveys.answered", n=n(first["answered"])),
                    ),
                )
            )
        title = say("surveys.survey", title=survey.title)
        sections.append(Section(f"survey-{survey.id}", title, lines=lines, charts=made))
        if pop is not None:
            min_age = (survey.definition.get("eligibility") or {}).get("min_age")
            cov = population.coverage(
                pop,
                respondent_groups(s, survey.id),
                inp.town,
                survey.id,
                skip_bands=population.bands_below(inp.town.age_bands, min_age),
            )
            key, title = f"coverage-{survey.id}", say("surveys.coverage", title=survey.title)
            sections.append(coverage_section(inp, cov, key, title, survey.anonymous))
        shorts.append(
            say(
                "surveys.short",
                title=survey.title,
                week=n(counts["finished"]),
                total=n(counts["total"]),
            )
        )
    head = Section("surveys", say("surveys.title"), short=listed(shorts))
    head.lines = [say("surveys.open", n=len(open_now))]
    return [head, *sections]
