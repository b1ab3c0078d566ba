"""Every kind of content file, in one list: `kind:` → its schema, key, checks and store.

Add a kind by defining `KIND = Kind(...)` in its area's module and naming it below; a name
listed twice is an error when this module is imported.
"""

from __future__ import annotations

from handlers import (
    content_town,
    event_content,
    named,
    plan_content,
    population,
    publishing,
    survey_content,
)
from handlers.content_documents import Kind


def by_name(*kinds: Kind) -> dict[str, Kind]:
    """The kinds keyed by name; a name may appear once."""
    return named.by_name("content kind", *kinds)


KINDS = by_name(
    content_town.KIND,  # town: name, districts, age bands, topics (applied first)
    population.KIND,  # population: residents by age band × district
    survey_content.KIND,  # survey: questions, eligibility, dates
    event_content.KIND,  # event: workshops and meetings
    plan_content.KPI,  # kpi: the plan's numeric targets
    plan_content.CONSULTATION,  # consultation: a public-comment period
    plan_content.TIMELINE,  # timeline: the plan-making steps
    publishing.PUBLICATION,  # publication: a survey's public results page
    publishing.REPORT,  # report: a workshop's public report
)
