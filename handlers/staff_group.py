"""Taps in a team's staff LINE group: the 担当する button of an SLA alert claims the ticket.

The tapper is the staff member whose `Staff.line_user_id` is the LINE user who tapped; the
claim goes through storage.casework.claim like every other, so a tap and a click in the
console at the same moment still give the ticket to one person. Only the ticket's own team
group counts: a button forwarded elsewhere does nothing.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import locales
from flows import postback
from flows.messages import text
from locales import N_
from storage import casework, outbox, staff_accounts
from storage.models import Staff

if TYPE_CHECKING:
    from handlers.events import Context

log = logging.getLogger(__name__)

CLAIM_ACTION = "claim"


def handles(event: dict[str, Any]) -> bool:
    """A postback from a group whose data asks to claim a ticket."""
    source = event.get("source") or {}
    if event.get("type") != "postback" or source.get("type") != "group":
        return False
    data = postback.decode(str((event.get("postback") or {}).get("data", "")))
    return data.get("action") == CLAIM_ACTION and bool(data.get("ref"))


def handle(context: Context, event: dict[str, Any]) -> None:
    source = event["source"]
    group_id = str(source.get("groupId", ""))
    reference = postback.decode(str(event["postback"]["data"]))["ref"]
    staff = _staff_of(context, source.get("userId"))
    ticket = casework.get_visible(context.session, staff, reference) if staff else None
    if ticket is not None and ticket.team.line_group_id != group_id:
        log.info("a claim button tapped outside its team's group: ignored")
        return
    if staff is None:
        answer = N_(
            "Your LINE account is not linked to a staff account yet. "
            "Please ask an administrator, or take the ticket in the console."
        )
        _say(context, event, group_id, answer)
    elif ticket is None:
        _say(context, event, group_id, N_("There is no such ticket in your teams."))
    elif casework.claim(context.session, staff, ticket, context.now):
        _say(context, event, group_id, N_("{name} takes {reference}."), name=staff.name)
    elif ticket.assignee_id == staff.id:
        _say(context, event, group_id, N_("{reference} is already yours."))
    elif ticket.assignee is not None:
        _say(
            context,
            event,
            group_id,
            N_("{name} already took {reference}."),
            name=ticket.assignee.name,
        )
    else:
        _say(context, event, group_id, N_("{reference} is already closed or moved on."))


def _staff_of(context: Context, line_user_id: Any) -> Staff | None:
    if not isinstance(line_user_id, str) or not line_user_id:
        return None
    return staff_accounts.active_by_line_id(context.session, line_user_id)


def _say(
    context: Context, event: dict[str, Any], group_id: str, message: str, **params: Any
) -> None:
    reference = postback.decode(str(event["postback"]["data"]))["ref"]
    body = locales.gettext(locales.DEFAULT_LANGUAGE, message, reference=reference, **params)
    outbox.enqueue(
        context.session,
        to=group_id,
        messages=[text(body)],
        now=context.now,
        reply_token=event.get("replyToken"),
        reply_until=context.reply_until,
    )
