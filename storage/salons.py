"""Finding salons: near a shared location, in a district or area, on a weekday, of a kind, for whom.

Filters combine. Paused and ended salons never appear. A search near a point does not scan
the directory: it asks the database for salons inside a small latitude/longitude box (on the
`ix_salons_status_position` index), ranks those by distance, and doubles the box until it is
sure of the nearest ones it needs — every salon inside the circle the box holds is certain,
so the first page is exact without touching the rest of the town.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, contains_eager

from locales import TOWN_TZ
from storage.geo import distance_m
from storage.models import AUDIENCES, District, Salon, SalonCancellation
from storage.salon_schedule import Occurrence, Rule, Schedule

METRES_PER_DEGREE = 111_320.0
# Streets are not straight lines: walking distance is about 1.3 times the crow's.
WALKING_FACTOR = 1.3
# 80 m a minute, the figure Japanese property listings use for 徒歩N分.
WALKING_M_PER_MINUTE = 80.0
# How far "near me" reaches at first, as a walk; residents can widen it.
DEFAULT_MAX_WALK_M = 3_000.0
FIRST_BOX_M = 500.0
# Details not checked with the organiser for this long are flagged to residents.
STALE_AFTER = timedelta(days=365)
PER_PAGE = 10


@dataclass(frozen=True)
class SalonQuery:
    """What a resident asked for; every filter set must hold."""

    near: tuple[float, float] | None = None
    max_walk_m: float = DEFAULT_MAX_WALK_M
    district_ids: tuple[int, ...] = ()
    weekday: int | None = None
    kind: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class Hit:
    """A salon found, with what the resident sees about it."""

    salon: Salon
    walk_m: float | None
    next: Occurrence | None
    stale: bool

    @property
    def walk_minutes(self) -> int | None:
        if self.walk_m is None:
            return None
        return max(1, math.ceil(self.walk_m / WALKING_M_PER_MINUTE))


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    has_more: bool


def walking_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return distance_m(lat1, lon1, lat2, lon2) * WALKING_FACTOR


def search(
    session: Session, query: SalonQuery, now: datetime, page: int = 0, per_page: int = PER_PAGE
) -> Page:
    """One page of salons for `query`: nearest first when near a point, else by district."""
    if query.near is not None:
        ranked = _nearest(session, query, needed=(page + 1) * per_page + 1)
    else:
        statement = (
            _filtered(query)
            .join(District, Salon.district_id == District.id)
            .order_by(District.position, Salon.name_kana, Salon.id)
            .offset(page * per_page)
            .limit(per_page + 1)
        )
        ranked = [(None, salon) for salon in session.scalars(statement)]
        page = 0  # the database already skipped the earlier pages
    chosen = ranked[page * per_page : (page + 1) * per_page]
    has_more = len(ranked) > (page + 1) * per_page
    cancelled = _cancellations(session, [salon.id for _, salon in chosen])
    hits = [
        Hit(
            salon=salon,
            walk_m=walk,
            next=_next(schedule_of(salon, cancelled.get(salon.id, frozenset())), now, query),
            stale=is_stale(salon, now),
        )
        for walk, salon in chosen
    ]
    return Page(hits, has_more)


# Meetings looked through for the next one on the weekday asked for (a salon that meets on
# Monday and Wednesday shows its next Wednesday to whoever searched for Wednesday).
_WEEKDAY_LOOKAHEAD = 12


def _next(schedule: Schedule, now: datetime, query: SalonQuery) -> Occurrence | None:
    if query.weekday is None:
        return schedule.next(now)
    on_that_day = (
        o for o in schedule.upcoming(now, _WEEKDAY_LOOKAHEAD) if o.day.weekday() == query.weekday
    )
    return next(on_that_day, None) or schedule.next(now)


def _nearest(session: Session, query: SalonQuery, needed: int) -> list[tuple[float, Salon]]:
    """The `needed` nearest salons within the query's walk, by walking distance."""
    assert query.near is not None
    latitude, longitude = query.near
    limit = query.max_walk_m / WALKING_FACTOR  # as the crow flies
    radius = min(FIRST_BOX_M, limit)
    while True:
        rows = session.scalars(_filtered(query).where(*_box(latitude, longitude, radius)))
        ranked = sorted(
            (
                (distance_m(latitude, longitude, salon.latitude, salon.longitude), salon)
                for salon in rows
            ),
            key=lambda pair: (pair[0], pair[1].id),
        )
        # Only salons inside the circle are certain: the box's corners reach further.
        certain = [pair for pair in ranked if pair[0] <= radius]
        if len(certain) >= needed or radius >= limit:
            return [(crow * WALKING_FACTOR, salon) for crow, salon in certain[:needed]]
        radius = min(radius * 2, limit)


def _box(latitude: float, longitude: float, radius_m: float) -> list[object]:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(latitude)), 0.01))
    return [
        Salon.latitude.between(latitude - dlat, latitude + dlat),
        Salon.longitude.between(longitude - dlon, longitude + dlon),
    ]


def _filtered(query: SalonQuery) -> Select[tuple[Salon]]:
    statement = select(Salon).where(Salon.status == "active")
    if query.district_ids:
        statement = statement.where(Salon.district_id.in_(query.district_ids))
    if query.weekday is not None:
        statement = statement.where(Salon.weekday_mask.op("&")(1 << query.weekday) != 0)
    if query.kind is not None:
        statement = statement.where(Salon.kind == query.kind)
    if query.audience is not None:
        bit = 1 << AUDIENCES.index(query.audience)
        statement = statement.where(Salon.audience_mask.op("&")(bit) != 0)
    return statement


def _cancellations(session: Session, salon_ids: list[int]) -> dict[int, frozenset[date]]:
    if not salon_ids:
        return {}
    days: dict[int, set[date]] = defaultdict(set)
    rows = session.execute(
        select(SalonCancellation.salon_id, SalonCancellation.day).where(
            SalonCancellation.salon_id.in_(salon_ids)
        )
    )
    for salon_id, day in rows:
        days[salon_id].add(day)
    return {salon_id: frozenset(found) for salon_id, found in days.items()}


def schedule_of(salon: Salon, cancelled: frozenset[date] | None = None) -> Schedule:
    """The salon's schedule; pass `cancelled` when already loaded, else it is read from the salon."""
    if cancelled is None:
        cancelled = frozenset(c.day for c in salon.cancellations)
    return Schedule(
        rule=Rule.from_json(salon.schedule),
        start=salon.start_time,
        end=salon.end_time,
        skip_holidays=salon.skip_holidays,
        skip_year_end=salon.skip_year_end,
        cancelled=cancelled,
    )


def is_stale(salon: Salon, now: datetime) -> bool:
    """Not confirmed with the organiser for over a year (or never)."""
    today = now.astimezone(TOWN_TZ).date()
    return salon.last_confirmed is None or today - salon.last_confirmed > STALE_AFTER


def find(session: Session, salon_id: int) -> Salon | None:
    """A salon residents may see: active ones only."""
    salon = session.get(Salon, salon_id)
    return salon if salon is not None and salon.status == "active" else None


def by_id(session: Session, salon_id: int) -> Salon | None:
    """A salon whatever its status, for the admins who run the directory."""
    return session.get(Salon, salon_id)


def directory(session: Session, status: str | None = None) -> list[Salon]:
    """Every salon (or those with `status`) in district order, each with its district loaded."""
    statement = (
        select(Salon)
        .join(District)
        .options(contains_eager(Salon.district))
        .order_by(District.position, Salon.name_kana)
    )
    if status is not None:
        statement = statement.where(Salon.status == status)
    return list(session.scalars(statement))


def districts_by_area(session: Session) -> list[tuple[str, list[District]]]:
    """Districts grouped by community area, both in the city guides' order."""
    areas: dict[str, list[District]] = {}
    for district in session.scalars(select(District).order_by(District.position)):
        areas.setdefault(district.area, []).append(district)
    return list(areas.items())
