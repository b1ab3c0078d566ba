"""The RSVP flow's states (docs/flows/rsvp.mmd) and the `Turn` one tap takes through them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class R(StrEnum):
    """RSVP states (docs/flows/rsvp.mmd)."""

    CARDS = "cards"
    MINE = "mine"
    DETAILS = "details"
    ASK_MODE = "ask_mode"
    TAKE_SEAT = "take_seat"
    CONFIRMED = "confirmed"
    FULL = "full"
    CLOSED = "closed"
    ALREADY = "already"
    WAITLISTED = "waitlisted"
    ASK_SERIES_MODE = "ask_series_mode"
    SERIES_SUMMARY = "series_summary"
    CANCEL_ASK = "cancel_ask"
    CANCELLED = "cancelled"
    PROMOTED = "promoted"


@dataclass
class Turn:
    """One tap's way through the flow (lives for one event; nothing is stored)."""

    state: str
    flow: str = "rsvp"
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    history: list[str | dict[str, Any]] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
