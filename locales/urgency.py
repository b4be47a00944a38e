"""A ticket's urgency in words, for staff wherever they read it: the console and the team's
LINE group (a watch-over ticket's notice)."""

from __future__ import annotations

from collections.abc import Mapping

from locales import N_, gettext

NAMES: Mapping[str, str] = {
    "emergency": N_("Emergency"),
    # Not "Today": one msgid for the urgency and the watch-over list's column of how each one
    # is today read 今日中 in both; nor "Within today", the resident's 今日中に.
    "today": N_("Within the day"),
    "soon": N_("Within a few days"),
    "anytime": N_("Anytime"),
}


def urgency_in(language: str, code: str) -> str:
    """The urgency in `language`; a code this table does not know, as it is."""
    return gettext(language, NAMES[code]) if code in NAMES else code
