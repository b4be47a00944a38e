"""The town's districts as rows: every one in the city's own order, or one by its id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import District


def all_districts(session: Session) -> list[District]:
    """Every district in the order the city's own guides list them."""
    return list(session.scalars(select(District).order_by(District.position, District.id)))


def by_slug(session: Session, slug: str) -> District | None:
    return session.scalar(select(District).where(District.slug == slug))


def by_id(session: Session, district_id: int) -> District | None:
    return session.get(District, district_id)
