"""Salon schedules as organisers write them, checked against the 2026-27 calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from locales import TOWN_TZ
from storage.salon_schedule import (
    IRREGULAR,
    Rule,
    Schedule,
    ScheduleError,
    parse,
    parse_time,
    parse_weekdays,
)


def at(day: str, clock: str = "09:00") -> datetime:
    """A moment in Japan's time, as residents live it."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TOWN_TZ)


def schedule(text: str, **options: object) -> Schedule:
    rule, start, end = parse(text)
    return Schedule(rule, start, end, **options)  # type: ignore[arg-type]


def days(found: Schedule, now: datetime, count: int) -> list[str]:
    return [occurrence.day.isoformat() for occurrence in found.upcoming(now, count)]


def test_every_wednesday() -> None:
    weekly = schedule("毎週水曜 10:00–12:00")
    assert days(weekly, at("2026-11-30"), 3) == ["2026-12-02", "2026-12-09", "2026-12-16"]
    first = weekly.next(at("2026-11-30"))
    assert first is not None and (first.start, first.end) == (time(10), time(12))


def test_a_meeting_counts_as_next_until_it_ends() -> None:
    weekly = schedule("毎週水曜 10:00–12:00")
    assert days(weekly, at("2026-12-02", "11:00"), 1) == ["2026-12-02"]
    assert days(weekly, at("2026-12-02", "12:00"), 1) == ["2026-12-09"]


def test_the_day_is_japans_day_whatever_the_servers_clock() -> None:
    # 2026-12-01 23:30 UTC is already Wednesday 08:30 in Japan.
    weekly = schedule("毎週水曜 10:00–12:00")
    assert days(weekly, datetime(2026, 12, 1, 23, 30, tzinfo=UTC), 1) == ["2026-12-02"]


def test_second_and_fourth_friday() -> None:
    nth = schedule("第2・第4金曜 13:30–15:30")
    assert days(nth, at("2026-12-01"), 4) == [
        "2026-12-11",
        "2026-12-25",
        "2027-01-08",
        "2027-01-22",
    ]


def test_last_saturday_of_the_month() -> None:
    assert days(schedule("最終土曜 10時〜12時"), at("2026-12-01"), 2) == [
        "2026-12-26",
        "2027-01-30",
    ]


def test_fifteenth_of_every_month() -> None:
    monthly = schedule("毎月15日")
    assert days(monthly, at("2026-11-16"), 3) == ["2026-12-15", "2027-01-15", "2027-02-15"]


def test_public_holidays_are_skipped_only_when_the_salon_says_so() -> None:
    # 2026-11-23 is 勤労感謝の日, a Monday.
    assert days(schedule("毎週月曜"), at("2026-11-20"), 1) == ["2026-11-23"]
    assert days(schedule("毎週月曜", skip_holidays=True), at("2026-11-20"), 1) == ["2026-11-30"]


def test_a_nth_weekday_on_a_holiday_waits_for_next_month() -> None:
    # 2027-01-11, the second Monday, is 成人の日.
    second_monday = schedule("第2月曜 10:00-12:00", skip_holidays=True)
    assert days(second_monday, at("2027-01-01"), 1) == ["2027-02-08"]


def test_the_year_end_closure_is_skipped_only_when_the_salon_says_so() -> None:
    # 2026-12-30 is a Wednesday inside the 12/29-1/3 closure.
    assert days(schedule("毎週水曜"), at("2026-12-24"), 1) == ["2026-12-30"]
    closed = schedule("毎週水曜", skip_year_end=True)
    assert days(closed, at("2026-12-24"), 2) == ["2027-01-06", "2027-01-13"]


def test_both_holidays_and_year_end() -> None:
    # 1/1 is a holiday and inside the closure; 1/15 (Fri) is neither.
    monthly = schedule("毎月1日・15日", skip_holidays=True, skip_year_end=True)
    assert days(monthly, at("2026-12-16"), 2) == ["2027-01-15", "2027-02-01"]


def test_one_off_cancellations_are_skipped() -> None:
    weekly = schedule("毎週水曜", cancelled=frozenset({date(2026, 12, 9)}))
    assert days(weekly, at("2026-11-30"), 2) == ["2026-12-02", "2026-12-16"]


def test_irregular_salons_have_no_computed_date() -> None:
    irregular = schedule("月1回（不定期・要問合せ）")
    assert irregular.irregular
    assert irregular.next(at("2026-11-30")) is None
    assert irregular.rule.text == "月1回（不定期・要問合せ）"


@pytest.mark.parametrize(
    ("written", "canonical", "start", "end"),
    [
        ("毎週水曜 10:00–12:00", "毎週水曜", time(10), time(12)),
        ("第2・第4金曜 13:30–15:30", "第2・第4金曜", time(13, 30), time(15, 30)),
        ("毎月15日", "毎月15日", None, None),
        ("第１・第３水曜日　１０：００～１２：００", "第1・第3水曜", time(10), time(12)),
        ("毎週月・木曜日 9時半〜11時半", "毎週月・木曜", time(9, 30), time(11, 30)),
        ("毎週月〜金 10:00-12:00", "毎週月・火・水・木・金曜", time(10), time(12)),
        ("毎月1・15日 13時〜", "毎月1日・15日", time(13), None),
        ("日曜日", "毎週日曜", None, None),
        ("平日", "毎週月・火・水・木・金曜", None, None),
    ],
)
def test_schedules_as_people_write_them(
    written: str, canonical: str, start: time | None, end: time | None
) -> None:
    rule, found_start, found_end = parse(written)
    assert (rule.text, found_start, found_end) == (canonical, start, end)
    # The canonical text reads back as the same rule.
    assert parse(rule.text)[0] == rule


@pytest.mark.parametrize(
    "written", ["隔週水曜", "いつでも", "毎週水曜 12:00-10:00", "毎月32日", "第6水曜", ""]
)
def test_schedules_that_cannot_be_computed_are_refused_with_a_reason(written: str) -> None:
    with pytest.raises(ScheduleError):
        parse(written)


def test_weekday_masks_serve_the_weekday_search() -> None:
    assert parse("毎週月・木曜")[0].weekday_mask == 0b1001
    assert parse("第2・第4金曜")[0].weekday_mask == 0b10000
    assert parse("毎月15日")[0].weekday_mask == 0


def test_rules_survive_the_database_as_json() -> None:
    rule = parse("第2・第4金曜")[0]
    assert Rule.from_json(rule.to_json()) == rule
    assert Rule.from_json({}).kind == IRREGULAR


def test_weekday_column_and_times_in_open_data_style() -> None:
    assert parse_weekdays("月,木") == (0, 3)
    assert parse_weekdays("月曜日・木曜日") == (0, 3)
    assert parse_weekdays("月〜金") == (0, 1, 2, 3, 4)
    assert parse_time("13時30分") == time(13, 30)
    assert parse_time("10:00:00") == time(10)
    with pytest.raises(ScheduleError):
        parse_weekdays("水よう")
    with pytest.raises(ScheduleError):
        parse_time("25:00")
