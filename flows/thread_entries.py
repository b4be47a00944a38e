"""What a resident sends to their open ticket, added to its thread once.

Both the ticket's own thread (handlers/ticket_thread.py) and a flow that passes on what
answers none of its questions (flows/help_request.py) add a resident's message this way.
"""

from __future__ import annotations

from typing import Any

from flows.engine import Turn
from storage import thread, tickets
from storage.models import Ticket


def add_once(
    turn: Turn,
    ticket: Ticket,
    body: str,
    attachments: list[dict[str, Any]],
    message_id: str | None,
) -> bool:
    """Add the resident's message to the ticket's thread; False, adding nothing, if the
    thread holds this LINE message already: the safety check files a message's words before
    any flow or the thread sees it."""
    if message_id and thread.holds(turn.session, ticket, message_id):
        return False
    tickets.add_message(
        turn.session,
        ticket,
        author="resident",
        now=turn.now,
        body=body,
        attachments=attachments,
        line_message_id=message_id,
    )
    return True
