"""When watch-over falls due: a resident's check-in schedule, in the town's time of day, and
the deadline kinds and keys the scheduler runs rounds, reminders, resumes and weekly summaries by.
Also a schedule's time of day read as people type it, and the schedule said back in words, the
same for the resident in LINE and for staff in the console.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from babel.dates import get_day_names

from locales import TOWN_TZ, gettext, supported
from storage.models import (
    WatchEnrolment,
)

# The deadline kinds of watch-over, as the scheduler's handlers are keyed.
ROUND, REMIND, ESCALATE, RESUME, WEEKLY = (
    "watch.round",
    "watch.remind",
    "watch.escalate",
    "watch.resume",
    "watch.weekly",
)
# Check-ins go out between these hours of the town's day, never at night.
EARLIEST, LATEST = time(5, 0), time(22, 0)


@dataclass(frozen=True)
class Schedule:
    """When check-ins go out: how often, at what time, on which weekdays (Monday = 0)."""

    frequency: str = "daily"
    time_of_day: str = "08:00"
    weekdays: tuple[int, ...] = field(default_factory=tuple)
    anchor: date | None = None

    def __post_init__(self) -> None:
        hour, minute = parse_time_of_day(self.time_of_day)
        if not EARLIEST <= time(hour, minute) <= LATEST:
            raise ValueError("check-ins go out between 5:00 and 22:00")
        wanted = {"twice_weekly": 2, "weekly": 1}.get(self.frequency)
        if self.frequency not in ("daily", "every2", "twice_weekly", "weekly"):
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if wanted is not None and len(set(self.weekdays)) != wanted:
            raise ValueError(f"{self.frequency} needs {wanted} weekday(s)")
        if any(day not in range(7) for day in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")

    @classmethod
    def of(cls, enrolment: WatchEnrolment) -> Schedule:
        return cls(
            frequency=enrolment.frequency,
            time_of_day=enrolment.time_of_day,
            weekdays=tuple(enrolment.weekdays or ()),
            anchor=enrolment.anchor_date,
        )

    def falls_on(self, day: date) -> bool:
        if self.frequency == "daily":
            return True
        if self.frequency == "every2":
            return (day - (self.anchor or day)).days % 2 == 0
        return day.weekday() in self.weekdays

    def next_due(self, after: datetime) -> datetime:
        """The first scheduled time strictly after `after`."""
        hour, minute = parse_time_of_day(self.time_of_day)
        local = after.astimezone(TOWN_TZ)
        for offset in range(0, 16):
            day = local.date() + timedelta(days=offset)
            if not self.falls_on(day):
                continue
            due = datetime.combine(day, time(hour, minute), TOWN_TZ)
            if due > after:
                return due.astimezone(after.tzinfo)
        raise AssertionError("a schedule falls at least once a fortnight")


def parse_time_of_day(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


# A time of day as people type it, in the flow or the console's form.
_TIME = re.compile(
    r"^(?P<pm>午後|ごご|pm)?(?P<hour>\d{1,2})(?:[:時じ](?P<minute>\d{1,2}|半)?分?)?(?P<pm2>pm)?$"
)


def parse_time(value: str) -> str | None:
    """ "9:30", "９時半", "午後5時", "17:00" → "09:30"; None unless between 5:00 and 22:00."""
    # Folded as flows.inputs.normalise folds what residents type: full-width to half-width,
    # case and spacing ignored.
    folded = "".join(unicodedata.normalize("NFKC", value).casefold().split()).replace("分", "")
    match = _TIME.match(folded)
    if match is None:
        return None
    hour = int(match["hour"])
    minute_text = match["minute"] or "0"
    minute = 30 if minute_text == "半" else int(minute_text)
    if (match["pm"] or match["pm2"]) and hour < 12:
        hour += 12
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    if not EARLIEST <= time(hour, minute) <= LATEST:
        return None
    return f"{hour:02d}:{minute:02d}"


def describe(language: str, schedule: Schedule) -> str:
    """A schedule as residents and staff read it: 毎日 8:00 / 2日に1回 8:00 / 毎週 月・木 8:00."""
    hour, minute = parse_time_of_day(schedule.time_of_day)
    at = f"{hour}:{minute:02d}"
    if schedule.frequency == "daily":
        return gettext(language, "every day at {time}", time=at)
    if schedule.frequency == "every2":
        return gettext(language, "every other day at {time}", time=at)
    names = get_day_names("abbreviated", locale=supported(language))
    separator = "・" if supported(language) == "ja" else ", "
    days = separator.join(names[day] for day in sorted(schedule.weekdays))
    return gettext(language, "every {days} at {time}", days=days, time=at)


# Deadline keys: one recurring row per enrolment, one step row per round.
def round_key(enrolment_id: int) -> str:
    return f"{ROUND}:{enrolment_id}"


STEP_PREFIX = "watch.step:"


def step_key(round_id: int) -> str:
    return f"{STEP_PREFIX}{round_id}"


def resume_key(enrolment_id: int) -> str:
    return f"{RESUME}:{enrolment_id}"


def weekly_key(link_id: int) -> str:
    return f"{WEEKLY}:{link_id}"
