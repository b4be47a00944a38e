"""The scheduler's casework round: auto-assignment, and alerts for tickets nearing their SLA.

A ticket nearing its due time is marked warned (the console shows its banner from that) and,
when its team has a staff LINE group, one push goes to the group with a "担当する" button. The
mark and the push are written in one transaction, so the alert goes out once, even with
several workers sweeping. The push names the ticket by its reference only: a LINE group is
no place for a resident's name or worry.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from babel.dates import format_timedelta
from sqlalchemy.orm import Session

import locales
from flows.messages import Button, Message, text
from flows.postback import ClaimTicket
from locales import N_
from storage import casework, outbox
from storage.models import Ticket

log = logging.getLogger(__name__)


def sweep(session: Session, now: datetime, warn_before: timedelta) -> int:
    """Assign what auto-assigning teams have waiting, then warn about tickets nearing their SLA.

    Returns how many tickets were assigned or warned about.
    """
    assigned = casework.auto_assign_all(session, now)
    warned = casework.sla_warnings(session, now, warn_before)
    for ticket in warned:
        outbox.alert_team(session, ticket.team, [alert(ticket, now)], now)
    if assigned or warned:
        log.info("auto-assigned %d tickets, SLA warnings for %d", len(assigned), len(warned))
    return len(assigned) + len(warned)


def alert(ticket: Ticket, now: datetime, language: str = locales.DEFAULT_LANGUAGE) -> Message:
    """The group message: which ticket, which team, how long is left, and a button to take it."""
    left = (ticket.sla_due_at or now) - now
    span = format_timedelta(
        abs(left) if abs(left) >= timedelta(minutes=1) else timedelta(minutes=1),
        granularity="minute",
        threshold=2,
        locale=language,
    )
    if language == "ja":
        span = span.replace(" ", "")  # Babel writes "45 分"; Japanese runs it together
    if left > timedelta(0):
        body = locales.gettext(
            language,
            N_("{reference} ({team}) is due in {time}."),
            reference=ticket.reference,
            team=ticket.team.name,
            time=span,
        )
    else:
        body = locales.gettext(
            language,
            N_("{reference} ({team}) is {time} past its due time."),
            reference=ticket.reference,
            team=ticket.team.name,
            time=span,
        )
    if ticket.assignee_id is not None:
        return text(body)
    take = Button(
        locales.gettext(language, N_("Take it")),
        ClaimTicket(ticket.reference),
    )
    return text(body, [take])
