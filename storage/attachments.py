"""Attachments of ticket threads: kept pending when a photo arrives, fetched later, then stored.

The fetch itself is an HTTP call to LINE, so it never runs inside a transaction: `claim_due`
leases a few rows in one short transaction, the caller fetches, and `store` or `missed` records
the result in another. A lease that is never settled (a killed worker) simply runs out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import TicketAttachment, TicketMessage

# What LINE keeps content for and we fetch; stickers and locations carry nothing to keep.
FETCHED_KINDS = ("image", "video", "audio", "file")
# Tries before an attachment is marked failed; the waits between them grow.
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(seconds=30)
# How long a claimed row is left to its fetcher before another may take it.
LEASE = timedelta(minutes=2)


def attach(session: Session, message: TicketMessage, now: datetime) -> list[TicketAttachment]:
    """Pending rows for the photos and files of a new thread entry, in the caller's transaction."""
    kept = [
        TicketAttachment(
            ticket_message_id=message.id,
            line_message_id=str(item["message_id"]),
            kind=item["type"],
            status="pending",
            attempts=0,
            created_at=now,
        )
        for item in message.attachments or []
        if item.get("type") in FETCHED_KINDS and item.get("message_id")
    ]
    session.add_all(kept)
    return kept


def claim_due(session: Session, now: datetime, limit: int = 5) -> list[tuple[int, str]]:
    """Lease up to `limit` pending attachments; returns (id, LINE message id) to fetch."""
    rows = session.scalars(
        select(TicketAttachment)
        .where(
            TicketAttachment.status == "pending",
            (TicketAttachment.next_try_at.is_(None)) | (TicketAttachment.next_try_at <= now),
        )
        .order_by(TicketAttachment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        row.attempts += 1
        row.next_try_at = now + LEASE
    return [(row.id, row.line_message_id) for row in rows]


def store(
    session: Session, attachment_id: int, content: bytes, content_type: str, now: datetime
) -> None:
    row = session.get(TicketAttachment, attachment_id)
    if row is None or row.status != "pending":
        return  # unsent while it was being fetched: nothing to keep
    row.content = content
    row.content_type = content_type[:100]
    row.size = len(content)
    row.status = "stored"
    row.fetched_at = now
    row.next_try_at = None


def missed(session: Session, attachment_id: int, now: datetime) -> None:
    """A fetch that got nothing: tried again later, or given up after MAX_ATTEMPTS."""
    row = session.get(TicketAttachment, attachment_id)
    if row is None or row.status != "pending":
        return
    if row.attempts >= MAX_ATTEMPTS:
        row.status = "failed"
        row.next_try_at = None
    else:
        row.next_try_at = now + RETRY_AFTER * row.attempts


def of_messages(session: Session, message_ids: Iterable[int]) -> dict[int, list[TicketAttachment]]:
    """Each thread entry's attachments, without loading their bytes."""
    found: dict[int, list[TicketAttachment]] = {}
    ids = list(message_ids)
    if not ids:
        return found
    rows = session.scalars(
        select(TicketAttachment)
        .where(TicketAttachment.ticket_message_id.in_(ids))
        .order_by(TicketAttachment.id)
    )
    for row in rows:
        found.setdefault(row.ticket_message_id, []).append(row)
    return found


def stored_of_ticket(
    session: Session, ticket_id: int, attachment_id: int
) -> TicketAttachment | None:
    """The attachment if it is stored and was sent in this ticket's thread, else None."""
    return session.scalar(
        select(TicketAttachment)
        .join(TicketMessage, TicketMessage.id == TicketAttachment.ticket_message_id)
        .where(
            TicketAttachment.id == attachment_id,
            TicketMessage.ticket_id == ticket_id,
            TicketAttachment.status == "stored",
        )
    )


def delete_of_messages(session: Session, message_ids: Sequence[Any]) -> int:
    """Attachments (bytes included) of thread entries about to be deleted."""
    result = session.execute(
        delete(TicketAttachment).where(TicketAttachment.ticket_message_id.in_(message_ids))
    )
    return result.rowcount
