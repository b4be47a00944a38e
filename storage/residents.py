"""Residents and their conversation rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from storage.models import Conversation, Resident


def find(session: Session, line_user_id: str) -> Resident | None:
    return session.scalar(select(Resident).where(Resident.line_user_id == line_user_id))


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

    The flow's name stays, so the resident's next message is still told that we start over.
    """
    return session.execute(
        update(Conversation)
        .where(
            Conversation.flow == flow,
            Conversation.updated_at < left_before,
            Conversation.state.is_not(None),
        )
        .values(state=None, data={})
        .execution_options(synchronize_session=False)
    ).rowcount


def is_following(session: Session, line_user_id: str) -> bool:
    """False only for a known resident who blocked the account; unknown chats are not ours to judge."""
    following = session.scalar(
        select(Resident.following).where(Resident.line_user_id == line_user_id)
    )
    return following is not False
