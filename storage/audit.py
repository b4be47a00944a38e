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


def newest_first(
    session: Session,
    limit: int,
    *,
    staff_id: int | None = None,
    action: str | None = None,
    reference: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before_id: int | None = None,
) -> list[AuditEntry]:
    """Up to `limit` entries, newest first: by whom, of which action, about which ticket (its
    reference), at or after `since` and before `until`, and older than entry `before_id`."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if staff_id:
        query = query.where(AuditEntry.staff_id == staff_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if since:
        query = query.where(AuditEntry.at >= since)
    if until:
        query = query.where(AuditEntry.at < until)
    if before_id:
        query = query.where(AuditEntry.id < before_id)
    if reference:
        query = query.join(Ticket, Ticket.id == AuditEntry.ticket_id).where(
            Ticket.reference == reference
        )
    return list(session.scalars(query))


def actions_used(session: Session) -> list[str]:
    """Every action the log holds, sorted (the viewer's filter offers these)."""
    return sorted(session.scalars(select(AuditEntry.action).distinct()))


def ticket_references(session: Session, ticket_ids: set[int]) -> dict[int, str]:
    """The references of these tickets, by id (entries keep only the id)."""
    if not ticket_ids:
        return {}
    rows = session.execute(select(Ticket.id, Ticket.reference).where(Ticket.id.in_(ticket_ids)))
    return {ticket_id: reference for ticket_id, reference in rows}
