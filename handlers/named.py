"""Tables keyed by name, built from one explicit list (content kinds, segment fields, jobs)."""

from __future__ import annotations

from typing import Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


def by_name(what: str, *items: T) -> dict[str, T]:
    """The items keyed by their name; a name listed twice raises ValueError."""
    out: dict[str, T] = {}
    for item in items:
        if item.name in out:
            raise ValueError(f"{what} {item.name!r} is registered twice")
        out[item.name] = item
    return out
