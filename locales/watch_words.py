"""Watch-over words that residents, families and staff all read: how often check-ins go out,
how we last knew someone was well, how a person is named, and times said as people say them.

The check-in messages themselves, with their buttons, are the flow's (flows/watch/words.py);
these are only words, so the console names things exactly as LINE does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from babel.dates import format_skeleton

from locales import N_, TOWN_TZ, gettext, supported

# How often check-ins go out (WatchEnrolment.frequency), in the order of the buttons.
FREQUENCIES = [
    ("daily", N_("Every day")),
    ("every2", N_("Every other day")),
    ("twice_weekly", N_("Twice a week")),
    ("weekly", N_("Once a week")),
]
# How we last knew someone was well (WatchEnrolment.last_sign_of_life, a round's resolution):
# the check-in's answers, any message, and how staff or family reached them.
SIGN_WORDS = {
    "fine": N_("answered \u201cI'm fine\u201d"),
    "unwell": N_("answered \u201cNot feeling well\u201d"),
    "help": N_("answered \u201cI need help\u201d"),
    "message": N_("sent a message"),
    "visit": N_("seen on a visit"),
    "phone": N_("reached by phone"),
    "family": N_("reached by family"),
    "enrolled": N_("signed up"),
}

# How a person is called when LINE gave us no name for them.
A_FAMILY_MEMBER = N_("A family member")
ANOTHER_FAMILY_MEMBER = N_("Another family member")
YOUR_FAMILY_MEMBER = N_("Your family member")
SOMEONE = N_("Someone")


class Named(Protocol):
    """Anyone with the name LINE gave us (a Resident row), or none."""

    @property
    def display_name(self) -> str | None: ...


def name_of(person: Named, language: str, fallback: str = N_("the person you watch over")) -> str:
    """How a person is named to others: 山田花子さん in Japanese, or `fallback` if unknown."""
    if not person.display_name:
        return gettext(language, fallback)
    return f"{person.display_name}さん" if supported(language) == "ja" else person.display_name


def clock_time(moment: datetime) -> str:
    local = moment.astimezone(TOWN_TZ)
    return f"{local.hour}:{local.minute:02d}"


def when(language: str, moment: datetime, now: datetime) -> str:
    """今朝 8:12, 昨日 19:05, 5月3日 8:12: as near as the day allows."""
    local, today = moment.astimezone(TOWN_TZ), now.astimezone(TOWN_TZ).date()
    at = clock_time(moment)
    if local.date() == today:
        if local.hour < 11:
            return gettext(language, "this morning {time}", time=at)
        return gettext(language, "today {time}", time=at)
    if (today - local.date()).days == 1:
        return gettext(language, "yesterday {time}", time=at)
    day = format_skeleton("MMMd", local.date(), locale=supported(language))
    return gettext(language, "{day} {time}", day=day, time=at)


def day_of(language: str, moment: datetime) -> str:
    """5月3日(土) / Sat, May 3."""
    return format_skeleton("MMMEd", moment.astimezone(TOWN_TZ).date(), locale=supported(language))


def last_sign(language: str, at: datetime | None, how: str | None, now: datetime) -> str:
    """最終確認: 今朝 8:12 「元気です」と回答 — or that nothing is known yet."""
    if at is None:
        return gettext(language, "Last sign of life: none yet")
    return gettext(
        language,
        "Last sign of life: {when}, {how}",
        when=when(language, at, now),
        how=gettext(language, SIGN_WORDS.get(how or "", SIGN_WORDS["message"])),
    )
