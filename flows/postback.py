"""Postback data: what a tapped button means, one dataclass per kind, and its wire string.

Every button and rich-menu tile posts back one of the kinds below; `encode` writes it as the
short query string LINE carries (at most 300 characters) and `parse` reads it back. No other
module builds or reads these strings.

The strings are exactly those the buttons have always carried, key for key and in the same
order: the rich menu is set once on LINE's side, and buttons already on residents' phones
(a check-in from yesterday, a family alert) must still mean what they meant. A kind's keys
and their spelling therefore never change; a new meaning is a new kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 300

# The global commands (`Command.name`), understood in every state.
MENU, CANCEL, STAFF = "menu", "cancel", "staff"
# A menu tile or button that starts a flow is the command "start" with the flow's name.
_START = "start"
# The staff group's 担当する button (`action=claim`).
_CLAIM = "claim"
# A supporter's answers to a 生活応援隊 offer (`OfferAnswer.answer`).
ACCEPT, DECLINE = "accept", "decline"
# A supporter's report on help they took on (`HelpReport.outcome`).
DONE, NOT_DONE = "done", "failed"


@dataclass(frozen=True)
class FlowAnswer:
    """An answer to a flow's question: fire `event` on `flow`'s machine, with `value` (the
    choice, when the button carries one). Wire: `flow=…&ev=…[&v=…]`."""

    flow: str
    event: str
    value: str = ""


@dataclass(frozen=True)
class MenuChoice:
    """A main-menu button or rich-menu tile: start `flow`. Wire: `cmd=start&flow=…`."""

    flow: str


@dataclass(frozen=True)
class Command:
    """A global command (MENU, CANCEL, STAFF), understood in every state. Wire: `cmd=…`."""

    name: str


@dataclass(frozen=True)
class ResumeChoice:
    """The answer to "continue or start again?" after a long pause: continue or restart.
    Wire: `resume=…`."""

    choice: str


@dataclass(frozen=True)
class WatchAnswer:
    """A watch-over tap: the `answer` to the question `about` names (flows.watch.words:
    check-in, unwell follow-up, family alert, link request, summary choice; and
    flows.watch.neighbours: a ケアネット neighbour asked to look in), with the family link or
    the check-in round it is about. Wire: `w=…&a=…[&l=…][&r=…]`."""

    about: str
    answer: str
    link_id: str = ""
    round_id: str = ""


@dataclass(frozen=True)
class TicketAnswer:
    """A resident's tap about their ticket `reference`: solved, or whether a message after a
    long quiet is the same matter or a new one (`message_id`: the message that asked, for a
    new one). Wire: `ticket=…&ref=…[&m=…]`."""

    answer: str
    reference: str
    message_id: str | None = None


@dataclass(frozen=True)
class SafetyAnswer:
    """Yes or no to "do you need help right now?", asked about danger of `kind` (or of
    several, comma-joined: flows.safety_words.joined). Wire: `safety=…&k=…`."""

    answer: str
    kind: str


@dataclass(frozen=True)
class ClaimTicket:
    """A staff member taking ticket `reference` from their team's LINE group.
    Wire: `action=claim&ref=…`."""

    reference: str


@dataclass(frozen=True)
class OfferAnswer:
    """A supporter's answer (ACCEPT or DECLINE) to the 生活応援隊 offer `offer_id`.
    Wire: `offer=…&a=…`."""

    offer_id: str
    answer: str


@dataclass(frozen=True)
class HelpReport:
    """A supporter's report on the 生活応援隊 request `request_id`: DONE or NOT_DONE, then
    how long it took or why not (`detail`, empty on the first tap). Wire: `help=…&o=…[&d=…]`."""

    request_id: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class HelpFeedback:
    """How the person helped found the help on request `request_id`. Wire: `thanks=…&a=…`."""

    request_id: str
    answer: str


Postback = (
    FlowAnswer
    | MenuChoice
    | Command
    | ResumeChoice
    | WatchAnswer
    | TicketAnswer
    | SafetyAnswer
    | ClaimTicket
    | OfferAnswer
    | HelpReport
    | HelpFeedback
)


def encode(postback: Postback) -> str:
    """The wire string of `postback`; ValueError if it would be over LINE's limit."""
    data = urlencode(_fields(postback))
    if len(data) > MAX_LENGTH:
        raise ValueError(f"postback data is over LINE's {MAX_LENGTH}-character limit")
    return data


def _fields(postback: Postback) -> list[tuple[str, str]]:
    match postback:
        case FlowAnswer(flow, event, value):
            return [("flow", flow), ("ev", event), *_optional("v", value)]
        case MenuChoice(flow):
            return [("cmd", _START), ("flow", flow)]
        case Command(name):
            return [("cmd", name)]
        case ResumeChoice(choice):
            return [("resume", choice)]
        case WatchAnswer(about, answer, link_id, round_id):
            return [
                ("w", about),
                ("a", answer),
                *_optional("l", link_id),
                *_optional("r", round_id),
            ]
        case TicketAnswer(answer, reference, message_id):
            # "Something new" always carried `m`, empty when no message asked.
            kept = [] if message_id is None else [("m", message_id)]
            return [("ticket", answer), ("ref", reference), *kept]
        case SafetyAnswer(answer, kind):
            return [("safety", answer), ("k", kind)]
        case ClaimTicket(reference):
            return [("action", _CLAIM), ("ref", reference)]
        case OfferAnswer(offer_id, answer):
            return [("offer", offer_id), ("a", answer)]
        case HelpReport(request_id, outcome, detail):
            return [("help", request_id), ("o", outcome), *_optional("d", detail)]
        case HelpFeedback(request_id, answer):
            return [("thanks", request_id), ("a", answer)]
    raise TypeError(f"not a postback: {postback!r}")


def _optional(key: str, value: str) -> list[tuple[str, str]]:
    return [(key, value)] if value else []


def parse(data: str) -> Postback | None:
    """What tapped data means; None for data no button of ours sends (the handler then answers
    as for any input it cannot use).

    Missing fields read as empty, as they always did: the handler of the kind then finds
    nothing it can act on. The kinds' keys never appear together in data we send; should they,
    the kind tried first in handling (handlers.events) wins.
    """
    fields = dict(parse_qsl(data, keep_blank_values=True))
    get = fields.get
    if get("safety"):
        return SafetyAnswer(fields["safety"], get("k", ""))
    if get("w"):
        return WatchAnswer(fields["w"], get("a", ""), get("l", ""), get("r", ""))
    if get("cmd"):
        if fields["cmd"] == _START and "flow" in fields:
            return MenuChoice(fields["flow"])
        return Command(fields["cmd"])
    if get("resume"):
        return ResumeChoice(fields["resume"])
    if get("flow"):
        return FlowAnswer(fields["flow"], get("ev", ""), get("v", ""))
    if get("ticket"):
        return TicketAnswer(fields["ticket"], get("ref", ""), get("m"))
    if get("action") == _CLAIM and get("ref"):
        return ClaimTicket(fields["ref"])
    if get("offer"):
        return OfferAnswer(fields["offer"], get("a", ""))
    if get("help"):
        return HelpReport(fields["help"], get("o", ""), get("d", ""))
    if get("thanks"):
        return HelpFeedback(fields["thanks"], get("a", ""))
    return None
