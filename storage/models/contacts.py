"""The contact log: each call, visit or letter staff made about a ticket, and what came of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.staff import Staff

# How staff reached (or tried to reach) the resident.
CONTACT_METHODS = ("phone", "visit", "letter")
# What came of it.
CONTACT_OUTCOMES = ("reached", "no_answer", "message_left", "not_home", "sent", "other")


class TicketContact(Base):
    """One contact with the resident about a ticket, as the staff member recorded it."""

    __tablename__ = "ticket_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    method: Mapped[str] = mapped_column(String(12))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # When the contact happened (staff may log a call after it ended).
    contacted_at: Mapped[datetime]
    # The start (in the town's time) of the day the next step is due, if one was set.
    next_action_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    staff: Mapped[Staff | None] = relationship()
