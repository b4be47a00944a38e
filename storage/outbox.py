"""The outbox: messages written with the step that produced them, delivered later, exactly once."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, bindparam, cast, delete, exists, func, select, text, update
from sqlalchemy.orm import Session, aliased

from storage.models import OutboxMessage, OutboxMulticast, Resident, Team, TicketMessage
from storage.models.core import UNFOLLOWED

PENDING, SENT, DROPPED, FAILED = "pending", "sent", "dropped", "failed"
MAX_MESSAGES_PER_REQUEST = 5  # LINE's limit for reply, push and multicast
MAX_MULTICAST_RECIPIENTS = 500  # LINE's limit of people per multicast


def enqueue(
    session: Session,
    to: str,
    messages: list[dict[str, Any]],
    now: datetime,
    reply_token: str | None = None,
    reply_until: datetime | None = None,
    quiet: bool = False,
) -> list[OutboxMessage]:
    """Queue messages for one chat, five to a row; only the first row may use the reply token.

    `quiet` messages arrive without a sound or a banner (news that all is well).
    A resident staff met by phone or at the desk has no LINE address: nothing goes to nobody.
    """
    if not to:
        raise ValueError("a message needs a LINE user to go to")
    rows = []
    for start in range(0, len(messages), MAX_MESSAGES_PER_REQUEST):
        first = start == 0
        row = OutboxMessage(
            to=to,
            messages=messages[start : start + MAX_MESSAGES_PER_REQUEST],
            reply_token=reply_token if first else None,
            reply_until=reply_until if first and reply_token else None,
            reply_attempts=0,
            quiet=quiet,
            # Made now, not at send time, so every retry of this row carries the same key.
            retry_key=str(uuid.uuid4()),
            status=PENDING,
            attempts=0,
            available_at=now,
            created_at=now,
        )
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def alert_team(
    session: Session, team: Team, messages: list[dict[str, Any]], now: datetime
) -> list[OutboxMessage]:
    """Push to a team's LINE group, the one way staff hear of something in LINE; nothing for a
    team that has no group (its staff see it in the console)."""
    if not team.line_group_id:
        return []
    return enqueue(session, team.line_group_id, messages, now)


# The sender's statements, built once with bind parameters: it runs them on every pass, and
# building one costs about 0.1 ms of Python each time, more than SQLite takes to run it.
_earlier = aliased(OutboxMessage)
_CLAIM_DUE = (
    select(OutboxMessage)
    .where(
        OutboxMessage.status == PENDING,
        OutboxMessage.available_at <= bindparam("now"),
        (OutboxMessage.lease_until.is_(None)) | (OutboxMessage.lease_until < bindparam("now")),
        ~exists().where(
            _earlier.to == OutboxMessage.to,
            _earlier.status == PENDING,
            _earlier.id < OutboxMessage.id,
        ),
    )
    .order_by(OutboxMessage.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True, of=OutboxMessage)
)
_CLAIM_DUE_MULTICASTS = (
    select(OutboxMulticast)
    .where(
        OutboxMulticast.status == PENDING,
        OutboxMulticast.available_at <= bindparam("now"),
        (OutboxMulticast.lease_until.is_(None)) | (OutboxMulticast.lease_until < bindparam("now")),
    )
    .order_by(OutboxMulticast.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_NEXT_MULTICAST_AT = select(func.min(OutboxMulticast.available_at)).where(
    OutboxMulticast.status == PENDING, OutboxMulticast.available_at > bindparam("now")
)


def claim_due(
    session: Session, now: datetime, lease: timedelta, limit: int = 20, owner: str | None = None
) -> list[OutboxMessage]:
    """Lease the due rows that are first in their chat's queue, so each chat's messages keep order.

    At most one row per chat: the next waits until this one is settled, so rows of different
    chats may be sent at the same time and one chat's never overtake each other.
    A lease, not a held lock: the send is an HTTP call, and SQLite's single writer must not wait
    on it. A process killed mid-send leaves a lease that expires, or that the next process
    releases (`release_dead`); the retry key (push) or the same reply token (reply) keeps the
    second attempt from delivering twice.
    """
    rows = list(session.scalars(_CLAIM_DUE, {"now": now, "limit": limit}))
    for row in rows:
        row.lease_until = now + lease
        row.lease_owner = owner
    return rows


def by_id(session: Session, ids: list[int]) -> dict[int, OutboxMessage]:
    """The rows with these ids, in one query (a sender records a whole batch of answers)."""
    if not ids:
        return {}
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return {row.id: row for row in rows}


def release_dead(session: Session, is_dead: Callable[[str], bool]) -> int:
    """Free the rows leased by holders `is_dead` knows to be gone; returns how many."""
    released = 0
    for table in (OutboxMessage, OutboxMulticast):
        owners = session.scalars(
            select(table.lease_owner)
            .where(table.status == PENDING, table.lease_owner.is_not(None))
            .distinct()
        ).all()
        dead = [owner for owner in owners if owner and is_dead(owner)]
        if dead:
            result = session.execute(
                update(table)
                .where(table.status == PENDING, table.lease_owner.in_(dead))
                .values(lease_until=None, lease_owner=None)
            )
            released += result.rowcount
    return released


def settle(
    row: OutboxMessage, status: str, now: datetime, via: str | None = None, error: str | None = None
) -> None:
    row.status = status
    _unlease(row)
    row.via = via or row.via
    row.last_error = error
    if status == SENT:
        row.sent_at = now


def back_off(
    row: OutboxMessage | OutboxMulticast, now: datetime, delay: timedelta, error: str
) -> None:
    """Try again after `delay`; a push and a multicast back off alike."""
    row.attempts += 1
    row.available_at = now + delay
    _unlease(row)
    row.last_error = error


def enqueue_multicast(
    session: Session,
    recipients: list[str],
    messages: list[dict[str, Any]],
    now: datetime,
    send_at: datetime | None = None,
) -> OutboxMulticast:
    """Queue the same messages for up to 500 people, as one multicast with its own retry key,
    to go at `send_at` (at once if None)."""
    if not 0 < len(recipients) <= MAX_MULTICAST_RECIPIENTS:
        raise ValueError(f"a multicast goes to 1 to {MAX_MULTICAST_RECIPIENTS} people")
    if len(messages) > MAX_MESSAGES_PER_REQUEST:
        raise ValueError(f"a multicast carries at most {MAX_MESSAGES_PER_REQUEST} messages")
    row = OutboxMulticast(
        recipients=list(recipients),
        messages=messages,
        retry_key=str(uuid.uuid4()),
        status=PENDING,
        attempts=0,
        available_at=max(now, send_at or now),
        created_at=now,
    )
    session.add(row)
    return row


def withdraw_from_multicasts(session: Session, user: str, send_at: datetime) -> int:
    """Take `user` off the multicasts still waiting to go at `send_at` (a check-in made ahead
    for someone who paused in the meantime); a row left with nobody is deleted. Returns how
    many rows held them.

    Rows are found by their time and by a match on the JSON text: at most a few hundred wait
    for any one minute, and a withdrawal is rare.
    """
    rows = session.scalars(
        select(OutboxMulticast)
        .where(
            OutboxMulticast.status == PENDING,
            OutboxMulticast.available_at == send_at,
            # Not one the sender holds (a withdrawal at the very second it goes).
            OutboxMulticast.lease_until.is_(None),
            cast(OutboxMulticast.recipients, String).contains(f'"{user}"'),
        )
        .with_for_update()
    ).all()
    for row in rows:
        left = [recipient for recipient in row.recipients if recipient != user]
        if left:
            row.recipients = left
        else:
            session.delete(row)
    return len(rows)


def next_multicast_at(session: Session, now: datetime) -> datetime | None:
    """When the next multicast waiting for its time may go (the sender sleeps until then)."""
    return session.scalar(_NEXT_MULTICAST_AT, {"now": now})


def claim_due_multicasts(
    session: Session, now: datetime, lease: timedelta, limit: int = 20, owner: str | None = None
) -> list[OutboxMulticast]:
    """Lease due multicast rows, oldest first; the same lease rule as `claim_due`."""
    rows = list(session.scalars(_CLAIM_DUE_MULTICASTS, {"now": now, "limit": limit}))
    for row in rows:
        row.lease_until = now + lease
        row.lease_owner = owner
    return rows


def unfollowed(session: Session, users: Iterable[str]) -> set[str]:
    """Those of `users` known to have blocked the account: one query for a whole turn's
    multicasts (50,000 people), over an index that holds only the few who unfollowed."""
    wanted = set(users)
    if not wanted:
        return set()
    blocked = session.scalars(select(Resident.line_user_id).where(text(UNFOLLOWED)))
    return wanted.intersection(blocked)


def settle_multicast(
    row: OutboxMulticast, status: str, now: datetime, error: str | None = None
) -> None:
    row.status = status
    _unlease(row)
    row.last_error = error
    if status == SENT:
        row.sent_at = now


def _unlease(row: OutboxMessage | OutboxMulticast) -> None:
    row.lease_until = None
    row.lease_owner = None


# Taking a resident's words back out of what was sent to them (an unsend, a forgotten draft).

# A copy may be cut short: the first characters of a line stand for the line.
HEAD = 12
# Lines shorter than this say too little to look for (a lone 「。」 or 「a」).
SHORTEST = 2
ELLIPSIS = "…"


def withdraw_repeating(
    session: Session,
    to: str,
    words: Iterable[str],
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Blank every row for `to` (made between `since` and `until`) that repeats any of `words`
    — a summary quoting the worry and phone number, a question quoting what was typed; a row
    not yet sent is dropped with it. Returns how many rows.

    Whole rows, not just the words: a summary that quoted an unsent worry also holds the rest.
    """
    wanted = [word for word in words if word and word.strip()]
    if not wanted:
        return 0
    query = select(OutboxMessage).where(OutboxMessage.to == to)
    if since is not None:
        query = query.where(OutboxMessage.created_at >= since)
    if until is not None:
        query = query.where(OutboxMessage.created_at <= until)
    blanked = 0
    # Locked, so a sender neither leases these rows meanwhile nor settles one as sent after.
    for row in session.scalars(query.order_by(OutboxMessage.id).with_for_update()):
        if row.messages and repeats(row.messages, wanted):
            blank(row)
            blanked += 1
    return blanked


def blank(row: OutboxMessage) -> None:
    """Forget what a row says; one still waiting is dropped (the sender skips it, even mid-call)."""
    row.messages = []
    row.reply_token = None
    if row.status == PENDING:
        row.status = DROPPED
        row.last_error = "withdrawn"
        _unlease(row)


def repeats(messages: Any, words: Iterable[str]) -> bool:
    """Whether any text in `messages` (message values, cards included) repeats any line of
    `words`, whole or cut short: its first characters, or its start followed by an ellipsis."""
    said = "\n".join(_texts(messages))
    for word in words:
        for line in word.splitlines():
            line = line.strip()
            if len(line) < SHORTEST:
                continue
            if line[:HEAD] in said:
                return True
            if any(line[:cut] + ELLIPSIS in said for cut in range(SHORTEST, HEAD)):
                return True
    return False


def _texts(node: Any) -> Iterator[str]:
    """Every string inside a message object (texts, alt texts, labels), depth first."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def forget_chat(session: Session, user: str) -> int:
    """Everything queued or kept for one person: their rows, and their place in multicasts
    (a multicast left with nobody goes). Returns how many rows held them."""
    rows = list(session.scalars(select(OutboxMessage.id).where(OutboxMessage.to == user)))
    if rows:
        # A staff reply's thread entry forgets its row (and with it the delivered mark).
        session.execute(
            update(TicketMessage).where(TicketMessage.outbox_id.in_(rows)).values(outbox_id=None)
        )
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(rows)))
    multicasts = session.scalars(
        select(OutboxMulticast)
        .where(cast(OutboxMulticast.recipients, String).contains(f'"{user}"'))
        .with_for_update()
    ).all()
    for row in multicasts:
        left = [recipient for recipient in row.recipients if recipient != user]
        if left:
            row.recipients = left
        else:
            session.delete(row)
    return len(rows) + len(multicasts)
