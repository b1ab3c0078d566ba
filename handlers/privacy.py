"""One privacy rule for anonymous surveys, used by every view and export (docs/surveys.md).

- Every count of respondents under SUPPRESS_BELOW (5) is hidden (a `Cell` shown "<5",
  handlers/survey_cells.py), in every table: cross-tabs (handlers/survey_report.py), channel
  counts, representativeness, the digest. When a group's total is shown and exactly one
  non-zero count is hidden, the next smallest is hidden too (`ALSO_HIDDEN`, shown "※"), so
  the hidden one cannot be worked out by subtraction.
- Row-level answers of an anonymous survey (CSV, the 回答 sheet) only for ROW_LEVEL_ROLE and
  above, audited; rare combinations of age band × district × residency are coarsened
  (`coarsening`). Everyone else gets the aggregate workbook (集計 only).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from db.survey_channels import CHANNELS
from handlers.survey_cells import ALSO_HIDDEN, SUPPRESS_BELOW, Cell, cell, is_hidden, number
from handlers.survey_cells import HIDDEN as HIDDEN_CELL
from messages import survey_staff

if TYPE_CHECKING:
    from handlers.population import Coverage

ROW_LEVEL_ROLE = "editor"  # editors already key in paper sheets one by one
HIDDEN = survey_staff.ATTRIBUTE_HIDDEN  # an attribute blanked in a row-level export
NOTE = survey_staff.word("privacy.note")
K = TypeVar("K")
Combo = tuple[str | None, str | None, str | None]  # (age band, district, residency)
REFUSED_ROWS = survey_staff.word("privacy.refused_rows")
__all__ = [
    "ALSO_HIDDEN",
    "HIDDEN",
    "NOTE",
    "REFUSED_ROWS",
    "SUPPRESS_BELOW",
    "Cell",
    "is_hidden",
]


def hide_small(counts: Mapping[K, int], hide: bool = True) -> dict[K, int | Cell]:
    """Counts with those under 5 hidden ("<5"; and the next smallest "※" when the hidden ones
    together could be worked out from the shown total as 1 to 4 people: a lone hidden count,
    or several that add up to under 5); unchanged when `hide` is false (named)."""
    out: dict[K, int | Cell] = dict(counts)
    if not hide:
        return out
    small = [k for k, n in counts.items() if n < SUPPRESS_BELOW]
    for k in small:
        out[k] = HIDDEN_CELL
    if 0 < sum(counts[k] for k in small) < SUPPRESS_BELOW:
        shown = sorted((n, str(k), k) for k, n in counts.items() if k not in small)
        if shown:
            out[shown[0][2]] = ALSO_HIDDEN
    return out


def protect(
    matrix: Mapping[Any, Mapping[Any, int | Cell]],
    margins: bool = True,
    *,
    also: Cell = HIDDEN_CELL,
    rows_hidden: Collection[Any] = (),
) -> dict[Any, dict[Any, int | Cell]]:
    """Rows × columns of counts with complementary suppression (docs/surveys.md).

    Every count under 5 is hidden ("<5", zero included), and every row of `rows_hidden` (a
    row whose total is hidden) in full. Each row's total is taken as shown, and with
    `margins` each column's too. Then, while a reader could work out, from those totals and
    the shown counts, either a hidden count of 1 to 4 (a line left with one hidden count,
    repeated as found counts fill in other lines) or that a line's still-unknown hidden
    counts hold 1 to 4 people between them, the smallest shown non-zero count of that line
    (else of a line crossing it at a hidden count, else of the table) is hidden too
    (`also`). A count already hidden on input is taken as 1 person."""
    cells = {(r, c): v for r, row in matrix.items() for c, v in row.items()}
    value = {k: 1 if (n := number(v)) is None else n for k, v in cells.items()}
    hidden = {k for k, v in cells.items() if is_hidden(v) or value[k] < SUPPRESS_BELOW}
    extra = {k for k in cells if k[0] in rows_hidden} - hidden
    hidden |= extra
    lines: list[list[tuple[Any, Any]]] = [[(r, c) for c in row] for r, row in matrix.items()]
    if margins:
        columns: dict[Any, list[tuple[Any, Any]]] = {}
        for r, c in cells:
            columns.setdefault(c, []).append((r, c))
        lines += list(columns.values())
    while leaks := _leaking(lines, value, hidden):
        line = leaks[0]
        # hide in the line; else in a line crossing it at a hidden count; else anywhere
        crossing = [k for other in lines if set(other) & set(line) & hidden for k in other]
        for pool in (line, crossing, list(cells)):
            shown = [k for k in pool if k not in hidden]
            if shown:
                chosen = min(shown, key=lambda k: (value[k] == 0, value[k], str(k)))
                hidden.add(chosen)
                extra.add(chosen)
                break
        else:
            break  # all hidden: only the margins are left
    out: dict[Any, dict[Any, int | Cell]] = {r: {} for r in matrix}
    for k, v in cells.items():
        out[k[0]][k[1]] = (also if k in extra else HIDDEN_CELL) if k in hidden else v
    return out


def _leaking(
    lines: list[list[tuple[Any, Any]]], value: Mapping[Any, int], hidden: set[Any]
) -> list[list[tuple[Any, Any]]]:
    """The lines (rows, columns with a shown total) through which 1 to 4 people can be
    singled out: one hidden count found from its line's total, or unknown ones adding up."""
    found: dict[Any, list[tuple[Any, Any]]] = {}  # a hidden count → the line that gives it
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [k for k in line if k in hidden and k not in found]
            if len(unknown) == 1:
                found[unknown[0]] = line
                progress = True
    out = [line for k, line in found.items() if 0 < value[k] < SUPPRESS_BELOW]
    for line in lines:  # a line all unknown holds only its total, which is shown anyway
        unknown_sum = sum(value[k] for k in line if k in hidden and k not in found)
        if 0 < unknown_sum < SUPPRESS_BELOW and unknown_sum < sum(value[k] for k in line):
            out.append(line)
    return out


@dataclass
class CoverageRow:
    """One row of the representativeness table as shown (counts may be hidden Cells)."""

    axis: str
    group: str
    population: int
    count: int | Cell
    by_channel: dict[str, int | Cell]
    rate: float | None  # None when the count is hidden
    low: bool


def coverage_view(cov: Coverage, anonymous: bool) -> dict[str, Any]:
    """The representativeness table with the rule applied (for the console and digest)."""
    low = {(r.axis, r.group) for r in cov.under_covered}
    counts: dict[tuple[str, str], int | Cell] = {}
    for axis in ("age", "district"):
        by_group = {r.group: r.count for r in cov.rows if r.axis == axis}
        counts.update({(axis, g): n for g, n in hide_small(by_group, anonymous).items()})
    # each axis's group × channel table has its totals shown on both sides (the group's count,
    # the respondents per channel): complementary suppression over rows and columns
    splits: dict[tuple[str, str], Mapping[str, int | Cell]] = {}
    for axis in ("age", "district"):
        matrix: dict[str, dict[str, int | Cell]] = {
            r.group: {ch: r.by_channel.get(ch, 0) for ch in CHANNELS}
            for r in cov.rows
            if r.axis == axis
        }
        if anonymous:
            small = [g for g in matrix if is_hidden(counts[(axis, g)])]
            matrix = protect(matrix, also=ALSO_HIDDEN, rows_hidden=small)
        splits.update({(axis, g): row for g, row in matrix.items()})
    rows: list[CoverageRow] = []
    for r in cov.rows:
        count = counts[(r.axis, r.group)]
        split = dict(splits[(r.axis, r.group)])
        rows.append(
            CoverageRow(
                r.axis,
                r.group,
                r.population,
                count,
                split,
                None if is_hidden(count) else r.rate,
                (r.axis, r.group) in low,
            )
        )
    unknown: int | Cell = cov.unknown
    if anonymous and 0 < cov.unknown < SUPPRESS_BELOW:
        unknown = HIDDEN_CELL
    total: int | Cell = cov.total_count
    if cov.channel is not None:  # one channel's respondents: a count like any other
        total = shown(cov.total_count, anonymous)
    return {
        "total_count": total,
        "total_population": cov.total_population,
        "rate": None if is_hidden(total) else cov.rate,
        "rows": rows,
        "unknown": unknown,
        "note": NOTE if anonymous else "",
        "channels": hide_small({ch: cov.channels.get(ch, 0) for ch in CHANNELS}, anonymous),
        "channel": cov.channel,
    }


def coarsening(combos: Mapping[Combo, int]) -> dict[Combo, Combo]:
    """(age band, district, residency) → what a row-level export shows for it.

    A combination shared by 5 or more exported responses is shown as it is. The rest are
    pooled with the district hidden; pools still under 5 also hide the age band; what is
    still under 5 hides all three. Each shown combination is then shared by 5 or more rows
    (or shows nothing).
    """
    out: dict[Combo, Combo] = {}
    left: dict[Combo, int] = {}
    for key, n in combos.items():
        if n >= SUPPRESS_BELOW:
            out[key] = key
        else:
            left[key] = n
    for general in (
        lambda a, d, r: (a, HIDDEN, r),
        lambda a, d, r: (HIDDEN, HIDDEN, r),
    ):
        pools: dict[Combo, int] = {}
        for key, n in left.items():
            pools[general(*key)] = pools.get(general(*key), 0) + n
        still: dict[Combo, int] = {}
        for key, n in left.items():
            if pools[general(*key)] >= SUPPRESS_BELOW:
                out[key] = general(*key)
            else:
                still[key] = n
        left = still
    for key in left:
        out[key] = (HIDDEN, HIDDEN, HIDDEN)
    return out


def shown(value: int, anonymous: bool) -> int | Cell:
    """One count as shown: hidden under 5 in an anonymous survey (0 stays 0 only when named)."""
    return cell(value, anonymous)


def may_download_rows(role: str | None, anonymous: bool) -> bool:
    """Whether a staff role may download row-level answers (named surveys: every role)."""
    from handlers.staff import role_at_least

    return not anonymous or role_at_least(role, ROW_LEVEL_ROLE)
