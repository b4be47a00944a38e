"""ケアネット: two or three neighbours (生活応援隊 supporters) who look in on a watch-over resident
when a check-in goes unanswered. Staff link them, with the resident's consent."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.staff import Staff
from storage.models.supporters import Supporter
from storage.models.watch import WatchEnrolment

# A link still in force; ended ones are kept for the record.
ACTIVE_LINK = "ended_at IS NULL"


class CareNetLink(Base):
    """One neighbour in a resident's ケアネット, from when staff linked them until unlinked."""

    __tablename__ = "care_net_links"
    __table_args__ = (
        # A neighbour is in a resident's team at most once at a time.
        Index(
            "uq_care_net_links_active",
            "enrolment_id",
            "supporter_id",
            unique=True,
            postgresql_where=text(ACTIVE_LINK),
            sqlite_where=text(ACTIVE_LINK),
        ),
        Index("ix_care_net_links_supporter", "supporter_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("watch_enrolments.id", name="fk_care_net_links_enrolment_id")
    )
    supporter_id: Mapped[int] = mapped_column(
        ForeignKey("supporters.id", name="fk_care_net_links_supporter_id")
    )
    # The order neighbours are listed and asked in (1, 2, 3).
    position: Mapped[int] = mapped_column(Integer)
    # The staff member who recorded the resident's consent to this neighbour, and when.
    consent_recorded_by_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", name="fk_care_net_links_consent_recorded_by_id")
    )
    consent_at: Mapped[datetime]
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    # The check-in round this neighbour was last asked to look in for, their answer to it
    # (storage.care_net.GOING, NOT_NOW, REPORTED, or STOOD_DOWN once told it is no longer
    # needed; None while unanswered), and when that answer or their last report came.
    asked_round_id: Mapped[int | None] = mapped_column(Integer)
    answer: Mapped[str | None] = mapped_column(String(8))
    answered_at: Mapped[datetime | None]

    enrolment: Mapped[WatchEnrolment] = relationship()
    supporter: Mapped[Supporter] = relationship()
    consent_recorded_by: Mapped[Staff] = relationship()
