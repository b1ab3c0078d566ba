"""One privacy rule for anonymous surveys, used by every view and export (docs/surveys.md).

- Every count of respondents under SUPPRESS_BELOW (5) is hidden ("<5"), in every table:
  cross-tabs (db.surveys), channel counts, representativeness, the digest. When a group's
  total is shown and exactly one non-zero count is hidden, the next smallest is hidden too,
  so the hidden one cannot be worked out by subtraction.
- Row-level answers of an anonymous survey (CSV, the 回答 sheet) only for ROW_LEVEL_ROLE and
  above, audited; rare combinations of age band × district × residency are coarsened
  (`coarsening`). Everyone else gets the aggregate workbook (集計 only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from db.survey_channels import CHANNELS
from db.surveys import SUPPRESS_BELOW, SUPPRESSED

ROW_LEVEL_ROLE = "editor"  # editors already key in paper sheets one by one
HIDDEN = "（非表示）"  # an attribute blanked in a row-level export
ALSO_HIDDEN = "※"  # hidden so that a "<5" next to it cannot be worked out by subtraction
NOTE = (
    f"匿名のアンケートのため、{SUPPRESS_BELOW}人未満の人数は「{SUPPRESSED}」と表示します。"
    f"「{ALSO_HIDDEN}」は、合計から5人未満の人数がわかってしまうため表示していない欄です。"
)
K = TypeVar("K")
REFUSED_ROWS = (
    "匿名のアンケートの回答一覧（1件ずつの回答）は、編集者・管理者だけがダウンロードできます。"
    "閲覧者の方は「集計表 Excel」をお使いください。"
)


def hide_small(counts: Mapping[K, int], hide: bool = True) -> dict[K, int | str]:
    """Counts with those under 5 as "<5" (and the next smallest as "※" when a lone hidden
    one could be worked out from the shown total); unchanged when `hide` is false (named)."""
    out: dict[K, int | str] = dict(counts)
    if not hide:
        return out
    small = [k for k, n in counts.items() if n < SUPPRESS_BELOW]
    for k in small:
        out[k] = SUPPRESSED
    if len(small) == 1 and counts[small[0]] > 0:
        shown = sorted((n, str(k), k) for k, n in counts.items() if k not in small)
        if shown:
            out[shown[0][2]] = ALSO_HIDDEN
    return out


@dataclass
class CoverageRow:
    """One row of the representativeness table as shown (counts may be "<5")."""

    axis: str
    group: str
    population: int
    count: int | str
    by_channel: dict[str, int | str]
    rate: float | None  # None when the count is hidden
    low: bool


def coverage_view(cov, anonymous: bool) -> dict:
    """The representativeness table with the rule applied (for the console and digest)."""
    low = {(r.axis, r.group) for r in cov.under_covered}
    counts = {}
    for axis in ("age", "district"):
        rows = {r.group: r.count for r in cov.rows if r.axis == axis}
        counts.update({(axis, g): n for g, n in hide_small(rows, anonymous).items()})
    rows = []
    for r in cov.rows:
        count = counts[(r.axis, r.group)]
        split = {ch: r.by_channel.get(ch, 0) for ch in CHANNELS}
        if isinstance(count, int):
            split = hide_small(split, anonymous)
        else:
            split = dict.fromkeys(split, ALSO_HIDDEN)
        rows.append(
            CoverageRow(
                r.axis,
                r.group,
                r.population,
                count,
                split,
                r.rate if isinstance(count, int) else None,
                (r.axis, r.group) in low,
            )
        )
    unknown: int | str = cov.unknown
    if anonymous and 0 < cov.unknown < SUPPRESS_BELOW:
        unknown = SUPPRESSED
    total: int | str = cov.total_count
    if cov.channel is not None:  # one channel's respondents: a count like any other
        total = shown(total, anonymous)
    return {
        "total_count": total,
        "total_population": cov.total_population,
        "rate": cov.rate if isinstance(total, int) else None,
        "rows": rows,
        "unknown": unknown,
        "note": NOTE if anonymous else "",
        "channels": hide_small({ch: cov.channels.get(ch, 0) for ch in CHANNELS}, anonymous),
        "channel": cov.channel,
    }


def coarsening(combos: Mapping[tuple, int]) -> dict[tuple, tuple]:
    """(age band, district, residency) → what a row-level export shows for it.

    A combination shared by 5 or more exported responses is shown as it is. The rest are
    pooled with the district hidden; pools still under 5 also hide the age band; what is
    still under 5 hides all three. Each shown combination is then shared by 5 or more rows
    (or shows nothing).
    """
    out: dict[tuple, tuple] = {}
    left = {}
    for key, n in combos.items():
        if n >= SUPPRESS_BELOW:
            out[key] = key
        else:
            left[key] = n
    for general in (
        lambda a, d, r: (a, HIDDEN, r),
        lambda a, d, r: (HIDDEN, HIDDEN, r),
    ):
        pools: dict[tuple, int] = {}
        for key, n in left.items():
            pools[general(*key)] = pools.get(general(*key), 0) + n
        still = {}
        for key, n in left.items():
            if pools[general(*key)] >= SUPPRESS_BELOW:
                out[key] = general(*key)
            else:
                still[key] = n
        left = still
    for key in left:
        out[key] = (HIDDEN, HIDDEN, HIDDEN)
    return out


def shown(value: int, anonymous: bool) -> int | str:
    """One count as shown: "<5" under 5 in an anonymous survey (0 stays 0 only when named)."""
    return SUPPRESSED if anonymous and value < SUPPRESS_BELOW else value


def may_download_rows(role: str | None, anonymous: bool) -> bool:
    """Whether a staff role may download row-level answers (named surveys: every role)."""
    from handlers.staff import role_at_least

    return not anonymous or role_at_least(role, ROW_LEVEL_ROLE)
