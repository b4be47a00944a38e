"""Reading what people type in the watch flow (days of the week, a date) and saying the next
check-in back in the person's language.

flows/watch/enrolling.py is the machine that reads with these; questions shows what
when_ahead says. A typed time and a schedule said back in words are storage.watch.schedules'
(parse_time, describe), as the console reads and says them too.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime

from locales import TOWN_TZ, gettext, watch_words

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


def when_ahead(language: str, due: datetime, now: datetime) -> str:
    """A check-in still to come, said the way people count days: today, tomorrow, or its day."""
    local, today = due.astimezone(TOWN_TZ).date(), now.astimezone(TOWN_TZ).date()
    at = watch_words.clock_time(due)
    if local == today:
        return gettext(language, "today {time}", time=at)
    if (local - today).days == 1:
        return gettext(language, "tomorrow {time}", time=at)
    return f"{watch_words.day_of(language, due)} {at}"
