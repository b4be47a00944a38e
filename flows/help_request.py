"""A volunteer of 生活応援隊 asked for, right after a consultation about 「ちょっとした手助け」.

The consultation hands the conversation over as it files (`follow_consultation`): what help
(one button per kind of help, or 「相談だけでいい」) → when (今週中, 来週, いつでも) → a request on
the coordinators' board (storage.supporters.new_request), linked to the consultation's ticket,
with a note in its thread for the caseworker. The resident is told what happens next.

What they write here that is no answer (more about the worry, a photo) still reaches the staff,
in the ticket's thread, as the consultation's confirmation promised.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from transitions import EventData

from flows import districts, engine, taps, thread_entries
from flows.engine import Flow, FlowModel, Turn
from flows.inputs import UserInput, normalise
from flows.messages import MAX_LABEL, Button, Message, text
from flows.postback import FlowAnswer
from flows.replies import menu_button
from locales import DEFAULT_LANGUAGE, N_, TOWN_TZ, gettext, town_date
from storage import supporters, thread, tickets
from storage.models import HELP_KINDS, Ticket

NAME = "help_request"
NONE = "none"
# When the help is wanted: (value, label), in the order of the buttons.
WINDOWS: tuple[tuple[str, str], ...] = (
    ("this_week", N_("Within this week")),
    ("next_week", N_("Next week")),
    ("anytime", N_("Any time")),
)
# A window runs from 9:00 on its first day to 18:00 on its last, by the town's clock: matching
# (storage.supporter_matching) ranks supporters by the start's weekday and part of the day.
DAY_STARTS, DAY_ENDS = time(9), time(18)
ANYTIME_DAYS = 14
# Kept in the thread as attachments, as the consultation keeps them.
ATTACHABLE = ("image", "video", "audio", "file")

# Words typed for a kind of help, a window, or no help (folded as `normalise` folds them).
_KIND_WORDS: dict[str, tuple[str, ...]] = {
    "rubbish": ("ゴミ", "ごみ", "rubbish", "garbage", "trash"),
    "shopping": ("買い物", "買物", "かいもの", "shopping", "groceries"),
    "light_bulb": ("電球", "でんきゅう", "蛍光灯", "bulb"),
    "garden": ("庭", "にわ", "草", "garden", "weed"),
    "company": ("話し相手", "はなしあいて", "someonetotalkto"),
}
_NONE_WORDS = (
    "相談だけ",
    "いらない",
    "いりません",
    "結構",
    "けっこう",
    "大丈夫",
    "nothanks",
    "consultationonly",
)
_WINDOW_WORDS: dict[str, tuple[str, ...]] = {
    "this_week": ("今週", "こんしゅう", "thisweek"),
    "next_week": ("来週", "らいしゅう", "nextweek"),
    "anytime": ("いつでも", "いつでもいい", "anytime", "whenever"),
}
_BACK_WORDS = {normalise(word) for word in ("もどる", "戻る", "back")}


def follow_consultation(model: FlowModel) -> None:
    """The consultation `model` has just filed its ticket about 「ちょっとした手助け」: ask
    whether a volunteer should help, this flow taking the conversation on from there (the
    engine leaves a conversation handed over mid-step to the flow that took it)."""
    turn = model.turn
    ticket = tickets.open_ticket_of(turn.session, turn.resident)
    if ticket is None:
        return
    district = districts.by_slug(turn.session, str(model.data.get("district") or ""))
    data = {
        "reference": ticket.reference,
        "district": district.id if district is not None else None,
        "phone": str(model.data.get("phone") or ""),
    }
    engine.start(turn, FLOW, data=data)


def window(choice: str, now: datetime) -> tuple[datetime, datetime]:
    """When the help is wanted, as (from, until) in UTC: 今週中 from tomorrow to Sunday (on a
    Sunday, the week to come), 来週 next Monday to Sunday, いつでも from tomorrow for two weeks."""
    today = town_date(now)
    tomorrow = today + timedelta(days=1)
    if choice == "this_week":
        first, last = tomorrow, tomorrow + timedelta(days=6 - tomorrow.weekday())
    elif choice == "next_week":
        first = today + timedelta(days=7 - today.weekday())
        last = first + timedelta(days=6)
    else:
        first, last = tomorrow, today + timedelta(days=ANYTIME_DAYS)
    return _at(first, DAY_STARTS), _at(last, DAY_ENDS)


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=TOWN_TZ).astimezone(UTC)


class HelpRequestModel(FlowModel):
    """Callbacks of the flow; `data` holds the ticket's reference, district and phone, and
    the kind of help once chosen."""

    # Conditions.

    def is_kind(self, event: EventData) -> bool:
        return _value(event) in dict(HELP_KINDS)

    def is_window(self, event: EventData) -> bool:
        return _value(event) in dict(WINDOWS)

    def has_open_ticket(self, event: EventData) -> bool:
        ticket = self._ticket()
        return ticket is not None and ticket.is_open

    # Steps.

    def store_kind(self, event: EventData) -> None:
        self.data["kind"] = _value(event)

    def consultation_only(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._("All right. The staff will take care of your consultation."),
                [menu_button(turn)],
            )
        )

    def make_request(self, event: EventData) -> None:
        turn, data = self.turn, self.data
        ticket = self._ticket()
        choice = _value(event)
        wanted_from, wanted_until = window(choice, turn.now)
        kind = str(data.get("kind", ""))
        reference = str(data.get("reference", ""))
        made = supporters.new_request(
            turn.session,
            turn.resident,
            kind,
            wanted_from,
            turn.now,
            wanted_until=wanted_until,
            district_id=data.get("district"),
            phone=str(data.get("phone") or ""),
            # Shown to the supporter who takes it: where it came from, never the worry.
            note=gettext(DEFAULT_LANGUAGE, "From consultation {reference}", reference=reference),
            ticket_id=ticket.id if ticket is not None else None,
        )
        if ticket is not None:
            # The caseworker sees in the thread that the resident asked for a volunteer.
            staff_words = gettext(
                DEFAULT_LANGUAGE,
                "The resident asked in LINE for a 生活応援隊 volunteer ({kind}, {when}): "
                "request {number} is on the requests board.",
                kind=gettext(DEFAULT_LANGUAGE, dict(HELP_KINDS)[kind]),
                when=gettext(DEFAULT_LANGUAGE, dict(WINDOWS)[choice]),
                number=made.id,
            )
            tickets.add_message(
                turn.session, ticket, author="system", now=turn.now, body=staff_words
            )
        turn.say(
            text(
                turn._(
                    "We will look for a volunteer nearby. Once one is found, we will let you "
                    "know in this chat."
                ),
                [menu_button(turn)],
            )
        )

    def pass_on(self, event: EventData) -> None:
        """Words or a photo that answer nothing here go to the ticket's thread, for the staff."""
        ticket = self._ticket()
        assert ticket is not None  # the has_open_ticket condition let this through
        turn = self.turn
        message_id = event.kwargs.get("message_id")
        kind = str(event.kwargs.get("kind", "text"))
        body = str(event.kwargs.get("text", "")) if kind == "text" else ""
        attachments = [] if kind == "text" else [{"type": kind, "message_id": message_id}]
        if not thread_entries.add_once(turn, ticket, body, attachments, message_id):
            return  # the safety check filed these very words a moment ago
        turn.say(text(turn._("Thank you. We will pass this on with your consultation.")))

    # Helpers.

    def _ticket(self) -> Ticket | None:
        turn = self.turn
        reference = str(self.data.get("reference", ""))
        return thread.resident_ticket(turn.session, turn.resident.id, reference)


def _value(event: EventData) -> str:
    return str(event.kwargs.get("value", ""))


def _fit(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _button(turn: Turn, label: str, event: str, value: str = "") -> Button:
    return Button(_fit(turn._(label)), FlowAnswer(NAME, event, value))


def _ask_kind(model: FlowModel) -> list[Message]:
    turn = model.turn
    body = turn._(
        "Volunteers of 生活応援隊 in your area can also come and help with small things. "
        "Is there something you would like help with?"
    )
    buttons = [_button(turn, label, "kind", value) for value, label in HELP_KINDS]
    buttons.append(_button(turn, N_("Consultation only"), NONE))
    return [text(body, buttons)]


def _ask_when(model: FlowModel) -> list[Message]:
    turn = model.turn
    buttons = [_button(turn, label, "when", value) for value, label in WINDOWS]
    buttons.append(_button(turn, N_("Back"), "back"))
    return [text(turn._("When would you like the help?"), buttons)]


def _found(words: dict[str, tuple[str, ...]], said: str) -> str | None:
    """The one choice whose words are in `said`; None for none, or more than one."""
    found = {value for value, typed in words.items() if any(word in said for word in typed)}
    return found.pop() if len(found) == 1 else None


class HelpRequestFlow(Flow):
    name = NAME
    states = ["kind", "when", engine.FINAL]
    transitions = [
        {
            "trigger": "kind",
            "source": "kind",
            "dest": "when",
            "conditions": "is_kind",
            "before": "store_kind",
        },
        {"trigger": NONE, "source": "kind", "dest": engine.FINAL, "after": "consultation_only"},
        {
            "trigger": "when",
            "source": "when",
            "dest": engine.FINAL,
            "conditions": "is_window",
            "after": "make_request",
        },
        {"trigger": "back", "source": "when", "dest": "kind"},
        {
            "trigger": "pass_on",
            "source": ["kind", "when"],
            "dest": None,
            "conditions": "has_open_ticket",
            "after": "pass_on",
        },
    ]
    model_class = HelpRequestModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        state = model.state
        if given.kind == "postback":
            return taps.flow_event(given, self.name)
        if given.kind in ATTACHABLE:
            return "pass_on", {"kind": given.kind, "message_id": given.message_id}
        if given.kind != "text" or not given.normalised:
            return None
        said = given.normalised
        if state == "when" and said in _BACK_WORDS:
            return "back", {}
        tapped = taps.typed_button(self.ask(model), given, self.name)
        if tapped is not None:
            return tapped
        if state == "kind":
            kind = _found(_KIND_WORDS, said)
            if kind is not None:
                return "kind", {"value": kind}
            if any(word in said for word in _NONE_WORDS):
                return NONE, {}
        if state == "when":
            chosen = _found(_WINDOW_WORDS, said)
            if chosen is not None:
                return "when", {"value": chosen}
        return "pass_on", {"text": given.text, "message_id": given.message_id}

    def ask(self, model: FlowModel) -> list[Message]:
        return _ask_when(model) if model.state == "when" else _ask_kind(model)


FLOW = HelpRequestFlow()
