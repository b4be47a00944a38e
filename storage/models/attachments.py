"""Attachments: the photos and files a resident sent into a ticket's thread, kept here.

LINE keeps message content only for a while, so the bot fetches it soon after it arrives and
stores the bytes; the console shows them from here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

# pending: not fetched yet (or to be tried again); stored: the bytes are here; failed: given up.
ATTACHMENT_STATUSES = ("pending", "stored", "failed")


class TicketAttachment(Base):
    """One photo, video, audio clip or file of a resident's thread entry."""

    __tablename__ = "ticket_attachments"
    __table_args__ = (Index("ix_ticket_attachments_due", "status", "next_try_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_message_id: Mapped[int] = mapped_column(ForeignKey("ticket_messages.id"), index=True)
    # What LINE serves the content under; an unsend names it too.
    line_message_id: Mapped[str] = mapped_column(String(40), index=True)
    # image, video, audio, file: as LINE sent it.
    kind: Mapped[str] = mapped_column(String(12))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None]
    # Loaded only when asked for: the thread lists attachments without their bytes.
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # Not fetched again before this: a claimed row is leased, a failed try waits a little.
    next_try_at: Mapped[datetime | None]
    fetched_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
