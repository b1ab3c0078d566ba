"""The staff console at /admin/: a blueprint of server-rendered pages (Japanese UI).

Each area keeps its pages in its own module; importing them here attaches their routes.
"""

from __future__ import annotations

from bot.console import (  # noqa: F401  (attach routes)
    announcements,
    auth,
    dashboard,
    digest,
    docs,
    events,
    opinions,
    publishing,
    settings,
    staff,
    survey_builder,
    survey_invitations,
    survey_paper,
    survey_preview,
    survey_workbook,
    surveys,
)
from bot.console.base import bp

__all__ = ["bp"]
