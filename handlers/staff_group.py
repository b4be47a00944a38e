"""Taps in a team's staff LINE group: the 担当する button of an SLA alert claims the ticket.

The tapper is the staff member whose `Staff.line_user_id` is the LINE user who tapped; the
claim goes through storage.casework.claim like every other, so a tap and a click in the
console at the same moment still give the ticket to one person. Only the ticket's own team
group counts: a button forwarded elsewhere does nothing.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import TYPE_CHECKING, Any

import locales
from flows import postback
from flows.messages import text
from flows.postback import ClaimTicket
from locales import N_
from storage import casework, outbox, staff_accounts
from storage.models import Staff

if TYPE_CHECKING:
    from handlers.events import Context

log = logging.getLogger(__name__)


def claim_of(event: dict[str, Any]) -> ClaimTicket | None:
    """The claim a postback from a group asks for; None for any other event."""
    source = event.get("source") or {}
    if event.get("type") != "postback" or source.get("type") != "group":
        return None
    tapped = postback.parse(str((event.get("postback") or {}).get("data", "")))
    return tapped if isinstance(tapped, ClaimTicket) else None


def handle(context: Context, event: dict[str, Any], claim: ClaimTicket) -> None:
    source = event["source"]
    group_id = str(source.get("groupId", ""))
    say = partial(_say, context, event, group_id, reference=claim.reference)
    staff = _staff_of(context, source.get("userId"))
    ticket = casework.get_visible(context.session, staff, claim.reference) if staff else None
    if ticket is not None and ticket.team.line_group_id != group_id:
        log.info("a claim button tapped outside its team's group: ignored")
        return
    if staff is None:
        say(
            N_(
                "Your LINE account is not linked to a staff account yet. "
                "Please ask an administrator, or take the ticket in the console."
            )
        )
    elif ticket is None:
        say(N_("There is no such ticket in your teams."))
    elif casework.claim(context.session, staff, ticket, context.now):
        say(N_("{name} takes {reference}."), name=staff.name)
    elif ticket.assignee_id == staff.id:
        say(N_("{reference} is already yours."))
    elif ticket.assignee is not None:
        say(N_("{name} already took {reference}."), name=ticket.assignee.name)
    else:
        say(N_("{reference} is already closed or moved on."))


def _staff_of(context: Context, line_user_id: Any) -> Staff | None:
    if not isinstance(line_user_id, str) or not line_user_id:
        return None
    return staff_accounts.active_by_line_id(context.session, line_user_id)


def _say(
    context: Context, event: dict[str, Any], group_id: str, message: str, **params: Any
) -> None:
    body = locales.gettext(locales.DEFAULT_LANGUAGE, message, **params)
    outbox.enqueue(
        context.session,
        to=group_id,
        messages=[text(body)],
        now=context.now,
        reply_token=event.get("replyToken"),
        reply_until=context.reply_until,
    )
