"""The running core: residents and their conversations, the inbox and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, false, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# Written out as SQL, the same in the index and in the query, so both databases use the index.
UNFOLLOWED = "following = false"


class Resident(Base):
    """Someone who follows the account: a resident or a family member."""

    __tablename__ = "residents"
    __table_args__ = (
        # The few who unfollowed, looked up for every multicast (storage/outbox.py).
        Index(
            "ix_residents_unfollowed",
            "line_user_id",
            postgresql_where=text(UNFOLLOWED),
            sqlite_where=text(UNFOLLOWED),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for someone staff met by phone or at the desk who is not on LINE: nothing is sent
    # to them (storage.outbox.enqueue refuses an empty address).
    line_user_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(16), default="ja")
    # Where they live, once a flow has asked; consultations and salon searches start from it.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    following: Mapped[bool] = mapped_column(default=True)
    followed_at: Mapped[datetime | None]
    unfollowed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Conversation(Base):
    """Where a resident is in a flow; one row per resident, the flow's answers in `data`."""

    __tablename__ = "conversations"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), primary_key=True)
    flow: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str | None] = mapped_column(String(60))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime]


class InboxEvent(Base):
    """A webhook event as LINE sent it, kept until handled; its webhookEventId dedupes it."""

    __tablename__ = "inbox_events"
    __table_args__ = (Index("ix_inbox_pending", "status", "source_key", "event_time"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_event_id: Mapped[str] = mapped_column(String(64), unique=True)
    source_key: Mapped[str] = mapped_column(String(80))
    event_type: Mapped[str] = mapped_column(String(40))
    message_id: Mapped[str | None] = mapped_column(String(40), index=True)
    payload: Mapped[dict[str, Any]]
    event_time: Mapped[datetime]
    received_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(200))
    handled_at: Mapped[datetime | None]


class SourceLock(Base):
    """One row per chat; a worker holds its row lock while it handles that chat's events."""

    __tablename__ = "source_locks"

    source_key: Mapped[str] = mapped_column(String(80), primary_key=True)


class OutboxMessage(Base):
    """Up to five messages for one chat, written in the step that produced them."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_due", "status", "available_at"),
        Index("ix_outbox_chat", "to", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(80))
    messages: Mapped[list[Any]]
    reply_token: Mapped[str | None] = mapped_column(String(200))
    reply_until: Mapped[datetime | None]
    reply_attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Sent without a sound or a banner (LINE's notificationDisabled): news that all is well.
    quiet: Mapped[bool] = mapped_column(default=False, server_default=false())
    retry_key: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    via: Mapped[str | None] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    # Which process holds the lease (`bot.owners`), so a restart can free a dead one's rows.
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
