"""Telling a resident when a person will answer: "今日の17時15分までに", "明日（月）の午前中に"."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import partial

from babel.dates import format_date, format_time

from locales import TOWN_TZ, gettext, supported
from storage import business_time
from storage.business_time import ExpectedAnswer
from storage.models import Team

# CLDR patterns per language; Babel fills in the weekday and month names.
_DATE = {"ja": "M月d日（E）", "en": "EEEE, MMMM d"}
_WEEKDAY = {"ja": "E", "en": "EEEE"}
_TIME = {"ja": "H時mm分", "en": "h:mm a"}
_HOUR = {"ja": "H時", "en": "h a"}

COUNCIL_PHONE = "0465-00-0000"


def phrase(language: str, answer: ExpectedAnswer) -> str:
    """When to expect an answer, as the end of a sentence: "明日（月）の午前中に"."""
    language = supported(language)
    _ = _translator(language)
    names = {
        "time": _time(language, answer.by) if answer.by else "",
        "weekday": _weekday(language, answer.day),
        "date": _date(language, answer.day),
    }
    if answer.part is None and answer.by is not None:
        if answer.relative == "today":
            return _("by {time} today", **names)
        if answer.relative == "tomorrow":
            return _("by {time} tomorrow ({weekday})", **names)
        return _("by {time} on {date}", **names)
    morning = answer.part == "morning"
    if answer.relative == "today":
        return _("this morning") if morning else _("this afternoon")
    if answer.relative == "tomorrow":
        if morning:
            return _("tomorrow ({weekday}) morning", **names)
        return _("tomorrow ({weekday}) afternoon", **names)
    if morning:
        return _("on the morning of {date}", **names)
    return _("on the afternoon of {date}", **names)


def opening(language: str, opens_at: datetime, now: datetime) -> str:
    """When the team opens, as the end of a sentence: "明日（月）の8時30分から"."""
    language = supported(language)
    _ = _translator(language)
    local = opens_at.astimezone(TOWN_TZ)
    today = now.astimezone(TOWN_TZ).date()
    names = {
        "time": _time(language, local.time()),
        "weekday": _weekday(language, local.date()),
        "date": _date(language, local.date()),
    }
    if local.date() == today:
        return _("from {time} today", **names)
    if local.date() == today + timedelta(days=1):
        return _("from {time} tomorrow ({weekday})", **names)
    return _("from {time} on {date}", **names)


def outside_hours_note(language: str, team: Team, now: datetime) -> str | None:
    """While the team is closed: when a person will read this, and whom to call if it can't wait."""
    if business_time.is_open(team, now):
        return None
    when = opening(language, business_time.next_opening(team, now), now)
    return gettext(
        language,
        "Our staff are away now; a person will read this {when}. "
        "If it cannot wait: for an ambulance or a fire call 119, for the police 110, "
        "or call the welfare council at {phone}.",
        when=when,
        phone=COUNCIL_PHONE,
    )


def _translator(language: str) -> Callable[..., str]:
    """`_` bound to one language, so the phrases above read (and extract) like flow code."""
    return partial(gettext, language)


def _date(language: str, day: date) -> str:
    return format_date(day, _DATE.get(language, _DATE["en"]), locale=language)


def _weekday(language: str, day: date) -> str:
    return format_date(day, _WEEKDAY.get(language, _WEEKDAY["en"]), locale=language)


def _time(language: str, moment: time) -> str:
    patterns = _HOUR if moment.minute == 0 else _TIME
    return format_time(moment, patterns.get(language, patterns["en"]), locale=language)
