"""生活応援隊 matching (storage/supporter_matching.py): who may take a request, in what order,
and the reasons shown beside each name; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from casework_data import NOW, make_office, make_resident
from supporter_town import WANTED_FROM, make_neighbour, new_request

from storage import supporter_matching, supporters
from storage.db import Database
from storage.models import HelpRequest, Staff, Supporter


def numbers(matches: list[supporter_matching.Match]) -> list[str]:
    return [str(match.supporter.first_name) for match in matches]


def setting(db: Database) -> tuple[int, Any]:
    office = make_office(db)
    return office.staff["aoki"], office


def request_in(session: Any) -> HelpRequest:
    # ゴミ出し in 早川, Saturday 10:00 town time.
    return new_request(session, make_resident(session, "小田 トメ"))


def test_only_active_approved_supporters_who_offer_the_kind(db: Database) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        make_neighbour(session, 1, staff)
        make_neighbour(session, 2, staff, kinds=("shopping",))
        paused = make_neighbour(session, 3, staff)
        supporters.pause(session, paused, NOW)
        applied = make_neighbour(session, 4, staff)
        applied.status, applied.approved_at = "applied", None
        request = request_in(session)
        assert numbers(supporter_matching.ranked(session, request, NOW)) == ["近所1"]


def test_the_same_district_first_then_within_reach_then_further(db: Database) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        make_neighbour(session, 1, staff, district="kozu")  # 8 km, no reach given
        make_neighbour(session, 2, staff, district="okubo", reach_km=2.0)  # under 1 km
        make_neighbour(session, 3, staff)  # 早川 itself
        make_neighbour(session, 4, staff, district="kozu", reach_km=2.0)  # out of reach
        matches = supporter_matching.ranked(session, request_in(session), NOW)
        assert numbers(matches) == ["近所3", "近所2", "近所1", "近所4"]
        assert [m.place for m in matches] == ["same", "near", "far", "far"]
        assert matches[0].reasons[0] == supporter_matching.Reason("same_district")
        near = matches[1].reasons[0]
        assert near.code == "within_reach" and near.km is not None
        assert 0.5 < near.km < 1.5


def test_availability_on_the_day_and_the_part_of_the_day(db: Database) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        make_neighbour(session, 1, staff, weekdays=(0,), bands=("evening",))
        make_neighbour(session, 2, staff, weekdays=(5,), bands=("afternoon",))
        make_neighbour(session, 3, staff, weekdays=(5, 6), bands=("morning",))
        matches = supporter_matching.ranked(session, request_in(session), NOW)
        assert numbers(matches) == ["近所3", "近所2", "近所1"]
        free = matches[0].reasons[1]
        assert free == supporter_matching.Reason("free", weekday=5, band="morning")
        assert matches[1].reasons[1].code == "free_day_only"
        assert matches[2].reasons[1].code == "not_free"
    assert (
        supporter_matching.weekday_of(WANTED_FROM) == 5
        and supporter_matching.band_of(WANTED_FROM) == "morning"
    )


def test_fewer_taken_lately_then_longest_since_the_last_one(db: Database) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        busy = make_neighbour(session, 1, staff)
        helped_lately = make_neighbour(session, 2, staff)
        helped_long_ago = make_neighbour(session, 3, staff)
        make_neighbour(session, 4, staff)  # never helped
        _taken(session, busy, NOW - timedelta(days=2))
        helped_lately.last_helped_at = NOW - timedelta(days=40)
        helped_long_ago.last_helped_at = NOW - timedelta(days=200)
        # Taken 31 days ago: outside the window, counted as last helped only.
        _taken(session, helped_lately, NOW - timedelta(days=31))
        helped_lately.last_helped_at = NOW - timedelta(days=31)
        matches = supporter_matching.ranked(session, request_in(session), NOW)
        assert numbers(matches) == ["近所4", "近所3", "近所2", "近所1"]
        assert [m.taken_lately for m in matches] == [0, 0, 0, 1]
        assert matches[-1].reasons[-1] == supporter_matching.Reason("taken_lately", count=1)


def _taken(session: Any, supporter: Supporter, when: Any) -> None:
    """A past request this supporter accepted at `when`."""
    request = request_in(session)
    (offer,) = supporters.offer(session, request, [supporter], when)
    assert supporters.accept(session, offer, when) == "accepted"


def test_not_the_person_helped_nor_who_declined_and_who_was_asked_is_marked(
    db: Database,
) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        declines = make_neighbour(session, 1, staff)
        waits = make_neighbour(session, 2, staff)
        make_neighbour(session, 3, staff)
        himself = make_neighbour(session, 4, staff)
        request = supporters.new_request(session, himself.resident, "rubbish", WANTED_FROM, NOW)
        offers = supporters.offer(session, request, [declines, waits], NOW)
        supporters.decline(session, offers[0], NOW)
        matches = supporter_matching.ranked(session, request, NOW)
        assert numbers(matches) == ["近所2", "近所3"]
        assert [m.asked for m in matches] == [True, False]


def test_a_request_with_no_district_still_ranks_by_time_and_fairness(db: Database) -> None:
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        make_neighbour(session, 1, staff, weekdays=(1,))
        make_neighbour(session, 2, staff)
        helped = make_resident(session, "小田 トメ")
        request = supporters.new_request(session, helped, "rubbish", WANTED_FROM, NOW)
        assert request.district_id is None
        matches = supporter_matching.ranked(session, request, NOW)
        assert numbers(matches) == ["近所2", "近所1"]
        assert matches[0].reasons[0] == supporter_matching.Reason("district_unknown")


def test_a_request_for_a_week_matches_any_day_of_it(db: Database) -> None:
    # 来週 from a consultation: Monday 9:00 to Sunday 18:00, town time.
    aoki, _ = setting(db)
    with db.transaction() as session:
        staff = session.get_one(Staff, aoki)
        make_neighbour(session, 1, staff, weekdays=(5,), bands=("afternoon",))
        make_neighbour(session, 2, staff, weekdays=(), bands=("morning",))
        request = request_in(session)
        monday = request.wanted_from - timedelta(days=5)
        request.wanted_from, request.wanted_until = monday, monday + timedelta(days=6, hours=8)
        matches = supporter_matching.ranked(session, request, NOW)
        assert numbers(matches) == ["近所1", "近所2"]
        assert matches[0].reasons[1] == supporter_matching.Reason(
            "free", weekday=5, band="afternoon"
        )
        assert matches[1].reasons[1].code == "free_band_only"
        # The same request for one morning: the Saturday-afternoon supporter is not free then.
        request.wanted_until = None
        matches = supporter_matching.ranked(session, request, NOW)
        assert matches[0].supporter.first_name == "近所2"
        assert {m.reasons[1].code for m in matches} == {"free_band_only", "not_free"}
