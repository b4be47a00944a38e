"""Reading what people type in the watch flow (a time, days of the week, a date) and saying a
schedule and the next check-in back in the person's language.

flows/watch/enrolling.py is the machine that reads with these; questions shows what
describe and when_ahead say.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from babel.dates import get_day_names

from flows.inputs import normalise
from flows.watch import words
from locales import TOWN_TZ, gettext, supported
from storage.watch import schedules
from storage.watch.schedules import EARLIEST, LATEST, Schedule

_TIME = re.compile(
    r"^(?P<pm>午後|ごご|pm)?(?P<hour>\d{1,2})(?:[:時じ](?P<minute>\d{1,2}|半)?分?)?(?P<pm2>pm)?$"
)


def parse_time(value: str) -> str | None:
    """ "9:30", "９時半", "午後5時", "17:00" → "09:30"; None unless between 5:00 and 22:00."""
    folded = normalise(value).replace("分", "")
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
    if not EARLIEST <= datetime(2000, 1, 1, hour, minute).time() <= LATEST:
        return None
    return f"{hour:02d}:{minute:02d}"


_WEEKDAY_WORDS = {
    "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip


def parse_weekdays(value: str) -> list[int]:
    """ "月と木", "月曜日", "Mon, Thu" → [0, 3]; tapped buttons send the number itself."""
    folded = unicodedata.normalize("NFKC", value).casefold().strip()
    if folded.isdigit() and int(folded) in range(7):
        return [int(folded)]
    cleaned = folded.replace("曜日", " ").replace("曜", " ")
    found = []
    for token in re.split(r"[\s,、と・/]+|(?<=[月火水木金土日])", cleaned):
        token = token.strip()
        if not token:
            continue
        day = _WEEKDAY_WORDS.get(token[:3] if token.isascii() else token)
        if day is None:
            return []
        found.append(day)
    return list(dict.fromkeys(found))


def parse_date(value: str, today: date) -> date | None:
    """ "5/20", "5月20日", "2026-05-20" → a date; a month and day already past mean next year."""
    folded = unicodedata.normalize("NFKC", value).strip()
    match = re.fullmatch(r"(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})日?", folded)
    if match is None:
        return None
    year_text, month, day = match.groups()
    try:
        if year_text:
            return date(int(year_text), int(month), int(day))
        found = date(today.year, int(month), int(day))
        return found if found > today else date(today.year + 1, int(month), int(day))
    except ValueError:
        return None


def describe(language: str, schedule: Schedule) -> str:
    """毎日 8:00 / 2日に1回 8:00 / 毎週 月・木 8:00."""
    hour, minute = schedules.parse_time_of_day(schedule.time_of_day)
    at = f"{hour}:{minute:02d}"
    if schedule.frequency == "daily":
        return gettext(language, "every day at {time}", time=at)
    if schedule.frequency == "every2":
        return gettext(language, "every other day at {time}", time=at)
    names = get_day_names("abbreviated", locale=supported(language))
    separator = "・" if supported(language) == "ja" else ", "
    days = separator.join(names[day] for day in sorted(schedule.weekdays))
    return gettext(language, "every {days} at {time}", days=days, time=at)


def when_ahead(language: str, due: datetime, now: datetime) -> str:
    """A check-in still to come, said the way people count days: today, tomorrow, or its day."""
    local, today = due.astimezone(TOWN_TZ).date(), now.astimezone(TOWN_TZ).date()
    at = words.clock_time(due)
    if local == today:
        return gettext(language, "today {time}", time=at)
    if (local - today).days == 1:
        return gettext(language, "tomorrow {time}", time=at)
    return f"{words.day_of(language, due)} {at}"
