"""The audit log: every view and change of a ticket, by whom and when. Append-only."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEntry, Staff, Ticket


def record(
    session: Session,
    action: str,
    now: datetime,
    *,
    staff: Staff | None = None,
    ticket: Ticket | None = None,
    detail: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEntry:
    """Write one entry in the caller's transaction, so the log and the change land together.

    `detail` says what changed (statuses, team names, reasons), never what a resident wrote.
    """
    entry = AuditEntry(
        at=now,
        staff_id=staff.id if staff else None,
        action=action,
        ticket_id=ticket.id if ticket else None,
        detail=detail or {},
        ip=ip,
    )
    session.add(entry)
    return entry


def since(session: Session, action: str, at: datetime, *, ticket: Ticket) -> list[AuditEntry]:
    """The ticket's `action` entries from `at` on, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.ticket_id == ticket.id,
                AuditEntry.action == action,
                AuditEntry.at >= at,
            )
            .order_by(AuditEntry.id.desc())
        )
    )
