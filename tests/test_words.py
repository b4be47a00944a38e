"""Every string a resident can be sent, reviewed as text: short, and no quotes in quotes.

Resident-facing strings live in flows/ and handlers/ (locales/babel.cfg). This lists each
with its Japanese length (run with -s to read the list) and holds them to a budget: on a
phone, a bubble over about 100 characters is a screen of reading for someone who reads
slowly. The few that must say more are named below, with why.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from locales import gettext

ROOT = Path(__file__).resolve().parent.parent
BUDGET = 100  # characters of Japanese in one string
# The strings allowed to be longer, each for a reason a shorter one would lose.
LONGER = (
    # What watch-over does and what happens when there is no answer: said once, at sign-up,
    # and the resident's consent rests on it.
    "Watch-over: on the days and at the time you choose",
    # The consent notice for a consultation: who sees what, and when it is passed on.
    "Before we start: what you tell us here",
    # A menu item not open in LINE: where to call, when, and the way to a person.
    "Sorry, this service is not open in LINE yet.",
)
NESTED_QUOTES = re.compile(r"「[^」]*「")


@cache
def resident_strings() -> list[tuple[str, str, str]]:
    """(where, msgid, Japanese) for every string in flows/ and handlers/."""
    with (ROOT / "locales/ja/LC_MESSAGES/messages.po").open("rb") as file:
        catalog = read_po(file, locale="ja")
    found = set()
    for folder in ("flows", "handlers"):
        extracted = extract_from_dir(
            ROOT / folder,
            method_map=[("**.py", "python")],
            keywords={"_": None, "N_": None, "gettext": (2,)},
        )
        for filename, line, message, _, _ in extracted:
            msgid = message if isinstance(message, str) else message[0]
            entry = catalog.get(msgid)
            if entry is not None and entry.string:
                japanese = entry.string if isinstance(entry.string, str) else entry.string[0]
                found.add((f"{folder}/{filename}:{line}", msgid, japanese))
    return sorted(found, key=lambda row: -len(row[2]))


def test_every_resident_string_is_listed_with_its_length() -> None:
    rows = resident_strings()
    assert len(rows) > 300  # the extraction found them (a wrong path would find none)
    for where, _, japanese in rows:
        print(f"{len(japanese):4d}  {where:45s}  {japanese[:60]!r}")


def test_resident_strings_keep_to_the_budget() -> None:
    over = [
        (len(japanese), where)
        for where, msgid, japanese in resident_strings()
        if len(japanese) > BUDGET and not msgid.startswith(LONGER)
    ]
    assert over == [], f"over {BUDGET} characters: shorten them, or name them in LONGER"


def test_no_quotes_inside_quotes() -> None:
    nested = [where for where, _, japanese in resident_strings() if NESTED_QUOTES.search(japanese)]
    assert nested == []


def test_a_quoted_name_with_its_own_brackets_is_not_nested() -> None:
    said = gettext("ja", "How to join {name}:", name="国府津ふれあいサロン「ほほえみ」")
    assert "「国府津ふれあいサロン『ほほえみ』」" in said
    assert not NESTED_QUOTES.search(said)
