"""The town the account serves: its districts, with a centre point to place a shared location."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class District(Base):
    """A 連合自治会 area; residents, salons and routing rules refer to it."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_kana: Mapped[str] = mapped_column(String(120), default="")
    # The community area (地域包括支援センター圏域 and the like) salon guides are grouped by.
    area: Mapped[str] = mapped_column(String(80), default="")
    latitude: Mapped[float]
    longitude: Mapped[float]
    # Buttons list districts in this order (north to south, as the city's own guides do).
    position: Mapped[int] = mapped_column(default=0)
