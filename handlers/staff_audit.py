"""The audit trail: who changed what, recorded in the caller's transaction, and read back a page
at a time for the console's audit page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import AuditLog
from db.staff import Staff


def audit(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditLog:
    """Record who changed what (in the caller's transaction)."""
    entry = AuditLog(actor=actor[:120], action=action[:64], target=target and target[:200])
    entry.detail = detail or {}
    if at is not None:
        entry.at = at
    session.add(entry)
    return entry


def audit_entries(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    action: str | None = None,
    area: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[AuditLog], int]:
    """A page of the audit log, newest first: one action code, or every code of an `area`
    (`staff` → `staff.role`, `staff.password.own`…), one `actor`, `since` ≤ at < `until`."""
    where = []
    if action:
        where.append(AuditLog.action == action)
    if area:
        where.append(AuditLog.action.startswith(f"{area}.", autoescape=True))
    if actor:
        where.append(AuditLog.actor == actor)
    if since is not None:
        where.append(AuditLog.at >= since)
    if until is not None:
        where.append(AuditLog.at < until)
    query = select(AuditLog).where(*where)
    count = select(func.count()).select_from(AuditLog).where(*where)
    rows = session.scalars(
        query.order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit).offset(offset)
    )
    return list(rows), session.execute(count).scalar_one()  # a count always has its row


def audit_choices(session: Session) -> tuple[list[str], list[str]]:
    """(actors, action codes) that appear in the audit log or are staff, for the filters."""
    actors = set(session.scalars(select(AuditLog.actor).distinct()))
    actors |= set(session.scalars(select(Staff.email)))
    actions = sorted(set(session.scalars(select(AuditLog.action).distinct())))
    return sorted(actors), actions
