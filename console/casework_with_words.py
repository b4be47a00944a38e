"""Casework the staff do that the resident hears about, with the words they hear.

The views and the JSON API both come here, so a reply always carries who is writing, and a
resident is always told, in their language, when their ticket moves to another team, is
passed to an outside agency, or is closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from locales import ticket_words
from storage import casework
from storage.models import Staff, Team, Ticket, TicketMessage


def reply(
    session: Session, staff: Staff, ticket: Ticket, body: str, now: datetime
) -> TicketMessage:
    header = ticket_words.staff_header(_language(ticket), staff.name, ticket.reference)
    return casework.reply(session, staff, ticket, body, now, header=header)


def transfer(
    session: Session, staff: Staff, ticket: Ticket, team: Team, reason: str, now: datetime
) -> None:
    casework.transfer(session, staff, ticket, team, reason, now)
    words = ticket_words.transferred(_language(ticket), team.name, ticket.reference)
    casework.tell_resident(session, ticket, words, now)


def refer(
    session: Session, staff: Staff, ticket: Ticket, agency: str, handed_over: str, now: datetime
) -> None:
    casework.refer(session, staff, ticket, agency, handed_over, now)
    words = ticket_words.referred(_language(ticket), agency.strip(), ticket.reference)
    casework.tell_resident(session, ticket, words, now)


def close(
    session: Session, staff: Staff, ticket: Ticket, outcome: str, note: str, now: datetime
) -> None:
    casework.close(session, staff, ticket, outcome, note, now)
    if outcome != "referred":  # a referral says so itself
        words = ticket_words.closed(_language(ticket), ticket.reference)
        casework.tell_resident(session, ticket, words, now)


def _language(ticket: Ticket) -> str:
    return ticket.resident.language
