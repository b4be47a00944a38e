"""The resident record: what staff know of a resident beyond LINE, each value with its source.

A value is one row per field: typed by staff, or taken from a ticket's intake (the ticket's
reference, kind and date are copied, not linked, so a ticket's retention never touches the
record). Emergency and family contacts staff typed are rows of their own; family who follow
the account come from the watch-over family links.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.staff import Staff

# The fields of the record, in the order the page shows them. name, address and phone may be
# suggested by a ticket; case_number is the council's own 支援ケース番号; household is the
# 世帯の状況 note.
RECORD_FIELDS = ("name", "furigana", "address", "phone", "case_number", "household")
# Where a value came from.
RECORD_SOURCES = ("staff", "ticket")


class ResidentDetail(Base):
    """One field of a resident's record, its value and where and when it came from."""

    __tablename__ = "resident_details"
    __table_args__ = (UniqueConstraint("resident_id", "field", name="uq_resident_details_field"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_resident_details_resident_id")
    )
    field: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(10), default="staff")
    # A value taken from a ticket: that ticket's reference, kind and when it came in.
    source_reference: Mapped[str | None] = mapped_column(String(20))
    source_kind: Mapped[str | None] = mapped_column(String(20))
    source_at: Mapped[datetime | None]
    # Who typed it, or who took it from the ticket.
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", name="fk_resident_details_staff_id")
    )
    updated_at: Mapped[datetime]

    staff: Mapped[Staff | None] = relationship()


class ResidentContact(Base):
    """Someone to call about the resident (family, a neighbour, a care manager), typed by staff."""

    __tablename__ = "resident_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(
        ForeignKey("residents.id", name="fk_resident_contacts_resident_id"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    # 長女, 隣人, ケアマネジャー …: as staff write it.
    relation: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", name="fk_resident_contacts_staff_id")
    )
    created_at: Mapped[datetime]

    staff: Mapped[Staff | None] = relationship()
