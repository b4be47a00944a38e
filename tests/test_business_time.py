"""Business time: when a team is open, when a ticket is due, and how we tell the resident."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from flows.answer_time import outside_hours_note, phrase
from locales import TOWN_TZ
from storage import business_time, tickets
from storage.db import Database
from storage.models import Resident, Team, Ticket

WEEKDAYS = [[["08:30", "17:15"]]] * 5 + [[], []]
SLA = {"emergency": 1, "today": 4, "soon": 16, "anytime": 40}


def team(**fields: Any) -> Team:
    spec: dict[str, Any] = {
        "slug": "marugoto",
        "name": "福祉まるごと相談",
        "hours": WEEKDAYS,
        "open_on_holidays": False,
        "sla_hours": SLA,
    }
    return Team(**(spec | fields))


def tokyo(text: str) -> datetime:
    """A Tokyo wall-clock time, e.g. "2026-11-27 16:00" (a Friday)."""
    return datetime.fromisoformat(text).replace(tzinfo=TOWN_TZ)


def at_tokyo(moment: datetime) -> str:
    return moment.astimezone(TOWN_TZ).strftime("%Y-%m-%d %H:%M")


# --- open or closed -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        ("2026-11-30 08:29", False),  # Monday, a minute before opening
        ("2026-11-30 08:30", True),
        ("2026-11-30 17:14", True),
        ("2026-11-30 17:15", False),  # closing time itself is closed
        ("2026-11-28 10:00", False),  # Saturday
        ("2026-11-29 10:00", False),  # Sunday
        ("2026-11-23 10:00", False),  # Monday, 勤労感謝の日
        ("2027-01-11 10:00", False),  # Monday, 成人の日
        ("2026-09-22 10:00", False),  # Tuesday, 国民の休日 between two holidays
        ("2026-12-28 15:00", True),  # the last working day of the year
        ("2026-12-29 10:00", False),  # year-end closure, a Tuesday
        ("2027-01-01 10:00", False),
        ("2027-01-04 10:00", True),  # first working day
    ],
)
def test_open_on_weekdays_closed_on_weekends_holidays_and_the_year_end(
    moment: str, is_open: bool
) -> None:
    assert business_time.is_open(team(), tokyo(moment)) is is_open


def test_a_team_open_on_holidays_works_them_by_its_weekday_hours() -> None:
    open_team = team(open_on_holidays=True)
    assert business_time.is_open(open_team, tokyo("2026-11-23 10:00"))
    assert business_time.is_open(open_team, tokyo("2026-12-30 10:00"))
    assert not business_time.is_open(
        open_team, tokyo("2026-11-29 10:00")
    )  # still closed on Sundays


def test_hours_with_a_lunch_break_and_a_saturday_morning() -> None:
    split = team(hours=[[["09:00", "12:00"], ["13:00", "17:00"]]] * 5 + [[["09:00", "12:00"]], []])
    assert not business_time.is_open(split, tokyo("2026-11-30 12:30"))
    assert (
        at_tokyo(business_time.next_opening(split, tokyo("2026-11-30 12:30"))) == "2026-11-30 13:00"
    )
    assert business_time.is_open(split, tokyo("2026-11-28 11:00"))
    # 2 h before lunch, 1 h after it.
    assert (
        at_tokyo(business_time.add_business_hours(split, tokyo("2026-11-30 10:00"), 3))
        == "2026-11-30 14:00"
    )


def test_a_team_without_hours_gets_the_councils_weekday_hours() -> None:
    assert business_time.is_open(team(hours=[]), tokyo("2026-11-30 10:00"))
    assert not business_time.is_open(team(hours=[[]] * 7), tokyo("2026-11-28 10:00"))


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        business_time.is_open(team(), datetime(2026, 11, 30, 10, 0))


# --- next opening -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "opens"),
    [
        ("2026-11-30 10:00", "2026-11-30 10:00"),  # open now: now
        ("2026-11-30 07:00", "2026-11-30 08:30"),  # early morning: today
        ("2026-11-30 17:15", "2026-12-01 08:30"),  # at closing: tomorrow
        ("2026-11-27 17:30", "2026-11-30 08:30"),  # Friday evening: Monday
        ("2026-11-20 18:00", "2026-11-24 08:30"),  # weekend then 勤労感謝の日: Tuesday
        ("2027-01-08 18:00", "2027-01-12 08:30"),  # weekend then 成人の日: Tuesday
        ("2026-12-28 17:30", "2027-01-04 08:30"),  # year-end closure: 1/4
    ],
)
def test_next_opening(moment: str, opens: str) -> None:
    assert at_tokyo(business_time.next_opening(team(), tokyo(moment))) == opens


def test_results_are_aware_utc() -> None:
    opens = business_time.next_opening(team(), tokyo("2026-11-27 17:30"))
    assert opens == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    assert opens.tzinfo is UTC


# --- adding business hours and SLA ----------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-11-30 13:15", 4, "2026-11-30 17:15"),  # ends exactly at closing, not tomorrow
        ("2026-11-30 17:00", 1, "2026-12-01 09:15"),  # 15 min today, 45 min tomorrow
        ("2026-11-27 16:00", 4, "2026-11-30 11:15"),  # across a weekend
        ("2026-11-20 16:00", 4, "2026-11-24 11:15"),  # across a weekend and a holiday Monday
        ("2027-01-08 16:00", 4, "2027-01-12 11:15"),  # 成人の日
        ("2026-12-28 15:00", 4, "2027-01-04 10:15"),  # year-end closure
        ("2026-11-28 10:00", 0, "2026-11-30 08:30"),  # nothing to add, outside hours
    ],
)
def test_add_business_hours(start: str, hours: float, due: str) -> None:
    assert at_tokyo(business_time.add_business_hours(team(), tokyo(start), hours)) == due


@pytest.mark.parametrize(
    ("urgency", "due"),
    [
        ("emergency", "2026-11-30 11:00"),
        ("today", "2026-11-30 14:00"),
        ("soon", "2026-12-01 17:15"),  # 7h15 on Monday, 8h45 on Tuesday
        ("anytime", "2026-12-04 15:00"),
    ],
)
def test_sla_due_for_each_urgency(urgency: str, due: str) -> None:
    assert at_tokyo(business_time.sla_due(team(), urgency, tokyo("2026-11-30 10:00"))) == due


def test_an_emergency_never_waits_for_monday() -> None:
    saturday_night = tokyo("2026-11-28 23:00")
    assert (
        at_tokyo(business_time.sla_due(team(), "emergency", saturday_night)) == "2026-11-29 00:00"
    )


def test_missing_or_nonsense_sla_hours_fall_back_to_defaults() -> None:
    monday = tokyo("2026-11-30 10:00")
    assert business_time.sla_due(team(sla_hours={}), "today", monday) == business_time.sla_due(
        team(), "today", monday
    )
    assert business_time.sla_hours(team(sla_hours={"today": "soon", "soon": -3}), "today") == 4
    assert business_time.sla_hours(team(sla_hours={"soon": -3}), "soon") == 16
    assert business_time.sla_hours(team(sla_hours={"today": 2}), "today") == 2
    assert business_time.sla_hours(team(), "unknown") == 40


def test_opening_a_ticket_sets_its_sla_from_the_teams_business_hours(db: Database) -> None:
    friday_evening = tokyo("2026-11-27 18:00").astimezone(UTC)
    with db.transaction() as session:
        resident = Resident(line_user_id="U" + "2" * 32, language="ja", created_at=friday_evening)
        marugoto = team()
        session.add_all([resident, marugoto])
        session.flush()
        ticket = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=marugoto,
            now=friday_evening,
            urgency="today",
        )
        given = tickets.open_ticket(
            session,
            resident=resident,
            kind="staff",
            team=marugoto,
            now=friday_evening,
            sla_due_at=friday_evening,
        )
        ticket_id, given_id = ticket.id, given.id
    with db.transaction() as session:
        stored = session.get(Ticket, ticket_id)
        assert stored is not None and stored.sla_due_at is not None
        assert at_tokyo(stored.sla_due_at) == "2026-11-30 12:30"
        kept = session.get(Ticket, given_id)
        assert kept is not None and kept.sla_due_at == friday_evening


# --- what the resident is told ----------------------------------------------------------------


def test_expected_answer_today_is_a_time() -> None:
    answer = business_time.expected_answer(team(), "today", tokyo("2026-11-30 13:15"))
    assert (answer.day, answer.by, answer.part, answer.relative) == (
        date(2026, 11, 30),
        time(17, 15),
        None,
        "today",
    )
    assert answer.open_now and answer.opens_at == tokyo("2026-11-30 13:15")


def test_expected_answer_on_a_later_day_is_a_part_of_the_day() -> None:
    answer = business_time.expected_answer(
        team(sla_hours={"today": 2}), "today", tokyo("2026-11-29 10:00")
    )
    assert (answer.day, answer.part, answer.relative) == (date(2026, 11, 30), "morning", "tomorrow")
    assert not answer.open_now
    assert at_tokyo(answer.opens_at) == "2026-11-30 08:30"


def test_expected_answer_rounds_up_to_the_quarter_hour() -> None:
    answer = business_time.expected_answer(team(), "today", tokyo("2026-11-30 10:07"))
    assert answer.by == time(14, 15)


@pytest.mark.parametrize(
    ("now", "sla", "ja", "en"),
    [
        ("2026-11-30 13:15", {}, "今日の17時15分までに", "by 5:15 PM today"),
        ("2026-11-30 10:00", {}, "今日の14時までに", "by 2 PM today"),
        ("2026-11-29 10:00", {"today": 2}, "明日（月）の午前中に", "tomorrow (Monday) morning"),
        ("2026-11-29 10:00", {}, "明日（月）の午後に", "tomorrow (Monday) afternoon"),
        (
            "2026-11-27 16:00",
            {"today": 12},
            "12月1日（火）の午前中に",
            "on the morning of Tuesday, December 1",
        ),
        (
            "2026-12-28 15:00",
            {},
            "1月4日（月）の午前中に",
            "on the morning of Monday, January 4",
        ),
    ],
)
def test_phrases_in_japanese_and_english(now: str, sla: dict[str, int], ja: str, en: str) -> None:
    answer = business_time.expected_answer(team(sla_hours=sla), "today", tokyo(now))
    assert phrase("ja", answer) == ja
    assert phrase("en", answer) == en


def test_every_shape_of_answer_has_a_phrase() -> None:
    base = business_time.expected_answer(team(), "today", tokyo("2026-11-30 10:00"))
    seen = set()
    for relative in ("today", "tomorrow", None):
        for part in ("morning", "afternoon", None):
            answer = business_time.ExpectedAnswer(
                due=base.due,
                day=date(2026, 12, 1),
                by=time(9, 45),
                part=part,  # type: ignore[arg-type]
                relative=relative,  # type: ignore[arg-type]
                opens_at=base.opens_at,
                open_now=True,
            )
            seen.add(phrase("ja", answer))
            assert "{" not in phrase("en", answer)
    assert len(seen) == 9
    assert "12月1日（火）の9時45分までに" in seen


def test_no_outside_hours_note_while_open() -> None:
    assert outside_hours_note("ja", team(), tokyo("2026-11-30 10:00")) is None


def test_outside_hours_note_says_when_a_person_reads_it_and_whom_to_call() -> None:
    sunday = tokyo("2026-11-29 20:00")
    note = outside_hours_note("ja", team(), sunday)
    assert note is not None
    assert "明日（月）の8時30分から" in note
    for number in ("119", "110", "0465-00-0000"):
        assert number in note
    english = outside_hours_note("en", team(), sunday)
    assert english is not None and "from 8:30 AM tomorrow (Monday)" in english
    year_end = outside_hours_note("ja", team(), tokyo("2026-12-30 10:00"))
    assert year_end is not None and "1月4日（月）の8時30分から" in year_end
    early = outside_hours_note("ja", team(), tokyo("2026-11-30 07:00"))
    assert early is not None and "今日の8時30分から" in early
