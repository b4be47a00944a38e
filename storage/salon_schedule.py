"""Salon schedules as people write them, and the dates they next meet.

Organisers write 毎週水曜 10:00–12:00, 第2・第4金曜 13:30–15:30, 毎月15日 or 月1回（不定期・
要問合せ）. `parse` reads such a line into a `Rule` and its times; `Schedule.upcoming` lists
the next dates with python-dateutil's rrule, skipping public holidays (from the maintained
`holidays` package) and the year-end closure where the salon says so, and one-off
cancellations. An irregular salon has no computed date: residents are told to ask.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any

import holidays
from dateutil import rrule

from locales import N_, TOWN_TZ, fill

WEEKDAY_CHARS = "月火水木金土日"  # Monday first, as Python and dateutil count
_RRULE_DAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
# How far ahead to look for the next date: a monthly salon cancelled a few times still has one.
HORIZON = timedelta(days=400)
WEEKLY, NTH_WEEKDAY, MONTHLY_DAY, IRREGULAR = "weekly", "nth_weekday", "monthly_day", "irregular"
LAST = -1  # 最終〇曜

# Words that mean "no fixed dates: ask".
_IRREGULAR_WORDS = ("不定期", "要問合", "要問い合", "問い合わせ", "問合せ", "随時", "未定")
_DASH = r"[-~〜–—―ー]"
_TIME = r"(\d{1,2})(?::(\d{2})|時(?:(半)|(\d{1,2})分)?)"
_TIME_RANGE = re.compile(rf"{_TIME}\s*{_DASH}\s*(?:{_TIME})?")
_DAY = r"[月火水木金土日](?:曜日|曜)?"
_DAY_LIST = rf"{_DAY}(?:[・、,/と]{_DAY})*"
_WEEKLY = re.compile(rf"(?:毎週)?({_DAY_LIST})")
_NTH = re.compile(rf"(?:毎月)?((?:第?\d[・、,/と]?)+|最終)({_DAY_LIST})")
_MONTHLY = re.compile(r"毎月((?:\d{1,2}日?[・、,/と]?)+)")
_RANGE = re.compile(rf"([{WEEKDAY_CHARS}])(?:曜日|曜)?{_DASH}([{WEEKDAY_CHARS}])")

GUIDE = "毎週水曜 / 第2・第4金曜 / 毎月15日 / 不定期（要問合せ）"


class ScheduleError(ValueError):
    """A schedule line or time that cannot be read; the message says what is accepted.

    `message` is an English msgid and `params` fill its placeholders, so staff read it in their
    language (`gettext(language, error.message, **error.params)`); `str(error)` is English.
    """

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, params))
        self.message = message
        self.params = params


@dataclass(frozen=True)
class Rule:
    """When a salon meets, without the times: weekly, on nth weekdays, on month days, or ask."""

    kind: str
    weekdays: tuple[int, ...] = ()
    nths: tuple[int, ...] = ()
    monthdays: tuple[int, ...] = ()
    # For an irregular salon, what the organiser wrote (月1回（不定期・要問合せ）).
    note: str = ""

    @property
    def weekday_mask(self) -> int:
        return sum(1 << day for day in self.weekdays)

    @property
    def text(self) -> str:
        """The rule in the organisers' own style; parsing it gives the same rule back."""
        days = "・".join(WEEKDAY_CHARS[day] for day in self.weekdays)
        if self.kind == WEEKLY:
            return f"毎週{days}曜"
        if self.kind == NTH_WEEKDAY:
            nths = "・".join("最終" if n == LAST else f"第{n}" for n in self.nths)
            return f"{nths}{days}曜"
        if self.kind == MONTHLY_DAY:
            return "毎月" + "・".join(f"{day}日" for day in self.monthdays)
        return self.note or "不定期（要問合せ）"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "weekdays": list(self.weekdays),
            "nths": list(self.nths),
            "monthdays": list(self.monthdays),
            "note": self.note,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rule:
        return cls(
            kind=data.get("kind", IRREGULAR),
            weekdays=tuple(data.get("weekdays", ())),
            nths=tuple(data.get("nths", ())),
            monthdays=tuple(data.get("monthdays", ())),
            note=data.get("note", ""),
        )

    def rrule(self, start: date, until: date) -> rrule.rrule | None:
        begin = datetime.combine(start, time())
        end = datetime.combine(until, time())
        if self.kind == WEEKLY:
            days = [_RRULE_DAYS[day] for day in self.weekdays]
            return rrule.rrule(rrule.WEEKLY, byweekday=days, dtstart=begin, until=end)
        if self.kind == NTH_WEEKDAY:
            days = [_RRULE_DAYS[day](n) for day in self.weekdays for n in self.nths]
            return rrule.rrule(rrule.MONTHLY, byweekday=days, dtstart=begin, until=end)
        if self.kind == MONTHLY_DAY:
            return rrule.rrule(rrule.MONTHLY, bymonthday=self.monthdays, dtstart=begin, until=end)
        return None


@dataclass(frozen=True)
class Occurrence:
    """One meeting: the day and, when known, the times."""

    day: date
    start: time | None
    end: time | None


@dataclass(frozen=True)
class Schedule:
    """A rule with its times and the days it is skipped."""

    rule: Rule
    start: time | None = None
    end: time | None = None
    skip_holidays: bool = False
    skip_year_end: bool = False
    cancelled: frozenset[date] = field(default_factory=frozenset)

    @property
    def irregular(self) -> bool:
        return self.rule.kind == IRREGULAR

    def upcoming(self, now: datetime, count: int = 1) -> list[Occurrence]:
        """The next `count` meetings at or after `now` (a meeting is upcoming until it ends)."""
        local = now.astimezone(TOWN_TZ)
        found: list[Occurrence] = []
        for day in self._days_from(local.date()):
            if day == local.date() and self._over(local.time()):
                continue
            if self.skips(day):
                continue
            found.append(Occurrence(day, self.start, self.end))
            if len(found) == count:
                break
        return found

    def next(self, now: datetime) -> Occurrence | None:
        upcoming = self.upcoming(now, 1)
        return upcoming[0] if upcoming else None

    def skips(self, day: date) -> bool:
        """Whether the salon does not meet on `day` although its rule falls on it."""
        if day in self.cancelled:
            return True
        if self.skip_holidays and is_holiday(day):
            return True
        return self.skip_year_end and is_year_end(day)

    def _days_from(self, start: date) -> Iterator[date]:
        recurrence = self.rule.rrule(start, start + HORIZON)
        if recurrence is None:
            return iter(())
        return (moment.date() for moment in recurrence)

    def _over(self, clock: time) -> bool:
        finish = self.end or self.start
        return finish is not None and clock >= finish


def is_year_end(day: date) -> bool:
    """12/29 to 1/3, when public halls and most salons close."""
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def is_holiday(day: date) -> bool:
    return day in _japanese_holidays(day.year)


@cache
def _japanese_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("JP", years=year))


# --- reading what people write -----------------------------------------------------------------


def fold(text: str) -> str:
    """Full-width digits and colons to half-width, spaces removed: 第２・第４ 金曜 → 第2・第4金曜."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def parse(text: str) -> tuple[Rule, time | None, time | None]:
    """A schedule line to its rule and, when written in it, the start and end times."""
    original = " ".join(text.split())
    folded = fold(text)
    if not folded:
        raise ScheduleError(N_("the schedule is empty; write it like {guide}"), guide=GUIDE)
    if any(word in folded for word in _IRREGULAR_WORDS):
        return Rule(IRREGULAR, note=original), None, None
    start, end, rest = _take_times(folded)
    rest = rest.replace("開催", "").replace("の", "").strip("、,・ ")
    return _rule(rest, original), start, end


def _rule(rest: str, original: str) -> Rule:
    if rest in ("毎日",):
        return Rule(WEEKLY, weekdays=tuple(range(7)))
    if rest in ("平日", "毎週平日"):
        return Rule(WEEKLY, weekdays=tuple(range(5)))
    if "隔週" in rest:
        raise ScheduleError(
            N_("隔週 cannot be computed; write the weeks, like 第1・第3水曜: '{text}'"),
            text=original,
        )
    rest = _RANGE.sub(_expand_range, rest)
    if match := _MONTHLY.fullmatch(rest.removesuffix("日") + "日"):
        days = tuple(sorted({int(d) for d in re.findall(r"\d{1,2}", match.group(1))}))
        if not days or any(not 1 <= day <= 31 for day in days):
            raise ScheduleError(N_("a day of the month must be 1 to 31: '{text}'"), text=original)
        return Rule(MONTHLY_DAY, monthdays=days)
    if match := _NTH.fullmatch(rest):
        nths = (LAST,) if match.group(1) == "最終" else _numbers(match.group(1))
        if not nths or any(n != LAST and not 1 <= n <= 5 for n in nths):
            raise ScheduleError(
                N_("a week of the month must be 第1 to 第5: '{text}'"), text=original
            )
        return Rule(NTH_WEEKDAY, weekdays=_weekdays(match.group(2)), nths=nths)
    if (match := _WEEKLY.fullmatch(rest)) and (rest.startswith("毎週") or "曜" in rest):
        return Rule(WEEKLY, weekdays=_weekdays(match.group(1)))
    raise ScheduleError(
        N_("cannot read the schedule '{text}'; write it like {guide}"), text=original, guide=GUIDE
    )


def parse_weekdays(text: str) -> tuple[int, ...]:
    """The open-data 曜日 column: 水 / 月,木 / 月曜日・木曜日 / 月〜金."""
    folded = _RANGE.sub(_expand_range, fold(text))
    days = _weekdays(folded)
    leftover = re.sub(rf"[{WEEKDAY_CHARS}]|曜日|曜|[・、,/と]", "", folded)
    if leftover or not days:
        raise ScheduleError(
            N_("cannot read the weekdays '{text}'; write them like 月,木"), text=text
        )
    return days


def parse_time(text: str) -> time:
    """10:00, 9:30, 10時, 10時半, 13時30分, 10:00:00 (as spreadsheets export it)."""
    folded = fold(text)
    match = re.fullmatch(rf"{_TIME}(?::00)?", folded)
    if match is None:
        raise ScheduleError(N_("cannot read the time '{text}'; write it like 10:00"), text=text)
    return _time_of(match.groups())


def time_text(value: time | None) -> str:
    return "" if value is None else f"{value.hour}:{value.minute:02d}"


def _take_times(folded: str) -> tuple[time | None, time | None, str]:
    match = _TIME_RANGE.search(folded)
    if match is None:
        return None, None, folded
    groups = match.groups()
    start = _time_of(groups[:4])
    end = _time_of(groups[4:]) if groups[4] is not None else None
    if end is not None and end <= start:
        raise ScheduleError(N_("the end time must be after the start time: '{text}'"), text=folded)
    return start, end, folded[: match.start()] + folded[match.end() :]


def _time_of(groups: Iterable[str | None]) -> time:
    hour, minutes, half, minutes_ja = groups
    minute = 30 if half else int(minutes or minutes_ja or 0)
    if not (0 <= int(hour or 0) <= 23 and 0 <= minute <= 59):
        raise ScheduleError(N_("no such time: {time}"), time=f"{hour}:{minute:02d}")
    return time(int(hour or 0), minute)


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(n) for n in re.findall(r"\d", text)}))


def _weekdays(text: str) -> tuple[int, ...]:
    # The 日 of 曜日 is not Sunday.
    text = text.replace("曜日", "").replace("曜", "")
    return tuple(sorted({WEEKDAY_CHARS.index(char) for char in text if char in WEEKDAY_CHARS}))


def _expand_range(match: re.Match[str]) -> str:
    first, last = WEEKDAY_CHARS.index(match.group(1)), WEEKDAY_CHARS.index(match.group(2))
    return "・".join(WEEKDAY_CHARS[day] for day in range(first, last + 1)) + "曜"
