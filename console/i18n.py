"""The console's words and times: the shared Babel catalog, in the staff member's language, in
the town's time."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_datetime
from flask import session

import locales

LANGUAGES = locales.LANGUAGES


def language() -> str:
    """The signed-in person's choice (kept in their session), Japanese unless they chose English."""
    chosen = session.get("lang") if session else None
    return chosen if chosen in LANGUAGES else locales.DEFAULT_LANGUAGE


def gettext(message: str, /, **params: object) -> str:
    """`_()` in templates and views: the catalog's text, `{name}` placeholders filled in.

    The result is a plain string, so Jinja escapes it along with whatever was filled in.
    """
    return locales.gettext(language(), message, **params)


_ = gettext


def local_time(value: datetime | None, pattern: str = "M/d (E) HH:mm") -> str:
    """A UTC timestamp as people in the office read it: Tokyo time, weekday in their language."""
    if value is None:
        return ""
    return format_datetime(value.astimezone(locales.TOWN_TZ), pattern, locale=language())


def local_date(value: datetime | None) -> str:
    return local_time(value, "yyyy/MM/dd (E)")


def duration(value: timedelta) -> str:
    """A span as people say it: "45分", "1時間20分", "3時間", "2日4時間" (never negative).

    Past two hours the minutes are noise in a queue, so they are left out.
    """
    minutes = max(0, int(value.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return _("{days} d {hours} h", days=hours // 24, hours=hours % 24)
    if hours >= 2 or (hours and not minutes):
        return _("{hours} h", hours=hours)
    if hours:
        return _("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return _("{minutes} min", minutes=minutes)


def reason(error: Exception) -> str:
    """Why a step was refused, in the reader's language (casework's Refused carries a msgid)."""
    message = getattr(error, "message", None)
    if isinstance(message, str):
        return gettext(message, **getattr(error, "params", {}))
    return gettext(str(error))
