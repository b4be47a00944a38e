"""Tickets: opening one with its reference number, its thread, and finding a resident's open one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage import attachments as kept_attachments
from storage import audit, business_time
from storage.models import (
    OPEN_STATUSES,
    ReferenceCounter,
    Resident,
    Staff,
    Team,
    Ticket,
    TicketMessage,
)
from storage.sql import insert

# Reference prefixes per kind: C for consultations, W for watch-over, S for talk-to-a-person.
PREFIXES = {"consultation": "C", "safety": "C", "staff": "S", "watch": "W"}


def next_reference(session: Session, kind: str, now: datetime) -> str:
    """The next number for this kind and year, e.g. C-2026-000123; never reused, never doubled.

    The counter row is bumped with UPDATE … RETURNING, so two transactions serialise on it.
    """
    prefix = PREFIXES.get(kind, "C")
    year = now.year
    session.execute(
        insert(session, ReferenceCounter)
        .values(prefix=prefix, year=year, last=0)
        .on_conflict_do_nothing()
    )
    number = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    ).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def open_ticket(
    session: Session,
    *,
    resident: Resident,
    kind: str,
    team: Team,
    now: datetime,
    urgency: str = "anytime",
    categories: Iterable[str] = (),
    about: str | None = None,
    district_id: int | None = None,
    intake: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    sla_due_at: datetime | None = None,
) -> Ticket:
    """File a new ticket in `team`'s queue, in the caller's transaction."""
    ticket = Ticket(
        reference=next_reference(session, kind, now),
        kind=kind,
        resident_id=resident.id,
        about=about,
        categories=list(categories),
        district_id=district_id if district_id is not None else resident.district_id,
        urgency=urgency,
        intake=intake or {},
        contact=contact or {},
        team_id=team.id,
        status="new",
        referral={},
        created_at=now,
        updated_at=now,
        # Counted in the team's business hours, so a Friday-evening ticket is not overdue Monday.
        sla_due_at=sla_due_at or business_time.sla_due(team, urgency, now),
    )
    session.add(ticket)
    session.flush()
    audit.record(session, "open", now, ticket=ticket, detail={"kind": kind, "team": team.slug})
    return ticket


def open_ticket_of(session: Session, resident: Resident) -> Ticket | None:
    """The resident's open ticket their messages go to, the newest if several."""
    return session.scalar(
        select(Ticket)
        .where(Ticket.resident_id == resident.id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def add_message(
    session: Session,
    ticket: Ticket,
    *,
    author: str,
    now: datetime,
    body: str = "",
    staff: Staff | None = None,
    attachments: list[dict[str, Any]] | None = None,
    line_message_id: str | None = None,
    outbox_id: int | None = None,
) -> TicketMessage:
    """Append to the thread; `author` is resident, staff, bot, note or system."""
    message = TicketMessage(
        ticket_id=ticket.id,
        author=author,
        staff_id=staff.id if staff else None,
        body=body,
        attachments=attachments or [],
        line_message_id=line_message_id,
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(message)
    ticket.updated_at = now
    if any(item.get("type") in kept_attachments.FETCHED_KINDS for item in attachments or []):
        # Photos and files are fetched from LINE later; their rows wait for that here.
        session.flush()
        kept_attachments.attach(session, message, now)
    return message


def forget_phone(session: Session, resident_id: int, message_id: str) -> None:
    """The phone number a consultation filed goes when the message that gave it is unsent."""
    for ticket in session.scalars(select(Ticket).where(Ticket.resident_id == resident_id)):
        contact = dict(ticket.contact or {})
        if (contact.get("phone_given") or {}).get("id") == message_id:
            contact.pop("phone", None)
            contact.pop("phone_given", None)
            ticket.contact = contact
