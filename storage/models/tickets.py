"""Tickets: what a resident needs from a person, its thread, and the rules that route it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.core import Resident
from storage.models.staff import Staff, Team
from storage.models.town import District

# The life of a ticket. Open ones are everything before the last three.
STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "referred", "closed")
OPEN_STATUSES = ("new", "assigned", "in_progress", "waiting")
# Most urgent first; queues sort by this, then by SLA due time.
URGENCIES = ("emergency", "today", "soon", "anytime")
# How a closed ticket ended; the reports count these. "answered": a watch-over alarm the
# resident ended by answering (storage.casework.resolve_by_answer).
OUTCOMES = ("solved", "referred", "watching", "unreachable", "other", "answered")
# Where a ticket came in: LINE (the bot filed it), or staff opened it for a phone call, a visit
# to the desk (来所), a home visit (訪問) or a referral from a 民生委員.
CHANNELS = ("line", "phone", "desk", "home_visit", "minsei")


class Ticket(Base):
    """One matter for a team: a consultation, a request to talk, a watch-over alarm."""

    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_queue", "team_id", "status", "sla_due_at"),
        Index("ix_tickets_resident", "resident_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # C-2026-000123: what the resident and staff quote on the phone.
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    # consultation, staff (talk to a person), watch (a check-in round), safety (danger words).
    kind: Mapped[str] = mapped_column(String(20))
    # CHANNELS: how it reached the council.
    channel: Mapped[str] = mapped_column(String(12), default="line", server_default="line")
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    # self, family, neighbour — whom the worry is about.
    about: Mapped[str | None] = mapped_column(String(20))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    urgency: Mapped[str] = mapped_column(String(12), default="anytime")
    # The intake answers as the flow gathered them, for the readable summary.
    intake: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # How to reach them: {"method": "line"|"phone"|"visit", "phone": ..., "when": ...}.
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    status: Mapped[str] = mapped_column(String(12), default="new")
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    # つなぎ: {"agency": ..., "handed_over": ...} when referred to an outside agency.
    referral: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    sla_due_at: Mapped[datetime | None]
    # Set when the team was told the SLA is near, so the alert goes out once.
    sla_warned_at: Mapped[datetime | None]
    # The day (its start, town time) the contact log set for the next step; from then on the
    # ticket shows in its queue as due (storage.contacts).
    follow_up_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()
    team: Mapped[Team] = relationship()
    assignee: Mapped[Staff | None] = relationship()
    district: Mapped[District | None] = relationship()
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id"
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class TicketMessage(Base):
    """One entry of a ticket's thread: from the resident, a staff reply, the bot, or a note."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    # resident, staff, bot, note (internal: never reaches the resident), system (status changes).
    author: Mapped[str] = mapped_column(String(12))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    body: Mapped[str] = mapped_column(Text, default="")
    # Photos and files the resident sent: [{"type": "image", "message_id": ...}].
    attachments: Mapped[list[Any]] = mapped_column(default=list)
    # The LINE message id of a resident's message, so an unsend deletes it here too.
    line_message_id: Mapped[str | None] = mapped_column(String(40), index=True)
    # The outbox row carrying a staff reply, for its delivered / failed mark.
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"))
    created_at: Mapped[datetime]

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    staff: Mapped[Staff | None] = relationship()


class RoutingRule(Base):
    """Which team takes a consultation; rules are tried by position and the first match wins.

    A column left empty matches anything. No match, or several categories, goes to the
    福祉まるごと相談 team, which coordinates.
    """

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)
    category: Mapped[str | None] = mapped_column(String(30))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    urgency: Mapped[str | None] = mapped_column(String(12))
    about: Mapped[str | None] = mapped_column(String(20))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))

    team: Mapped[Team] = relationship()


class Consent(Base):
    """A resident's yes or no to a notice, with the notice's version: kept, never overwritten."""

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    # consultation, watch, family_link …
    purpose: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(20))
    given: Mapped[bool]
    at: Mapped[datetime]


class ReferenceCounter(Base):
    """The last reference number used per prefix and year (C-2026-…), taken under a row lock."""

    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
