"""What every handler receives (Ctx) and returns (Outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from db.models import Resident
from handlers.town import Town

if TYPE_CHECKING:  # settings are built by bot/; handlers only read them
    from bot.config import Settings


@dataclass
class Ctx:
    """One event's world: the session (inside its transaction), the resident, the clock."""

    session: Session
    resident: Resident | None
    now: datetime
    settings: Settings
    town: Town
    lang: str = "ja"


@dataclass
class Outcome:
    """What to send after the transaction commits."""

    replies: list[Message] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)

    def add(self, *messages: Message) -> Outcome:
        """Append replies; returns self for chaining."""
        self.replies.extend(messages)
        return self
