"""Watch-over (見守り): enrolments, family links, invitation codes, check-in rounds, and the
durable machinery they rely on: deadlines, multicast outbox rows and the shared clock offset.

The deadlines table is generic on purpose: every step that happens because time passed (a
check-in due, a reminder, an escalation, a pause ending, later SLA warnings) is one row with
a due time, found again by the scheduler's sweep after any crash or clock jump.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.core import Resident

# An enrolment's life: active, paused until a date, or ended (kept for its history).
ENROLMENT_STATUSES = ("active", "paused", "ended")
# How often: every day, every other day, on chosen weekdays (twice a week or once a week).
FREQUENCIES = ("daily", "every2", "twice_weekly", "weekly")
# A round's states, as flows/watch/checkin.py's machine names them.
ROUND_STATES = (
    "due",
    "sent",
    "reminded",
    "escalated",
    "answered",
    "resolved",
    "skipped",
    "cancelled",
)
OPEN_ROUND_STATES = ("sent", "reminded", "escalated")
# Sent and not yet answered: an answer or any sign of life still counts for them.
WAITING_ROUND_STATES = ("sent", "reminded")


class WatchEnrolment(Base):
    """A resident who gets check-ins: their schedule, waits, and whether it is running."""

    __tablename__ = "watch_enrolments"
    __table_args__ = (UniqueConstraint("resident_id", name="uq_watch_enrolments_resident"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_watch_enrolments_resident_id")
    )
    status: Mapped[str] = mapped_column(String(10), default="active")
    # Rounds start again at this moment (the start of the chosen day, town time).
    paused_until: Mapped[datetime | None]
    # resident, family or staff: who asked for the pause.
    paused_by: Mapped[str | None] = mapped_column(String(10))
    frequency: Mapped[str] = mapped_column(String(14), default="daily")
    # Monday = 0; used by twice_weekly and weekly.
    weekdays: Mapped[list[Any]] = mapped_column(default=list)
    # Town time, "08:00".
    time_of_day: Mapped[str] = mapped_column(String(5), default="08:00")
    # The first day of an every-other-day schedule: rounds fall on days an even count after it.
    anchor_date: Mapped[date]
    # None means the setting (MADOGUCHI_CHECKIN_REMIND_AFTER / _ESCALATE_AFTER).
    remind_after_s: Mapped[int | None] = mapped_column(Integer)
    escalate_after_s: Mapped[int | None] = mapped_column(Integer)
    consent_version: Mapped[str] = mapped_column(String(20))
    # resident (through LINE) or staff (from the console, e.g. after a home visit).
    enrolled_by: Mapped[str] = mapped_column(String(10), default="resident")
    enrolled_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", name="fk_watch_enrolments_enrolled_by_staff_id")
    )
    # The last time we knew the resident was up and about, and how we knew
    # (fine, unwell, help, message, visit, phone, family).
    last_sign_of_life_at: Mapped[datetime | None]
    last_sign_of_life: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()

    @property
    def is_running(self) -> bool:
        return self.status != "ended"


class WatchFamilyLink(Base):
    """A family member who hears about a resident's check-ins; the resident confirms it first."""

    __tablename__ = "watch_family_links"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "family_id", name="uq_watch_family_links_pair"),
        Index("ix_watch_family_links_family", "family_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("watch_enrolments.id", name="fk_watch_family_links_enrolment_id")
    )
    family_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_watch_family_links_family_id")
    )
    # pending (waiting for the resident's yes), linked, declined, unlinked.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # What the family hears when all is well: none, daily (each 元気です) or weekly.
    summary: Mapped[str] = mapped_column(String(8), default="none")
    created_at: Mapped[datetime]
    linked_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]

    enrolment: Mapped[WatchEnrolment] = relationship()
    family: Mapped[Resident] = relationship()


class WatchInvitation(Base):
    """A short code the resident reads out or forwards to family; single use, expiring."""

    __tablename__ = "watch_invitations"
    __table_args__ = (
        UniqueConstraint("code", name="uq_watch_invitations_code"),
        Index("ix_watch_invitations_enrolment", "enrolment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("watch_enrolments.id", name="fk_watch_invitations_enrolment_id")
    )
    code: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", name="fk_watch_invitations_used_by_id")
    )

    enrolment: Mapped[WatchEnrolment] = relationship()


class WatchCodeAttempt(Base):
    """A code typed by someone; a few wrong ones in a day and we stop trying their codes."""

    __tablename__ = "watch_code_attempts"
    __table_args__ = (Index("ix_watch_code_attempts_resident", "resident_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_watch_code_attempts_resident_id")
    )
    at: Mapped[datetime]
    succeeded: Mapped[bool]


class CheckinRound(Base):
    """One お元気ですか and everything that followed it; the check-in machine's model."""

    __tablename__ = "watch_rounds"
    __table_args__ = (
        # A round is made once per scheduled time, whatever crashes or retries happen.
        UniqueConstraint("enrolment_id", "due_at", name="uq_watch_rounds_enrolment_due"),
        Index("ix_watch_rounds_state", "enrolment_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("watch_enrolments.id", name="fk_watch_rounds_enrolment_id")
    )
    # The scheduled time (town schedule, stored in UTC).
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(12), default="due")
    # fine, unwell, help, message (any other sign of life).
    answer: Mapped[str | None] = mapped_column(String(12))
    # Why a round was not sent: paused, open (the last one is still open), blocked, ended.
    skip_reason: Mapped[str | None] = mapped_column(String(12))
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    # A family member said they could not reach the resident.
    unreachable_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    # resident, family, staff.
    resolved_by: Mapped[str | None] = mapped_column(String(10))
    # How it was settled: reached (family), visit, phone, message (resident wrote), other.
    resolution: Mapped[str | None] = mapped_column(String(12))
    resolved_by_staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", name="fk_watch_rounds_resolved_by_staff_id")
    )
    # A staff note on a visit or call; never sent to anyone.
    note: Mapped[str | None] = mapped_column(Text)
    # The last sign of life known when the round escalated, as the ticket shows it.
    last_sign_of_life_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", name="fk_watch_rounds_ticket_id")
    )
    created_at: Mapped[datetime]

    enrolment: Mapped[WatchEnrolment] = relationship()


class Deadline(Base):
    """Something that must happen at a time: fired once by the scheduler's sweep.

    `key` makes scheduling idempotent; a recurring deadline (the next check-in of an
    enrolment) is one row re-armed with its next due time in the transaction that fires it.
    """

    __tablename__ = "deadlines"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deadlines_key"),
        # The sweep's order over the rows it looks at: pending ones, earliest first.
        Index(
            "ix_deadlines_pending",
            "due_at",
            "id",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # watch.round, watch.remind, watch.escalate, watch.resume, watch.weekly …
    kind: Mapped[str] = mapped_column(String(30))
    subject_id: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(80))
    due_at: Mapped[datetime]
    # pending, fired, cancelled.
    status: Mapped[str] = mapped_column(String(10), default="pending")
    # After a failed attempt, not before this.
    run_after: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # The exception's class only; never resident text.
    last_error: Mapped[str | None] = mapped_column(String(200))
    fired_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class OutboxMulticast(Base):
    """The same messages for up to 500 people, sent in one multicast request with a retry key."""

    __tablename__ = "outbox_multicasts"
    __table_args__ = (Index("ix_outbox_multicasts_due", "status", "available_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # LINE user ids; the sender leaves out anyone who blocked the account meanwhile.
    recipients: Mapped[list[Any]]
    messages: Mapped[list[Any]]
    retry_key: Mapped[str] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class ClockOffset(Base):
    """How far demos and schedule tests moved the bot's clock; one row, shared by every process."""

    __tablename__ = "clock_offsets"

    id: Mapped[int] = mapped_column(primary_key=True)
    offset_seconds: Mapped[float] = mapped_column(default=0.0)
    updated_at: Mapped[datetime]
