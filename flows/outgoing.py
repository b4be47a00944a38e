"""Pushing to someone in LINE from a step that is not their own turn: a supporter offered a
request, the person a supporter will help, a supporter just approved.

A person staff met by phone or at the desk has no LINE address, and one who blocked the
account cannot be reached there: nothing is queued for either (the coordinator calls them).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from flows.messages import Message
from storage import outbox
from storage.models import Resident


def reachable(person: Resident) -> bool:
    return bool(person.line_user_id) and person.following


def push(
    session: Session,
    person: Resident,
    messages: list[Message],
    now: datetime,
    *,
    quiet: bool = False,
) -> bool:
    """Queue `messages` for `person` in this transaction; False when they cannot be reached.

    `quiet` ones arrive without a sound (a weekly summary, never an alert)."""
    if not reachable(person):
        return False
    outbox.enqueue(session, to=str(person.line_user_id), messages=messages, now=now, quiet=quiet)
    return True
