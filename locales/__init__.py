"""Words, for every layer: Babel's catalogs in this folder, read in memory (never stale),
`N_` to mark a message, `fill` for its {placeholders}, and the town's time zone.

A msgid is English; `gettext(language, msgid, **params)` gives the reader's language.

Beside it, the words more than one layer shows (residents in LINE, staff in the console), so
neither takes them from the other: urgency, consultation_choices, safety_kinds, salon_kinds,
ticket_words and watch_words.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

# Every time of day the town speaks of (opening hours, check-in times, salon dates) is here;
# every stored time is UTC.
TOWN_TZ = ZoneInfo("Asia/Tokyo")


def town_date(moment: datetime) -> date:
    """The day `moment` falls on in the town."""
    return moment.astimezone(TOWN_TZ).date()


def start_of_town_day(day: date) -> datetime:
    """The first moment of `day` in the town, as the aware datetime the database compares."""
    return datetime.combine(day, time(0), tzinfo=TOWN_TZ)


LOCALES = Path(__file__).resolve().parent
DEFAULT_LANGUAGE = "ja"
# Offered in the language flow, each named in its own language.
LANGUAGES: dict[str, str] = {"ja": "日本語", "en": "English"}
# How a list in a message is written out (a param given as a list or tuple).
LIST_SEPARATORS = {"ja": "、"}


def N_(message: str) -> str:
    """Mark a string for extraction where it is defined; translate it where it is used."""
    return message


def supported(language: str | None) -> str:
    """The catalog to use for a LINE profile language such as "en-US" or "zh-Hant"."""
    if not language:
        return DEFAULT_LANGUAGE
    base = language.replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> NullTranslations:
    """Compile locales/<language>/LC_MESSAGES/messages.po once per process."""
    po_path = LOCALES / language / "LC_MESSAGES" / "messages.po"
    if not po_path.is_file():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def warm() -> None:
    """Compile every shipped catalog now: parsing one takes a tenth of a second or more, which
    the first message in each language would otherwise spend inside its transaction."""
    for language in LANGUAGES:
        translations(language)


def gettext(language: str, message: str, /, **params: object) -> str:
    text = translations(supported(language)).gettext(message)
    return fill(text, params, LIST_SEPARATORS.get(language, ", "))


def fill(message: str, params: Mapping[str, object], separator: str = ", ") -> str:
    """A message's `{placeholders}` filled in; a list or tuple is written out joined by
    `separator`, which is the reader's language's (、 in Japanese)."""
    if not params:
        return message
    values = {
        name: separator.join(map(str, value)) if isinstance(value, list | tuple) else value
        for name, value in params.items()
    }
    for name, value in values.items():
        # A name with its own 「」 inside a quoted placeholder would nest them
        # (「国府津ふれあいサロン「ほほえみ」」): Japanese writes the inner pair as 『』.
        if isinstance(value, str) and "「" in value and f"「{{{name}}}」" in message:
            values[name] = value.replace("「", "『").replace("」", "』")
    return message.format(**values)
