"""Team business hours in Japan: open or closed now, the next opening, and when a ticket is due.

Teams keep opening hours per weekday in Tokyo time. Japanese public holidays (振替休日 and
国民の休日 included) and the year-end closure (12/29–1/3) are closed unless the team opens on
holidays. Datetimes go in aware (the database's are UTC) and come back aware, in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal

import holidays

from locales import TOWN_TZ
from storage.models import Team

# Used when a team has no opening hours at all (a team is never meant to be always closed):
# the council's own counter hours, weekdays 8:30–17:15.
DEFAULT_HOURS: list[list[list[str]]] = [[["08:30", "17:15"]]] * 5 + [[], []]
# Business hours per urgency when the team sets none; "emergency" counts wall-clock hours.
DEFAULT_SLA_HOURS: dict[str, float] = {"emergency": 1, "today": 4, "soon": 16, "anytime": 40}
EMERGENCY = "emergency"
NOON = time(12, 0)
# Long enough to cross any run of closed days (the longest is a week or so), short enough to
# stop on data that can never open.
_SEARCH_DAYS = 400
_QUARTER = timedelta(minutes=15)

Period = tuple[datetime, datetime]


@dataclass(frozen=True)
class ExpectedAnswer:
    """When a person will answer, in Tokyo terms a resident can be told.

    `by` is the time of day it is due, rounded up to the quarter hour. `part` is None when the
    answer is due today (say "by 17:15 today"); on a later day it is "morning" or "afternoon"
    (say "tomorrow (Mon) morning"), which promises no more than we can keep.
    """

    due: datetime
    day: date
    by: time | None
    part: Literal["morning", "afternoon"] | None
    relative: Literal["today", "tomorrow"] | None
    opens_at: datetime
    open_now: bool


def is_holiday(day: date) -> bool:
    """A Japanese public holiday or a day of the year-end closure (12/29–1/3)."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return year_end or day in _public_holidays(day.year)


@lru_cache(maxsize=32)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year).keys())


def is_open(team: Team, at: datetime) -> bool:
    """Whether the team is at work at `at`."""
    _require_aware(at)
    local_day = at.astimezone(TOWN_TZ).date()
    return any(start <= at < end for start, end in periods_on(team, local_day))


def next_opening(team: Team, at: datetime) -> datetime:
    """`at` itself if the team is open then, else the moment it next opens."""
    for start, _end in _periods_from(team, at):
        return max(start, at).astimezone(UTC)
    raise _never_open(team)


def add_business_hours(team: Team, start: datetime, hours: float) -> datetime:
    """The moment `hours` of the team's opening time have passed after `start`."""
    if hours < 0:
        raise ValueError("business hours to add must not be negative")
    remaining = timedelta(hours=hours)
    for period_start, period_end in _periods_from(team, start):
        begin = max(period_start, start)
        available = period_end - begin
        if remaining <= available:
            return (begin + remaining).astimezone(UTC)
        remaining -= available
    raise _never_open(team)


def sla_due(team: Team, urgency: str, now: datetime) -> datetime:
    """When a ticket of this urgency is overdue; an emergency never waits for an opening."""
    _require_aware(now)
    hours = sla_hours(team, urgency)
    if urgency == EMERGENCY:
        return now.astimezone(UTC) + timedelta(hours=hours)
    return add_business_hours(team, now, hours)


def sla_hours(team: Team, urgency: str) -> float:
    """The team's allowance for this urgency, or the default when missing or nonsense."""
    value = (team.sla_hours or {}).get(urgency)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return float(value)
    return float(DEFAULT_SLA_HOURS.get(urgency, DEFAULT_SLA_HOURS["anytime"]))


def expected_answer(team: Team, urgency: str, now: datetime) -> ExpectedAnswer:
    """When a person will answer a ticket of this urgency filed `now`, for telling the resident."""
    due = sla_due(team, urgency, now)
    opens_at = next_opening(team, now)
    # Rounded up: "by 11:45" rather than "by 11:38", and never earlier than promised.
    local_due = _round_up(due.astimezone(TOWN_TZ))
    today = now.astimezone(TOWN_TZ).date()
    day = local_due.date()
    relative: Literal["today", "tomorrow"] | None = None
    if day == today:
        relative = "today"
    elif day == today + timedelta(days=1):
        relative = "tomorrow"
    by = local_due.time()
    part: Literal["morning", "afternoon"] | None = None
    if relative != "today":
        part = "morning" if by <= NOON else "afternoon"
    return ExpectedAnswer(
        due=due,
        day=day,
        by=by,
        part=part,
        relative=relative,
        opens_at=opens_at,
        open_now=opens_at == now,
    )


def periods_on(team: Team, day: date) -> list[Period]:
    """The team's opening periods on a Tokyo calendar day, as aware Tokyo datetimes."""
    if not team.open_on_holidays and is_holiday(day):
        return []
    midnight = datetime.combine(day, time(0), tzinfo=TOWN_TZ)
    return [(midnight + opens, midnight + closes) for opens, closes in _weekly(team)[day.weekday()]]


def _periods_from(team: Team, at: datetime) -> Iterator[Period]:
    """Opening periods not yet over at `at`, in order."""
    _require_aware(at)
    first_day = at.astimezone(TOWN_TZ).date()
    for offset in range(_SEARCH_DAYS):
        for start, end in periods_on(team, first_day + timedelta(days=offset)):
            if end > at:
                yield start, end


def _weekly(team: Team) -> list[list[tuple[timedelta, timedelta]]]:
    """Opening spans per weekday as offsets from midnight; the default hours if it has none."""
    parsed = _parse_week(team.hours or [])
    if not any(parsed):
        parsed = _parse_week(DEFAULT_HOURS)
    return parsed


def _parse_week(hours: list[Any]) -> list[list[tuple[timedelta, timedelta]]]:
    week: list[list[tuple[timedelta, timedelta]]] = []
    for weekday in range(7):
        spans = hours[weekday] if weekday < len(hours) and hours[weekday] else []
        parsed = [(_offset(opens), _offset(closes)) for opens, closes in spans]
        week.append(sorted((opens, closes) for opens, closes in parsed if opens < closes))
    return week


def _offset(clock: str) -> timedelta:
    """ "08:30" → 8h30m; "24:00" is allowed as a closing time (open until midnight)."""
    hour, _, minute = clock.partition(":")
    offset = timedelta(hours=int(hour), minutes=int(minute or 0))
    if not timedelta(0) <= offset <= timedelta(hours=24) or not 0 <= int(minute or 0) < 60:
        raise ValueError(f"not a time of day: {clock!r}")
    return offset


def _round_up(moment: datetime) -> datetime:
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    quarters = -(-(moment - midnight) // _QUARTER)
    return midnight + quarters * _QUARTER


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetimes are ambiguous; pass an aware datetime")


def _never_open(team: Team) -> RuntimeError:
    return RuntimeError(f"team {team.slug!r} never opens in the next {_SEARCH_DAYS} days")
