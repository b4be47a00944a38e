"""The contact log of a ticket: each call, visit or letter, what came of it, and the day of the
next step, on which the ticket shows again in its queue as due (`follow_up_due`).

Every entry is audited; the first contact with the resident is the ticket's first response.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from locales import N_, start_of_town_day, town_date
from storage import audit
from storage.models import CONTACT_METHODS, CONTACT_OUTCOMES, Staff, Ticket, TicketContact
from storage.refusals import Refused

MAX_NOTE = 20_000
# A next step further out than this is a typo (2062 for 2026), not a plan.
MAX_DAYS_AHEAD = 366


def record(
    session: Session,
    staff: Staff,
    ticket: Ticket,
    *,
    method: str,
    outcome: str,
    now: datetime,
    note: str = "",
    next_action_on: date | None = None,
) -> TicketContact:
    """Log one contact on an open ticket. `next_action_on` (a day in the town) replaces the
    ticket's follow-up day; none clears it, since this contact was the step that was due."""
    if not ticket.is_open:
        raise Refused(N_("This ticket is closed; contacts are logged on open tickets only."))
    if method not in CONTACT_METHODS:
        raise Refused(N_("Choose how you contacted them."), field="method")
    if outcome not in CONTACT_OUTCOMES:
        raise Refused(N_("Choose what came of it."), field="outcome")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Refused(N_("The note is too long."), field="note")
    today = town_date(now)
    if next_action_on is not None and not today <= next_action_on:
        raise Refused(N_("The next step cannot be in the past."), field="next_action_on")
    if next_action_on is not None and (next_action_on - today).days > MAX_DAYS_AHEAD:
        raise Refused(N_("The next step is more than a year away."), field="next_action_on")
    follow_up = start_of_town_day(next_action_on) if next_action_on is not None else None
    entry = TicketContact(
        ticket_id=ticket.id,
        staff_id=staff.id,
        method=method,
        outcome=outcome,
        note=note,
        contacted_at=now,
        next_action_at=follow_up,
        created_at=now,
    )
    session.add(entry)
    ticket.follow_up_at = follow_up
    ticket.updated_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    session.flush()
    audit.record(
        session,
        "contact",
        now,
        staff=staff,
        ticket=ticket,
        detail={
            "method": method,
            "outcome": outcome,
            "follow_up": next_action_on.isoformat() if next_action_on else None,
        },
    )
    return entry


def of_ticket(session: Session, ticket: Ticket) -> list[TicketContact]:
    """The ticket's contact log, oldest first."""
    return list(
        session.scalars(
            select(TicketContact)
            .where(TicketContact.ticket_id == ticket.id)
            .order_by(TicketContact.contacted_at, TicketContact.id)
            .options(selectinload(TicketContact.staff))
        )
    )


def follow_up_due(ticket: Ticket, now: datetime) -> bool:
    """Whether the next step the contact log set is due: from the start of its day on."""
    return ticket.is_open and ticket.follow_up_at is not None and ticket.follow_up_at <= now


def due_of(tickets: Sequence[Ticket], now: datetime) -> list[Ticket]:
    """Those of `tickets` whose next step is due, the longest waiting first."""
    due = [ticket for ticket in tickets if follow_up_due(ticket, now)]
    return sorted(due, key=lambda ticket: (ticket.follow_up_at, ticket.id))
