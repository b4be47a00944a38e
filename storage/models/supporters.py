"""生活応援隊: neighbours registered to give small help, the requests for it, and the offers
that put a request to a supporter in LINE.

A supporter's first name and phone are kept only with their consent to share them with the
person they help, and go when they leave. A request's contact (the first name and phone of
the person helped) is shown to a supporter only once they have taken it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from locales import N_
from storage.models.base import Base
from storage.models.core import Resident
from storage.models.town import District

# The kinds of help, in the order buttons show them: (value stored, label). The one place
# they are listed; flows and the console take labels from here.
HELP_KINDS: tuple[tuple[str, str], ...] = (
    ("rubbish", N_("Taking out rubbish")),
    ("shopping", N_("Shopping")),
    ("light_bulb", N_("Changing bulbs")),
    ("garden", N_("Garden work")),
    ("company", N_("Someone to talk to")),
)
# When a supporter can help: parts of the day, beside the weekdays (Monday = 0).
TIME_BANDS: tuple[tuple[str, str], ...] = (
    ("morning", N_("Morning")),
    ("afternoon", N_("Afternoon")),
    ("evening", N_("Evening")),
)
# applied (waiting for a coordinator's approval), active, paused (no offers), left.
SUPPORTER_STATUSES = ("applied", "active", "paused", "left")
# open (nobody asked yet), offered (waiting for a supporter), taken, done, failed (it could
# not be done), cancelled, returned (nobody took it in time: back to the coordinator).
REQUEST_STATUSES = ("open", "offered", "taken", "done", "failed", "cancelled", "returned")
# How long a supporter says the help took: (minutes stored, label), for their one tap.
HELP_MINUTES: tuple[tuple[int, str], ...] = (
    (30, N_("About 30 min")),
    (60, N_("About 1 hour")),
    (120, N_("About 2 hours")),
    (180, N_("3 hours or more")),
)
# Why it could not be done, for the coordinator who follows it up: (code, label).
NOT_DONE_REASONS: tuple[tuple[str, str], ...] = (
    ("away", N_("Nobody was home")),
    ("time", N_("The time did not suit")),
    ("changed", N_("No longer needed")),
    ("other", N_("Other: please call me")),
)
# How the person helped found it: (code, label).
FEEDBACK: tuple[tuple[str, str], ...] = (
    ("good", N_("It helped, thank you")),
    ("so_so", N_("Not quite")),
)
# An offer's answer; None while it waits. too_late: someone else took the request first, or
# it went back to the coordinator.
OFFER_ANSWERS = ("accepted", "declined", "too_late")


class Supporter(Base):
    """A resident registered to help neighbours: what, where, when, and how to reach them."""

    __tablename__ = "supporters"
    __table_args__ = (
        UniqueConstraint("resident_id", name="uq_supporters_resident"),
        Index("ix_supporters_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_supporters_resident_id")
    )
    status: Mapped[str] = mapped_column(String(10), default="applied")
    # Values of HELP_KINDS.
    kinds: Mapped[list[Any]] = mapped_column(default=list)
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", name="fk_supporters_district_id")
    )
    # How far from their district's centre they will go; None: their district only.
    reach_km: Mapped[float | None] = mapped_column(Float)
    # Monday = 0.
    weekdays: Mapped[list[Any]] = mapped_column(default=list)
    # Values of TIME_BANDS.
    time_bands: Mapped[list[Any]] = mapped_column(default=list)
    # Consent to share first name and phone with the person helped; no consent, no supporter.
    consent_given: Mapped[bool] = mapped_column(default=False)
    consent_at: Mapped[datetime | None]
    # Emptied when they leave.
    first_name: Mapped[str | None] = mapped_column(String(40))
    phone: Mapped[str | None] = mapped_column(String(20))
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", name="fk_supporters_approved_by_id")
    )
    approved_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    # The last time they took a request on: matching shares work by it.
    last_helped_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()
    district: Mapped[District | None] = relationship()


class HelpRequest(Base):
    """Small help someone needs (ゴミ出し, 買い物 …), to be taken by one supporter."""

    __tablename__ = "help_requests"
    __table_args__ = (Index("ix_help_requests_status", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The person who needs the help.
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_help_requests_resident_id")
    )
    kind: Mapped[str] = mapped_column(String(12))
    district_id: Mapped[int | None] = mapped_column(
        ForeignKey("districts.id", name="fk_help_requests_district_id")
    )
    # When the help is wanted: from, and until (None: that time, or the day of `wanted_from`).
    wanted_from: Mapped[datetime]
    wanted_until: Mapped[datetime | None]
    # Who the supporter asks for and calls, told to them only once they have taken it.
    first_name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    # For the coordinator and the supporter who takes it; never in an offer.
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    taken_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("supporters.id", name="fk_help_requests_taken_by_id")
    )
    taken_at: Mapped[datetime | None]
    # What the supporter reported once it was done (done) or could not be (failed): how
    # long it took, or why not (a code of NOT_DONE_REASONS); and when.
    minutes: Mapped[int | None]
    not_done_reason: Mapped[str | None] = mapped_column(String(12))
    reported_at: Mapped[datetime | None]
    # How the person helped found it (a code of FEEDBACK), asked once it was done.
    feedback: Mapped[str | None] = mapped_column(String(10))
    feedback_at: Mapped[datetime | None]
    # The consultation it came from, if any.
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", name="fk_help_requests_ticket_id")
    )
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    resident: Mapped[Resident] = relationship()
    district: Mapped[District | None] = relationship()
    taken_by: Mapped[Supporter | None] = relationship()


class HelpOffer(Base):
    """A request put to one supporter in LINE, and their answer."""

    __tablename__ = "help_offers"
    __table_args__ = (
        UniqueConstraint("request_id", "supporter_id", name="uq_help_offers_pair"),
        Index("ix_help_offers_supporter", "supporter_id", "answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", name="fk_help_offers_request_id")
    )
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporters.id", name="fk_help_offers_supporter_id")
    )
    sent_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(10))
    answered_at: Mapped[datetime | None]

    request: Mapped[HelpRequest] = relationship()
    supporter: Mapped[Supporter] = relationship()
