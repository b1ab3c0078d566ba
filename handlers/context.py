"""What every handler receives (Ctx) and returns (Outcome)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from linebot.v3.messaging import Message
from sqlalchemy.orm import Session

from db.models import Conversation, Resident
from handlers.town import Town, load_town

if TYPE_CHECKING:  # settings are built by bot/; handlers only read them
    from bot.config import Settings


@dataclass
class Ctx:
    """One event's world: the session (inside its transaction), the resident, the clock."""

    session: Session
    resident: Resident | None
    now: datetime
    settings: Settings
    lang: str = "ja"
    conversations: dict[str, Conversation] | None = field(default=None, repr=False)
    _town: Town | None = field(default=None, repr=False)

    @property
    def town(self) -> Town:
        """The town's lists, read on first use (most events never need them)."""
        if self._town is None:
            self._town = load_town(self.session)
        return self._town


@dataclass
class Outcome:
    """What to send after the transaction commits."""

    replies: list[Message] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)

    def add(self, *messages: Message) -> Outcome:
        """Append replies; returns self for chaining."""
        self.replies.extend(messages)
        return self
