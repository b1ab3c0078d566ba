"""What the app holds for its whole life: settings, database, gateway, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings
from bot.line_gateway import LineGateway
from db.base import utcnow
from db.session import make_engine, make_session_factory


@dataclass
class AppState:
    """Shared by the webhook, the CLI and the clock; kept in app.extensions['machikoe']."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    gateway: LineGateway
    clock: Callable[[], datetime] = field(default=utcnow)

    def now(self) -> datetime:
        """The current time (a fixed clock in tests)."""
        return self.clock()


def build_state(settings: Settings) -> AppState:
    """Connect everything the settings describe."""
    engine = make_engine(settings.database_url)
    return AppState(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        gateway=LineGateway(settings),
    )
