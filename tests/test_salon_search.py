"""Finding salons: nearest first by walking distance, filters that combine, only active salons."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import salons
from storage.db import Database
from storage.models import District, Salon, SalonCancellation
from storage.models.salons import audience_mask
from storage.salon_schedule import parse
from storage.salons import SalonQuery, distance_m
from storage.sample_town import load_salons, load_town

NOW = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)  # Monday 09:00 in Japan
CENTRE = (35.2646, 139.1522)


def north_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0] + metres / 111_320.0, point[1]


def east_of(point: tuple[float, float], metres: float) -> tuple[float, float]:
    return point[0], point[1] + metres / (111_320.0 * math.cos(math.radians(point[0])))


def add_district(session: Session, slug: str = "midori", area: str = "中部") -> District:
    district = District(
        slug=slug, name=slug, area=area, latitude=CENTRE[0], longitude=CENTRE[1], position=0
    )
    session.add(district)
    session.flush()
    return district


def add_salon(
    session: Session,
    district: District,
    code: str,
    at: tuple[float, float],
    rule: str = "毎週水曜 10:00-12:00",
    kind: str = "fureai",
    audiences: tuple[str, ...] = ("elderly",),
    status: str = "active",
    confirmed: date | None = date(2026, 6, 1),
) -> Salon:
    parsed, start, end = parse(rule)
    salon = Salon(
        code=code,
        name=f"サロン{code}",
        name_kana=code,
        kind=kind,
        district_id=district.id,
        latitude=at[0],
        longitude=at[1],
        schedule=parsed.to_json(),
        schedule_text=parsed.text,
        weekday_mask=parsed.weekday_mask,
        start_time=start,
        end_time=end,
        audience_mask=audience_mask(list(audiences)),
        status=status,
        last_confirmed=confirmed,
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(salon)
    session.flush()
    return salon


def codes(page: salons.Page) -> list[str]:
    return [hit.salon.code for hit in page.hits]


def test_nearest_first_by_walking_distance(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        add_salon(session, district, "far", north_of(CENTRE, 1200))
        add_salon(session, district, "near", east_of(CENTRE, 300))
        add_salon(session, district, "middle", north_of(CENTRE, 600))
        page = salons.search(session, SalonQuery(near=CENTRE), NOW)
        assert codes(page) == ["near", "middle", "far"]
        near = page.hits[0]
        assert near.walk_m == pytest.approx(300 * salons.WALKING_FACTOR, rel=0.01)
        assert near.walk_minutes == 5  # 390 m at 80 m a minute


def test_ranking_is_exact_when_the_nearest_are_beyond_the_first_box(db: Database) -> None:
    # Box corners reach further than the circle: a salon in a corner must not jump the queue.
    with db.transaction() as session:
        district = add_district(session)
        corner = east_of(north_of(CENTRE, 480), 480)  # ~679 m away, inside the first box
        add_salon(session, district, "corner", corner)
        add_salon(session, district, "straight", north_of(CENTRE, 600))
        page = salons.search(session, SalonQuery(near=CENTRE), NOW)
        assert codes(page) == ["straight", "corner"]


def test_near_me_reaches_a_walk_of_about_3_km_and_can_widen(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        add_salon(session, district, "town", north_of(CENTRE, 1000))
        add_salon(session, district, "hills", north_of(CENTRE, 5000))
        assert codes(salons.search(session, SalonQuery(near=CENTRE), NOW)) == ["town"]
        wider = SalonQuery(near=CENTRE, max_walk_m=12_000)
        assert codes(salons.search(session, wider, NOW)) == ["town", "hills"]


def test_paused_and_ended_salons_never_appear(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        add_salon(session, district, "open", north_of(CENTRE, 100))
        resting = add_salon(session, district, "resting", north_of(CENTRE, 50), status="paused")
        add_salon(session, district, "closed", north_of(CENTRE, 10), status="ended")
        assert codes(salons.search(session, SalonQuery(near=CENTRE), NOW)) == ["open"]
        by_district = SalonQuery(district_ids=(district.id,))
        assert codes(salons.search(session, by_district, NOW)) == ["open"]
        # An old carousel's button for a salon that has since paused finds nothing.
        assert salons.find(session, resting.id) is None


def test_near_me_and_for_parents_combine(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        add_salon(session, district, "elders", north_of(CENTRE, 100))
        add_salon(session, district, "babies", north_of(CENTRE, 900), kind="kosodate",
                  audiences=("parents",))  # fmt: skip
        add_salon(session, district, "cafe", north_of(CENTRE, 400), kind="cafe",
                  audiences=("anyone", "parents"))  # fmt: skip
        query = SalonQuery(near=CENTRE, audience="parents")
        assert codes(salons.search(session, query, NOW)) == ["cafe", "babies"]


def test_district_weekday_and_kind_filters(db: Database) -> None:
    with db.transaction() as session:
        midori = add_district(session, "midori")
        kuno = add_district(session, "kuno", area="西部")
        add_salon(session, midori, "m-wed", CENTRE, rule="毎週水曜")
        add_salon(session, midori, "m-fri", CENTRE, rule="第2・第4金曜", kind="kayoi")
        add_salon(session, midori, "m-15", CENTRE, rule="毎月15日")
        add_salon(session, kuno, "k-wed", CENTRE, rule="毎週月・水曜", kind="kayoi")

        def found(**query: object) -> list[str]:
            return sorted(codes(salons.search(session, SalonQuery(**query), NOW)))  # type: ignore[arg-type]

        assert found(district_ids=(midori.id,)) == ["m-15", "m-fri", "m-wed"]
        assert found(weekday=2) == ["k-wed", "m-wed"]
        assert found(weekday=4) == ["m-fri"]
        assert found(kind="kayoi") == ["k-wed", "m-fri"]
        assert found(kind="kayoi", weekday=2) == ["k-wed"]
        assert found(district_ids=(midori.id, kuno.id), weekday=2) == ["k-wed", "m-wed"]


def test_pages_of_ten_without_overlap(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        for number in range(25):
            add_salon(session, district, f"s{number:02d}", north_of(CENTRE, 40 * number))
        pages = [salons.search(session, SalonQuery(near=CENTRE), NOW, page=n) for n in range(3)]
        assert [len(page.hits) for page in pages] == [10, 10, 5]
        assert [page.has_more for page in pages] == [True, True, False]
        assert [c for page in pages for c in codes(page)] == [f"s{n:02d}" for n in range(25)]
        listed = [salons.search(session, SalonQuery(), NOW, page=n) for n in range(3)]
        assert [c for page in listed for c in codes(page)] == [f"s{n:02d}" for n in range(25)]
        assert [page.has_more for page in listed] == [True, True, False]


def test_next_date_skips_cancellations_and_stale_entries_are_flagged(db: Database) -> None:
    with db.transaction() as session:
        district = add_district(session)
        salon = add_salon(session, district, "a", CENTRE, confirmed=date(2025, 10, 1))
        session.add(SalonCancellation(salon_id=salon.id, day=date(2026, 12, 2)))
        add_salon(session, district, "b", north_of(CENTRE, 10), rule="月1回（不定期・要問合せ）")
        hits = salons.search(session, SalonQuery(near=CENTRE), NOW).hits
        assert hits[0].next is not None and hits[0].next.day == date(2026, 12, 9)
        assert hits[0].next.start == time(10)
        assert hits[0].stale is True
        assert hits[1].next is None and hits[1].stale is False


def test_the_sample_town_has_60_salons_near_their_districts_and_loads_once(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
        load_salons(session, NOW)
        load_salons(session, NOW)
        everything = session.scalars(select(Salon)).all()
        assert len(everything) >= 60
        assert session.scalar(select(func.count(func.distinct(Salon.district_id)))) == 25
        for salon in everything:
            centre = (salon.district.latitude, salon.district.longitude)
            assert distance_m(*centre, salon.latitude, salon.longitude) < 1000, salon.code
        statuses = {salon.status for salon in everything}
        assert statuses == {"active", "paused", "ended"}
        assert any(salons.is_stale(salon, NOW) for salon in everything)
        kinds = {salon.schedule["kind"] for salon in everything}
        assert kinds == {"weekly", "nth_weekday", "monthly_day", "irregular"}
