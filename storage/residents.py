"""Residents and their conversation rows."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session

from storage import outbox
from storage.models import Consent, Conversation, Resident

# Built once: every event looks its sender up (building a statement costs more than SQLite
# takes to run this one).
_BY_LINE_ID = select(Resident).where(Resident.line_user_id == bindparam("line_user_id"))


# Where a transaction remembers the residents it has looked up by LINE id: the worker asks
# two or three times per event (does this sender need a profile, who is it, is it enrolled).
_FOUND = "madoguchi_residents_found"


@event.listens_for(Session, "after_soft_rollback")
def _forget_found(session: Session, _previous: Any) -> None:
    # A rolled-back step (a savepoint included) may have created or changed who was found.
    session.info.pop(_FOUND, None)


def find(session: Session, line_user_id: str) -> Resident | None:
    found: dict[str, Resident] = session.info.setdefault(_FOUND, {})
    resident = found.get(line_user_id)
    if resident is not None and _still(resident, line_user_id):
        return resident
    resident = session.scalar(_BY_LINE_ID, {"line_user_id": line_user_id})
    if resident is not None:
        found[line_user_id] = resident
    return resident


def _still(resident: Resident, line_user_id: str) -> bool:
    """A remembered resident the transaction has not since deleted or renamed (an erasure)."""
    state = inspect(resident)
    return state.persistent and resident.line_user_id == line_user_id


def by_id(session: Session, resident_id: int) -> Resident | None:
    return session.get(Resident, resident_id)


def latest_consent(session: Session, resident_id: int, purpose: str) -> Consent | None:
    """The resident's last answer to the consent notice for `purpose`, if they gave one."""
    return session.scalar(
        select(Consent)
        .where(Consent.resident_id == resident_id, Consent.purpose == purpose)
        .order_by(Consent.at.desc())
        .limit(1)
    )


def record_consent(
    session: Session, resident: Resident, purpose: str, version: str, given: bool, now: datetime
) -> Consent:
    """The resident's answer to the consent notice for `purpose` (kept, every answer: the
    latest counts, and the history shows when it changed)."""
    consent = Consent(
        resident_id=resident.id, purpose=purpose, version=version, given=given, at=now
    )
    session.add(consent)
    return consent


def get_or_create(
    session: Session,
    line_user_id: str,
    now: datetime,
    language: str = "ja",
    display_name: str | None = None,
) -> tuple[Resident, bool]:
    """The resident for a LINE user id, and whether it was just created."""
    resident = find(session, line_user_id)
    if resident is not None:
        return resident, False
    resident = Resident(
        line_user_id=line_user_id,
        display_name=display_name,
        language=language,
        following=True,
        followed_at=now,
        created_at=now,
    )
    session.add(resident)
    session.flush()
    return resident, True


def conversation_of(session: Session, resident: Resident, now: datetime) -> Conversation:
    conversation = session.get(Conversation, resident.id)
    if conversation is None:
        conversation = Conversation(resident_id=resident.id, data={}, updated_at=now)
        session.add(conversation)
        session.flush()
    return conversation


def forget_answers(session: Session, flow: str, left_before: datetime) -> int:
    """Clear the answers of `flow` conversations left before `left_before`; how many.

    What the bot said back while they were written goes too: a summary or a question quoting
    the words (storage.outbox.withdraw_repeating). The flow's name stays, so the resident's
    next message is still told that we start over.
    """
    left = (
        Conversation.flow == flow,
        Conversation.updated_at < left_before,
        Conversation.state.is_not(None),
    )
    drafts = session.execute(
        select(Resident.line_user_id, Conversation.data, Conversation.updated_at)
        .join(Resident, Resident.id == Conversation.resident_id)
        .where(*left)
    ).all()
    for line_user_id, data, updated_at in drafts:
        # Copies were made while the draft was written, so none after its last change.
        outbox.withdraw_repeating(session, line_user_id, typed_words(data), until=updated_at)
    return session.execute(
        update(Conversation)
        .where(*left)
        .values(state=None, data={})
        .execution_options(synchronize_session=False)
    ).rowcount


# Answers that are codes the flows chose (a district's slug, a button's value), not typed words.
_CODE = re.compile(r"[a-z][a-z0-9_]*")


def typed_words(data: Any) -> list[str]:
    """The strings in a flow's answers a resident may have typed (a worry, a phone number),
    leaving out codes, times and LINE's message ids."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key != "id":
                found += typed_words(value)
    elif isinstance(data, list):
        for item in data:
            found += typed_words(item)
    elif isinstance(data, str) and data.strip() and not _is_code(data):
        found.append(data)
    return found


def _is_code(value: str) -> bool:
    if _CODE.fullmatch(value):
        return True
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def is_following(session: Session, line_user_id: str) -> bool:
    """False only for a known resident who blocked the account; unknown chats are not ours to judge."""
    following = session.scalar(
        select(Resident.following).where(Resident.line_user_id == line_user_id)
    )
    return following is not False
