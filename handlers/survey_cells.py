"""A count as a view may show it: `Cell`, the small-cell rule's one type (docs/surveys.md).

In anonymous surveys a count of respondents under SUPPRESS_BELOW is hidden. A hidden count is
a `Cell` that holds no number (`HIDDEN`, shown "<5"; `ALSO_HIDDEN`, shown "※", hides a count
that would reveal a "<5" by subtraction); a shown count stays an `int`. Views, exports and
charts ask `is_hidden(value)`, print `str(value)` / `f"{value:,}"`, and write `export(value)`
(a number, or the mark) or `to_json(value)`: none of them can get the hidden number back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

SUPPRESS_BELOW = 5  # the same K groups wait for in the anonymous pool (db/anonymous_pool.py)
MARK = "<5"
ALSO_MARK = "※"


@dataclass(frozen=True)
class Cell:
    """One count in a table: its number, or hidden (then `count` is None and `mark` shows)."""

    count: int | None
    suppressed: bool = False
    mark: str = MARK

    def __post_init__(self) -> None:
        if self.suppressed and self.count is not None:
            raise ValueError("a hidden cell keeps no count")
        if not self.suppressed and self.count is None:
            raise ValueError("a shown cell needs its count")

    @classmethod
    def of(cls, value: int | Cell) -> Cell:
        """Any count as shown (an int or a Cell) as a Cell."""
        return value if isinstance(value, Cell) else cls(int(value))

    def __str__(self) -> str:
        return self.mark if self.suppressed else str(self.count)

    def __format__(self, spec: str) -> str:
        if not self.suppressed:
            return format(self.count, spec)
        try:  # padded as text would be ("6", ">5"); number-only specs (",") give the mark
            return format(self.mark, spec)
        except ValueError:
            return self.mark

    def export(self) -> int | str:
        """What a spreadsheet or CSV cell holds: the number, or the mark."""
        return self.mark if self.suppressed else int(self.count or 0)


HIDDEN = Cell(None, True)
ALSO_HIDDEN = Cell(None, True, ALSO_MARK)


def cell(n: int, hide: bool) -> int | Cell:
    """A count as shown: HIDDEN when `hide` (an anonymous survey) and under 5."""
    return HIDDEN if hide and n < SUPPRESS_BELOW else n


def is_hidden(value: Any) -> TypeGuard[Cell]:
    """True for a hidden count (either mark)."""
    return isinstance(value, Cell) and value.suppressed


def number(value: int | Cell | None) -> int | None:
    """The count a view may use for arithmetic; None when hidden (or absent)."""
    if value is None or is_hidden(value):
        return None
    return value.count if isinstance(value, Cell) else int(value)


def export(value: int | Cell | None, hidden: Any = None) -> Any:
    """A count for a spreadsheet cell: the number; a hidden one as `hidden` (default: the mark)."""
    if is_hidden(value):
        return value.mark if hidden is None else hidden
    return number(value)


def to_json(value: Any) -> Any:
    """`json.dumps(..., default=to_json)`: a Cell as its number or its mark."""
    if isinstance(value, Cell):
        return value.export()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def share(n: int | Cell, total: int | Cell) -> float | None:
    """n as a percentage of total (one decimal); None when either is hidden or total is 0."""
    a, b = number(n), number(total)
    return round(100.0 * a / b, 1) if a is not None and b else None
