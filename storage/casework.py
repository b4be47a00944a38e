"""Casework: what staff do with tickets — queues, claiming, replies, notes, hand-overs, closing.

Rules every function here keeps:
- A staff member sees only their teams' tickets (admins see all); a ticket outside them is
  None, so routes answer 404 and never reveal that it exists.
- Every change (and every view) writes an audit entry in the caller's transaction.
- Every assignment goes through `claim`, one conditional UPDATE, so two people (or the
  auto-assigner and a person) can never both get one ticket.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Select
from sqlalchemy.orm import Session

from storage.models import CannedResponse, Staff, Team, Ticket, TicketMessage

View = Literal["new", "mine", "waiting", "open"]
VIEWS: tuple[View, ...] = ("new", "mine", "waiting", "open")
DeliveryStatus = Literal["pending", "delivered", "failed"]


def is_admin(staff: Staff) -> bool:
    return staff.role == "admin"


def teams_of(staff: Staff) -> list[Team]:
    """The teams whose tickets `staff` sees: their own, or every team for an admin."""
    raise NotImplementedError


def visible_tickets(staff: Staff) -> Select[tuple[Ticket]]:
    """SELECT of the tickets `staff` may see; add filters to it, never remove this one."""
    raise NotImplementedError


def get_visible(session: Session, staff: Staff, reference: str) -> Ticket | None:
    """The ticket with this reference if `staff` may see it; None otherwise (→ 404)."""
    raise NotImplementedError


def queue(
    session: Session,
    staff: Staff,
    *,
    team_id: int | None,
    view: View,
    now: datetime,
    category: str | None = None,
    district_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """One queue of a team (all visible teams when team_id is None), most urgent first.

    new: unassigned; mine: open and assigned to `staff`; waiting: waiting on someone;
    open: every open ticket. Sorted by urgency (URGENCIES order), then SLA due time.
    `search` matches the reference or the resident's display name.
    """
    raise NotImplementedError


def queue_counts(session: Session, staff: Staff, team_id: int | None) -> dict[View, int]:
    """How many tickets each view holds, for the queue tabs."""
    raise NotImplementedError


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.is_open and ticket.sla_due_at is not None and ticket.sla_due_at <= now


def time_left(ticket: Ticket, now: datetime) -> timedelta | None:
    """Time until the SLA is due (negative when overdue); None without an SLA."""
    return None if ticket.sla_due_at is None else ticket.sla_due_at - now


def claim(session: Session, staff: Staff, ticket: Ticket, now: datetime) -> bool:
    """Take an unassigned new ticket; True for exactly one of any number of concurrent callers."""
    raise NotImplementedError


def claim_next(session: Session, staff: Staff, team_id: int, now: datetime) -> Ticket | None:
    """Take the most urgent unassigned ticket of the team; None when the queue is empty."""
    raise NotImplementedError


def auto_assign(session: Session, team: Team, now: datetime) -> list[Ticket]:
    """Hand the team's new tickets round-robin to members marked available, under the cap.

    Least recently assigned member first; someone at `team.max_open_per_staff` open tickets
    is skipped. Returns the tickets assigned.
    """
    raise NotImplementedError


def auto_assign_all(session: Session, now: datetime) -> list[Ticket]:
    """`auto_assign` for every team that has it switched on (the scheduler's sweep)."""
    raise NotImplementedError


def reply(
    session: Session, staff: Staff, ticket: Ticket, body: str, now: datetime
) -> TicketMessage:
    """Send `body` to the resident in LINE (by push through the outbox) and add it to the thread.

    ValueError with a reason for an empty or too long body, a closed ticket, or a resident who
    blocked the account. Records the first response; new/assigned becomes in_progress.
    """
    raise NotImplementedError


def delivery_status(session: Session, message: TicketMessage) -> DeliveryStatus | None:
    """Whether a staff reply reached the resident; None for entries that are not sent."""
    raise NotImplementedError


def note(session: Session, staff: Staff, ticket: Ticket, body: str, now: datetime) -> TicketMessage:
    """An internal note on the thread; it never reaches the resident."""
    raise NotImplementedError


def set_status(session: Session, staff: Staff, ticket: Ticket, status: str, now: datetime) -> None:
    """Move an open ticket to new/assigned/in_progress/waiting; closing uses close/refer."""
    raise NotImplementedError


def transfer(
    session: Session, staff: Staff, ticket: Ticket, team: Team, reason: str, now: datetime
) -> None:
    """Hand the ticket to another team's queue, unassigned, with a reason; the SLA is recomputed."""
    raise NotImplementedError


def refer(
    session: Session, staff: Staff, ticket: Ticket, agency: str, handed_over: str, now: datetime
) -> None:
    """つなぎ: the matter goes to an outside agency; which one and what was handed over."""
    raise NotImplementedError


def close(
    session: Session, staff: Staff, ticket: Ticket, outcome: str, note: str, now: datetime
) -> None:
    """Close with an outcome from OUTCOMES (the reports count them) and a short note."""
    raise NotImplementedError


def mark_viewed(
    session: Session, staff: Staff, ticket: Ticket, now: datetime, ip: str | None = None
) -> None:
    """Audit that `staff` opened the ticket."""
    raise NotImplementedError


def sla_warnings(session: Session, now: datetime, warn_before: timedelta) -> list[Ticket]:
    """Open tickets nearing their SLA not yet warned about; marks them warned (alert once)."""
    raise NotImplementedError


def canned_responses(session: Session, team: Team, language: str) -> list[CannedResponse]:
    raise NotImplementedError


def add_canned_response(
    session: Session,
    staff: Staff,
    team: Team,
    *,
    language: str,
    title: str,
    body: str,
    now: datetime,
) -> CannedResponse:
    raise NotImplementedError


def update_canned_response(
    session: Session,
    staff: Staff,
    canned: CannedResponse,
    *,
    title: str,
    body: str,
    now: datetime,
    language: str | None = None,
) -> None:
    raise NotImplementedError


def delete_canned_response(
    session: Session, staff: Staff, canned: CannedResponse, now: datetime
) -> None:
    raise NotImplementedError
