"""A ticket's thread as the resident writes into it: finding, reading and forgetting entries.

handlers/ticket_thread.py decides what a resident's message does to their ticket; the rows it reads
and deletes are found here.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage import attachments, tickets
from storage.models import Ticket, TicketMessage


def resident_ticket(session: Session, resident_id: int, reference: str) -> Ticket | None:
    """The resident's own ticket with this reference (never someone else's)."""
    return session.scalar(
        select(Ticket).where(Ticket.reference == reference, Ticket.resident_id == resident_id)
    )


def words_of(session: Session, ticket: Ticket, line_message_id: str) -> str | None:
    """What the resident wrote in the thread's entry from this LINE message, if it is there."""
    return session.scalar(
        select(TicketMessage.body).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.line_message_id == line_message_id,
        )
    )


def holds(session: Session, ticket: Ticket, line_message_id: str) -> bool:
    """Whether this LINE message is in the thread already (a redelivered event)."""
    found = session.scalar(
        select(TicketMessage.id).where(
            TicketMessage.ticket_id == ticket.id,
            TicketMessage.line_message_id == line_message_id,
        )
    )
    return found is not None


def last_word(session: Session, ticket: Ticket) -> TicketMessage | None:
    """The thread's last entry that someone wrote or was sent (internal notes aside)."""
    return session.scalars(
        select(TicketMessage)
        .where(TicketMessage.ticket_id == ticket.id, TicketMessage.author != "note")
        .order_by(TicketMessage.id.desc())
        .limit(1)
    ).first()


def forget(session: Session, resident_id: int, line_message_id: str) -> int:
    """An unsent LINE message is deleted from the resident's ticket threads too, with the
    photo or file kept from it and a phone number it gave; the number of entries deleted."""
    theirs = select(Ticket.id).where(Ticket.resident_id == resident_id)
    entries = list(
        session.scalars(
            select(TicketMessage.id).where(
                TicketMessage.line_message_id == line_message_id,
                TicketMessage.ticket_id.in_(theirs),
            )
        )
    )
    tickets.forget_phone(session, resident_id, line_message_id)
    if not entries:
        return 0
    attachments.delete_of_messages(session, entries)
    result = session.execute(delete(TicketMessage).where(TicketMessage.id.in_(entries)))
    return result.rowcount
