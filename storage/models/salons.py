"""Salons: the neighbourhood gathering places residents look up, and their one-off cancellations.

A salon's schedule is kept as the rule people write (毎週水曜, 第2・第4金曜, 毎月15日,
不定期) in `schedule`; the next dates are computed from it (storage.salon_schedule). The
weekdays it meets on are copied into `weekday_mask`, and its audiences into `audience_mask`,
so "which salons meet on Wednesday / are for parents" is one integer test in SQL.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base
from storage.models.town import District

# Codes stored in the database, in the order residents see them.
KINDS = ("fureai", "kosodate", "kayoi", "cafe", "ibasho", "other")
AUDIENCES = ("elderly", "parents", "disability", "anyone")
SALON_STATUSES = ("active", "paused", "ended")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


class Salon(Base):
    """A ふれあいサロン, 子育てサロン, 通いの場, コミュニティカフェ or 居場所."""

    __tablename__ = "salons"
    __table_args__ = (
        UniqueConstraint("code", name="uq_salons_code"),
        CheckConstraint(_in("kind", KINDS), name="ck_salons_kind"),
        CheckConstraint(_in("status", SALON_STATUSES), name="ck_salons_status"),
        # The nearness search narrows to a latitude band first, then longitude, from this index.
        Index("ix_salons_status_position", "status", "latitude", "longitude"),
        Index("ix_salons_district", "district_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The ID column of the CSV (open-data style): re-importing a file updates by it.
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(12))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", name="fk_salons_district"))
    # The community area guides group salons by; usually the district's own area.
    community_area: Mapped[str] = mapped_column(String(80), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    # The room or building: 〇〇自治会館 2階.
    venue: Mapped[str] = mapped_column(String(120), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    # The rule as written (毎週水曜 / 第2・第4金曜 / 毎月15日 / 月1回（不定期・要問合せ）).
    schedule_text: Mapped[str] = mapped_column(String(200), default="")
    # The rule parsed: {"kind": "weekly"|"nth_weekday"|"monthly_day"|"irregular", ...}.
    schedule: Mapped[dict[str, Any]] = mapped_column(default=dict)
    start_time: Mapped[time | None] = mapped_column(Time)
    end_time: Mapped[time | None] = mapped_column(Time)
    # Bit n set: meets on weekday n (0 = Monday). 0 for monthly days and irregular salons.
    weekday_mask: Mapped[int] = mapped_column(default=0)
    skip_holidays: Mapped[bool] = mapped_column(default=False)
    # 12/29-1/3, when community halls close.
    skip_year_end: Mapped[bool] = mapped_column(default=False)
    fee: Mapped[str] = mapped_column(String(80), default="")
    # Bit n set: for AUDIENCES[n].
    audience_mask: Mapped[int] = mapped_column(default=0)
    activities: Mapped[str] = mapped_column(Text, default="")
    what_to_bring: Mapped[str] = mapped_column(String(200), default="")
    # How to join: 予約不要 / 初回は電話で申込み …
    how_to_join: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    organiser: Mapped[str] = mapped_column(String(120), default="")
    # 段差なし、送迎あり … as written.
    accessibility: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="active")
    # When staff last checked the details with the organiser; over a year ago is flagged.
    last_confirmed: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    district: Mapped[District] = relationship()
    cancellations: Mapped[list[SalonCancellation]] = relationship(
        back_populates="salon", cascade="all, delete-orphan", order_by="SalonCancellation.day"
    )

    @property
    def audiences(self) -> list[str]:
        return [code for bit, code in enumerate(AUDIENCES) if self.audience_mask & (1 << bit)]

    @audiences.setter
    def audiences(self, codes: list[str]) -> None:
        self.audience_mask = audience_mask(codes)


class SalonCancellation(Base):
    """A date a salon does not meet although its rule says it would (休止日)."""

    __tablename__ = "salon_cancellations"
    __table_args__ = (UniqueConstraint("salon_id", "day", name="uq_salon_cancellations_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    salon_id: Mapped[int] = mapped_column(
        ForeignKey("salons.id", ondelete="CASCADE", name="fk_salon_cancellations_salon")
    )
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    salon: Mapped[Salon] = relationship(back_populates="cancellations")


def audience_mask(codes: list[str]) -> int:
    return sum(1 << AUDIENCES.index(code) for code in set(codes))
