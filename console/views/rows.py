"""Tickets as the pages show them: plain values computed inside the transaction.

Templates get these rather than ORM objects, so nothing lazy-loads after the session closed
and every word is already in the staff member's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import url_for

from console import labels
from console.i18n import _, duration, local_time
from storage import casework
from storage.models import Ticket


@dataclass(frozen=True)
class Deadline:
    """Time left before the SLA: text that says it in words (never colour alone) and a state."""

    text: str
    # none, ok, soon (within the warning time), overdue
    state: str

    @classmethod
    def of(cls, ticket: Ticket, now: datetime, warn_before: timedelta) -> Deadline:
        left = casework.time_left(ticket, now) if ticket.is_open else None
        if left is None:
            return cls("", "none")
        if left <= timedelta(0):
            return cls(_("Overdue by {time}", time=duration(-left)), "overdue")
        state = "soon" if left <= warn_before else "ok"
        # Rounded up: with 44 minutes 59 seconds left, people say "45 minutes left".
        rounded_up = timedelta(minutes=-(-left.total_seconds() // 60))
        return cls(_("{time} left", time=duration(rounded_up)), state)


@dataclass(frozen=True)
class Row:
    reference: str
    url: str
    urgency: str
    urgency_label: str
    kind_label: str
    categories: str
    district: str
    resident: str
    status: str
    status_label: str
    assignee: str
    created: str
    deadline: Deadline
    can_claim: bool

    @classmethod
    def of(cls, ticket: Ticket, now: datetime, warn_before: timedelta) -> Row:
        return cls(
            reference=ticket.reference,
            url=url_for("console.ticket_page", reference=ticket.reference),
            urgency=ticket.urgency,
            urgency_label=labels.label(labels.URGENCY_NAMES, ticket.urgency),
            kind_label=labels.label(labels.KINDS, ticket.kind),
            categories=labels.labels(labels.CATEGORIES, ticket.categories),
            district=ticket.district.name if ticket.district else "",
            resident=resident_name(ticket),
            status=ticket.status,
            status_label=labels.label(labels.STATUS_NAMES, ticket.status),
            assignee=ticket.assignee.name if ticket.assignee else "",
            created=local_time(ticket.created_at),
            deadline=Deadline.of(ticket, now, warn_before),
            can_claim=ticket.assignee_id is None and ticket.is_open,
        )


def resident_name(ticket: Ticket) -> str:
    return ticket.resident.display_name or _("(no name)")
