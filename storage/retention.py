"""How long each kind of record is kept, and the deletes that enforce it.

A council keeps a consultation's record for years and the machinery around it (a webhook
event, a sent message) for days: each kind has its own period (`Retention`, set from the
settings, defaults stated in the README). `expire(session, kind, …)` deletes one batch of a
kind's rows past its period; the scheduler's daily sweep calls it a batch per transaction,
so a year of rows going at once never holds SQLite's one write lock for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, delete, exists, func, select, update
from sqlalchemy.orm import Session

from storage import inbox, outbox
from storage.models import (
    OPEN_STATUSES,
    AuditEntry,
    CheckinRound,
    InboxEvent,
    OutboxMessage,
    OutboxMulticast,
    Ticket,
    TicketAttachment,
    TicketMessage,
)

# Rows deleted per transaction: a few milliseconds of SQLite's write lock each.
BATCH = 1000


@dataclass(frozen=True)
class Retention:
    """How long after its moment each kind of record is kept (README, "Retention")."""

    # A handled (or refused) webhook event, counted from when it was handled (or came): it
    # dedupes LINE's redeliveries and tells an unsend when the message came.
    inbox_events: timedelta = timedelta(days=7)
    # A sent, dropped or failed outbox row (a multicast too), counted from when it was made.
    # A staff reply's row stays while its ticket does (the console shows its delivered
    # mark), its copy of the words blanked.
    outbox: timedelta = timedelta(days=30)
    # A photo or file a resident sent, counted from when it arrived.
    attachments: timedelta = timedelta(days=365)
    # A resolved, referred or closed ticket with its thread, counted from when it ended.
    closed_tickets: timedelta = timedelta(days=5 * 365)
    # An audit log entry, counted from when it was written.
    audit: timedelta = timedelta(days=5 * 365)


KINDS = tuple(field.name for field in fields(Retention))


def expire(session: Session, kind: str, before: datetime, limit: int | None = None) -> int:
    """Delete about `limit` (BATCH) rows of `kind` whose period ended before `before`; how many
    went (0: none are left)."""
    return _EXPIRE[kind](session, before, limit or BATCH)


def _inbox_events(session: Session, before: datetime, limit: int) -> int:
    # Handled ones, and any the webhook refused (kept without content, never handled); not
    # those waiting, nor those parked for an operator.
    finished = InboxEvent.status.not_in((inbox.PENDING, inbox.PARKED))
    since = func.coalesce(InboxEvent.handled_at, InboxEvent.received_at)
    ids = _ids(session, select(InboxEvent.id).where(finished, since < before), limit)
    return _delete(session, InboxEvent, ids)


def _outbox(session: Session, before: datetime, limit: int) -> int:
    replied = exists().where(TicketMessage.outbox_id == OutboxMessage.id)
    settled = (OutboxMessage.status != outbox.PENDING) & (OutboxMessage.created_at < before)
    ids = _ids(session, select(OutboxMessage.id).where(settled, ~replied), limit)
    gone = _delete(session, OutboxMessage, ids)
    # A staff reply's row keeps its delivered mark and loses its copy of the words.
    blanked = _ids(
        session,
        select(OutboxMessage.id).where(
            settled, replied, cast(OutboxMessage.messages, String) != "[]"
        ),
        limit - len(ids),
    )
    if blanked:
        session.execute(
            update(OutboxMessage).where(OutboxMessage.id.in_(blanked)).values(messages=[])
        )
    multicasts = _ids(
        session,
        select(OutboxMulticast.id).where(
            OutboxMulticast.status != outbox.PENDING, OutboxMulticast.created_at < before
        ),
        limit - len(ids) - len(blanked),
    )
    return gone + len(blanked) + _delete(session, OutboxMulticast, multicasts)


def _attachments(session: Session, before: datetime, limit: int) -> int:
    ids = _ids(
        session, select(TicketAttachment.id).where(TicketAttachment.created_at < before), limit
    )
    return _delete(session, TicketAttachment, ids)


def _closed_tickets(session: Session, before: datetime, limit: int) -> int:
    ended = func.coalesce(Ticket.resolved_at, Ticket.updated_at)
    # A ticket takes its thread with it: a smaller batch of tickets keeps the rows per
    # transaction near `limit`.
    ids = _ids(
        session,
        select(Ticket.id).where(Ticket.status.not_in(OPEN_STATUSES), ended < before),
        max(1, limit // 20),
    )
    delete_tickets(session, ids)
    return len(ids)


def delete_tickets(session: Session, ids: list[int]) -> None:
    """Tickets with their threads and attachments; what only pointed at them forgets them."""
    if not ids:
        return
    entries = select(TicketMessage.id).where(TicketMessage.ticket_id.in_(ids))
    session.execute(delete(TicketAttachment).where(TicketAttachment.ticket_message_id.in_(entries)))
    session.execute(delete(TicketMessage).where(TicketMessage.ticket_id.in_(ids)))
    # The audit entries and check-in rounds outlive the ticket (their own periods), unlinked.
    session.execute(update(AuditEntry).where(AuditEntry.ticket_id.in_(ids)).values(ticket_id=None))
    session.execute(
        update(CheckinRound).where(CheckinRound.ticket_id.in_(ids)).values(ticket_id=None)
    )
    session.execute(delete(Ticket).where(Ticket.id.in_(ids)))


def _audit(session: Session, before: datetime, limit: int) -> int:
    ids = _ids(session, select(AuditEntry.id).where(AuditEntry.at < before), limit)
    return _delete(session, AuditEntry, ids)


def _ids(session: Session, query: Select[tuple[int]], limit: int) -> list[int]:
    if limit <= 0:
        return []
    return list(session.scalars(query.limit(limit)))


def _delete(session: Session, table: Any, ids: list[int]) -> int:
    if ids:
        session.execute(delete(table).where(table.id.in_(ids)))
    return len(ids)


_EXPIRE: dict[str, Callable[[Session, datetime, int], int]] = {
    "inbox_events": _inbox_events,
    "outbox": _outbox,
    "attachments": _attachments,
    "closed_tickets": _closed_tickets,
    "audit": _audit,
}
