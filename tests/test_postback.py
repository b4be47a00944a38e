"""Postback data: each kind written exactly as buttons have always carried it, and read back.

The literal strings below are the wire format of buttons already sent (rich-menu tiles set on
LINE's side, check-ins and alerts on residents' phones): a change here breaks them.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flows import postback
from flows.postback import (
    ClaimTicket,
    Command,
    FlowAnswer,
    HelpFeedback,
    HelpReport,
    MenuChoice,
    OfferAnswer,
    Postback,
    ResumeChoice,
    SafetyAnswer,
    TicketAnswer,
    WatchAnswer,
)

ROOT = Path(__file__).resolve().parents[1]

# Every kind, in each of its shapes, with the string it has always been sent as.
WIRE: list[tuple[Postback, str]] = [
    (FlowAnswer("consultation", "about", "self"), "flow=consultation&ev=about&v=self"),
    (FlowAnswer("family_link", "yes"), "flow=family_link&ev=yes"),
    (
        FlowAnswer("salons", "area_chosen", "北部"),
        "flow=salons&ev=area_chosen&v=%E5%8C%97%E9%83%A8",
    ),
    (MenuChoice("salons"), "cmd=start&flow=salons"),
    (Command(postback.MENU), "cmd=menu"),
    (Command(postback.CANCEL), "cmd=cancel"),
    (Command(postback.STAFF), "cmd=staff"),
    (ResumeChoice("continue"), "resume=continue"),
    (WatchAnswer("ci", "fine"), "w=ci&a=fine"),
    (WatchAnswer("lk", "yes", link_id="12"), "w=lk&a=yes&l=12"),
    (WatchAnswer("fa", "reached", round_id="7"), "w=fa&a=reached&r=7"),
    (WatchAnswer("nb", "go", round_id="7"), "w=nb&a=go&r=7"),
    (TicketAnswer("resolve", "C-2026-000123"), "ticket=resolve&ref=C-2026-000123"),
    (TicketAnswer("same", "C-2026-000123"), "ticket=same&ref=C-2026-000123"),
    (TicketAnswer("new", "C-2026-000123", ""), "ticket=new&ref=C-2026-000123&m="),
    (TicketAnswer("new", "C-2026-000123", "5xx1"), "ticket=new&ref=C-2026-000123&m=5xx1"),
    (SafetyAnswer("yes", "medical"), "safety=yes&k=medical"),
    (ClaimTicket("W-2026-000001"), "action=claim&ref=W-2026-000001"),
    (OfferAnswer("42", postback.ACCEPT), "offer=42&a=accept"),
    (HelpReport("7", postback.DONE), "help=7&o=done"),
    (HelpReport("7", postback.DONE, "60"), "help=7&o=done&d=60"),
    (HelpFeedback("7", "good"), "thanks=7&a=good"),
]


@pytest.mark.parametrize(("meant", "wire"), WIRE, ids=[wire for _, wire in WIRE])
def test_each_kind_is_written_as_it_always_was_and_reads_back(meant: Postback, wire: str) -> None:
    assert postback.encode(meant) == wire
    assert postback.parse(wire) == meant


def test_every_kind_is_covered() -> None:
    assert {type(meant) for meant, _ in WIRE} == set(get_args(Postback))


# Short enough that four fields, each character escaped to up to twelve, fit in 300.
_FIELD = st.text(min_size=1, max_size=5)
_OPTIONAL = st.text(max_size=5)
_ANY_KIND = st.one_of(
    st.builds(FlowAnswer, _FIELD, _FIELD, _OPTIONAL),
    st.builds(MenuChoice, _FIELD),
    st.builds(Command, _FIELD.filter(lambda name: name != "start")),
    st.builds(ResumeChoice, _FIELD),
    st.builds(WatchAnswer, _FIELD, _FIELD, _OPTIONAL, _OPTIONAL),
    st.builds(TicketAnswer, _FIELD, _FIELD, st.none() | _OPTIONAL),
    st.builds(SafetyAnswer, _FIELD, _OPTIONAL),
    st.builds(ClaimTicket, _FIELD),
    st.builds(OfferAnswer, _FIELD, _OPTIONAL),
    st.builds(HelpReport, _FIELD, _OPTIONAL, _OPTIONAL),
    st.builds(HelpFeedback, _FIELD, _OPTIONAL),
)


@given(_ANY_KIND)
def test_any_postback_reads_back_as_itself(meant: Postback) -> None:
    assert postback.parse(postback.encode(meant)) == meant


def test_data_over_lines_limit_is_refused() -> None:
    fits = FlowAnswer("salons", "join", "x" * (postback.MAX_LENGTH - len("flow=salons&ev=join&v=")))
    assert len(postback.encode(fits)) == postback.MAX_LENGTH
    with pytest.raises(ValueError, match="300"):
        postback.encode(FlowAnswer("salons", "join", "x" * postback.MAX_LENGTH))
    # Escaped characters count as LINE counts them, on the wire: 北 is nine characters there.
    with pytest.raises(ValueError):
        postback.encode(TicketAnswer("new", "北" * 40))


@pytest.mark.parametrize(
    "garbage",
    ["", "menu", "hello=world", "=&=&", "%zz", "action=take&ref=X", "action=claim", "x" * 1000],
)
def test_data_no_button_sends_reads_as_nothing(garbage: str) -> None:
    assert postback.parse(garbage) is None


def test_missing_fields_read_as_empty() -> None:
    """What a handler makes of a half-sent tap: nothing it can act on, as before."""
    assert postback.parse("flow=salons") == FlowAnswer("salons", "")
    assert postback.parse("w=ci") == WatchAnswer("ci", "")
    assert postback.parse("cmd=start") == Command("start")
    assert postback.parse("ticket=resolve") == TicketAnswer("resolve", "")


def test_only_the_postback_module_writes_or_reads_query_strings() -> None:
    """Buttons and their readers go through encode and parse; nobody else splits `a=b&c=d`."""
    builders = {"urlencode", "parse_qs", "parse_qsl"}
    found = set()
    for package in ("bot", "handlers", "flows", "simulator"):
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.ImportFrom) or node.module != "urllib.parse":
                    continue
                if builders & {alias.name for alias in node.names}:
                    found.add(str(path.relative_to(ROOT)))
    assert found == {"flows/postback.py"}
