"""First-contact consultation (福祉まるごと相談): any worry in, a routed ticket out.

consent → about → categories → area → district → urgency → worry → contact → (phone) → when
→ summary → filed. もどる goes one step back; 直す on the summary picks an item, whose step
then returns to the summary. The diagram is consultation.mmd beside this file.

This module is the machine: what each input means in each state, and each step's effect on
the answers. What is asked and offered is in consultation_questions, and the ticket it files
in consultation_filing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from transitions import EventData

from flows import districts, engine, help_request, taps
from flows.consultation_filing import file_consultation, refusal_text
from flows.consultation_questions import (
    ABOUT,
    CHECK,
    CONSENT_PURPOSE,
    CONSENT_VERSION,
    CONTACTS,
    ITEMS,
    NAME,
    QUESTIONS,
    UNKNOWN_DISTRICT,
    URGENCIES,
)
from flows.engine import Flow, FlowModel, Turn
from flows.inputs import UserInput, normalise
from flows.messages import Button, Message, text
from flows.phone_numbers import normalised as normalised_phone
from flows.postback import FlowAnswer
from flows.replies import main_menu
from locales.consultation_choices import CATEGORIES, WHEN
from storage import residents
from storage.models import Conversation

# Several messages make one worry; past these, more is not taken here (staff can ask for it).
MAX_WORRY_CHARS = 6000
MAX_WORRY_PARTS = 30
# The thread keeps these besides text, each by its LINE message id.
ATTACHABLE = ("image", "video", "audio", "file")

_BACK_WORDS = {normalise(word) for word in ("もどる", "戻る", "前に戻る", "back")}
# Typed answers to the consent notice besides its buttons' labels.
_CONSENT_WORDS = {
    **{normalise(w): "agree" for w in ("はい", "同意", "同意します", "いいよ", "yes", "i agree")},
    **{normalise(w): "decline" for w in ("いいえ", "同意しません", "しない", "no")},
}


# The phone number with the id of the message that gave it, in the draft and the ticket's contact.
PHONE_GIVEN = "phone_given"


def offer(turn: Turn, words: str, message_id: str | None, categories: tuple[str, ...]) -> None:
    """A worry typed outside a consultation: offer one that already holds those words, and
    the categories they name, ticked for the resident to confirm."""
    data = {
        "worry": [{"kind": "text", "text": words[:MAX_WORRY_CHARS], "id": message_id}],
        "categories": [value for value, _ in CATEGORIES if value in categories],
        "carried": True,
    }
    engine.start(turn, FLOW, state="offered", data=data)


def forget_message(conversation: Conversation, message_id: str) -> None:
    """An unsent message leaves a half-written worry, or the phone number, as well as the inbox."""
    if conversation.flow != NAME:
        return
    data = dict(conversation.data)
    parts = data.get("worry", [])
    data["worry"] = [part for part in parts if part.get("id") != message_id]
    if (data.get(PHONE_GIVEN) or {}).get("id") == message_id:
        data.pop("phone", None)
        data.pop(PHONE_GIVEN, None)
    if data != conversation.data:
        conversation.data = data


def _answer(
    trigger: str, source: str | list[str], then: str, conditions: list[str], before: list[str]
) -> list[dict[str, Any]]:
    """An answer that moves on to `then`, or back to the summary when an item is being corrected."""
    return [
        {
            "trigger": trigger,
            "source": source,
            "dest": "summary",
            "conditions": [*conditions, "is_correcting"],
            "before": before,
            "after": "stop_correcting",
        },
        {
            "trigger": trigger,
            "source": source,
            "dest": then,
            "conditions": conditions,
            "before": before,
        },
    ]


def _back(source: str, previous: str) -> list[dict[str, Any]]:
    """もどる: one step back, or to the list of items when correcting one."""
    return [
        {"trigger": "back", "source": source, "dest": "correcting", "conditions": "is_correcting"},
        {"trigger": "back", "source": source, "dest": previous},
    ]


class ConsultationModel(FlowModel):
    """Conditions and steps of the consultation; the answers live in the conversation's data."""

    # Conditions.
    def is_correcting(self, event: EventData) -> bool:
        return bool(self.data.get("correcting"))

    def offers_about(self, event: EventData) -> bool:
        return _value(event) in dict(ABOUT)

    def offers_category(self, event: EventData) -> bool:
        return _value(event) in dict(CATEGORIES)

    def has_categories(self, event: EventData) -> bool:
        return bool(self.data.get("categories"))

    def offers_area(self, event: EventData) -> bool:
        return _value(event) in districts.areas(self.turn.session)

    def offers_district(self, event: EventData) -> bool:
        value = _value(event)
        return value == UNKNOWN_DISTRICT or districts.by_slug(self.turn.session, value) is not None

    def is_in_city(self, event: EventData) -> bool:
        return districts.of_location(self.turn.session, event.kwargs.get("location")) is not None

    def offers_urgency(self, event: EventData) -> bool:
        return _value(event) in dict(URGENCIES)

    def offers_contact(self, event: EventData) -> bool:
        return _value(event) in dict(CONTACTS)

    def wants_phone(self, event: EventData) -> bool:
        return _value(event) == "phone"

    def is_phone_number(self, event: EventData) -> bool:
        return normalised_phone(event.kwargs.get("text", "")) is not None

    def offers_when(self, event: EventData) -> bool:
        return _value(event) in dict(WHEN)

    def contact_is_phone(self, event: EventData) -> bool:
        return self.data.get("contact") == "phone"

    # Steps.
    def record_agreement(self, event: EventData) -> None:
        self._record_consent(given=True)

    def record_refusal(self, event: EventData) -> None:
        self._record_consent(given=False)
        turn = self.turn
        turn.say(main_menu(turn, refusal_text(turn)))

    def leave(self, event: EventData) -> None:
        turn = self.turn
        turn.say(main_menu(turn, turn._("All right. What would you like to do?")))

    def store_about(self, event: EventData) -> None:
        self.data["about"] = _value(event)

    def toggle_category(self, event: EventData) -> None:
        chosen = list(self.data.get("categories", []))
        value = _value(event)
        if value in chosen:
            chosen.remove(value)
        else:
            chosen.append(value)
        # Kept in the order of the buttons, whatever order they were tapped in.
        self.data["categories"] = [c for c, _ in CATEGORIES if c in chosen]
        # What this tap did, said in one line instead of the whole question again.
        self.data["toggled"] = [value, value in chosen, self.turn.now.isoformat()]

    def ask_for_one(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Please choose at least one. If you are not sure, choose “Other / not sure”."
                )
            )
        )

    def store_area(self, event: EventData) -> None:
        self.data["area"] = _value(event)

    def store_district(self, event: EventData) -> None:
        self.data["district"] = _value(event)
        self.data["located"] = False

    def store_location(self, event: EventData) -> None:
        district = districts.of_location(self.turn.session, event.kwargs.get("location"))
        assert district is not None  # the is_in_city condition let this transition through
        self.data["district"] = district.slug
        self.data["located"] = True
        turn = self.turn
        turn.say(text(turn._("Thank you. That is in {district}.", district=district.name)))

    def say_outside_city(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Thank you. That place seems to be outside the city. "
                    "Please choose the district from the buttons, or tap “Not sure”."
                )
            )
        )

    def store_urgency(self, event: EventData) -> None:
        self.data["urgency"] = _value(event)

    def add_words(self, event: EventData) -> None:
        words = str(event.kwargs.get("text", ""))
        parts = list(self.data.get("worry", []))
        room = MAX_WORRY_CHARS - sum(len(p.get("text", "")) for p in parts)
        if room <= 0 or len(parts) >= MAX_WORRY_PARTS:
            self._say_enough()
            return
        parts.append({"kind": "text", "text": words[:room], "id": event.kwargs.get("message_id")})
        self.data["worry"] = parts
        if len(words) > room:
            self._say_enough()

    def add_attachment(self, event: EventData) -> None:
        parts = list(self.data.get("worry", []))
        turn = self.turn
        if len(parts) >= MAX_WORRY_PARTS:
            self._say_enough()
            return
        parts.append({"kind": event.kwargs.get("kind"), "id": event.kwargs.get("message_id")})
        self.data["worry"] = parts
        turn.say(text(turn._("Thank you. We will pass this on with your consultation.")))

    def thank_for_sticker(self, event: EventData) -> None:
        turn = self.turn
        turn.say(text(turn._("Thank you for the sticker!")))

    def store_contact(self, event: EventData) -> None:
        self.data["contact"] = _value(event)
        if self.data["contact"] != "phone":
            self.data.pop("phone", None)

    def store_phone(self, event: EventData) -> None:
        phone = normalised_phone(event.kwargs.get("text", ""))
        self.data["phone"] = phone
        # Which message gave it: unsending that message takes the number back (forget_message).
        self.data[PHONE_GIVEN] = {"id": event.kwargs.get("message_id"), "text": phone}

    def say_not_a_phone_number(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Sorry, we could not read that as a phone number. Please type it with the "
                    "area code, for example 0465-22-1234 or 090-1234-5678."
                )
            )
        )

    def store_when(self, event: EventData) -> None:
        self.data["when"] = _value(event)

    def start_correcting(self, event: EventData) -> None:
        self.data["correcting"] = True

    def start_rewriting(self, event: EventData) -> None:
        # Writing the worry again replaces the words; photos already sent stay with it.
        self.data["correcting"] = True
        self.data["worry"] = [p for p in self.data.get("worry", []) if p.get("kind") != "text"]

    def stop_correcting(self, event: EventData) -> None:
        self.data.pop("correcting", None)

    def file_ticket(self, event: EventData) -> None:
        file_consultation(self)

    def offer_volunteer(self, event: EventData) -> None:
        # 「ちょっとした手助け」: a volunteer of 生活応援隊 is offered next, in a flow of its own.
        if "errands" in self.data.get("categories", []):
            help_request.follow_consultation(self)

    # Helpers.
    def _record_consent(self, given: bool) -> None:
        turn = self.turn
        residents.record_consent(
            turn.session, turn.resident, CONSENT_PURPOSE, CONSENT_VERSION, given, turn.now
        )

    def _say_enough(self) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "That is as much as we can take here. Please tap “Done writing”; "
                    "you can tell the staff the rest later."
                )
            )
        )


def _value(event: EventData) -> str:
    return str(event.kwargs.get("value", ""))


class ConsultationFlow(Flow):
    name = NAME
    resumable_for = timedelta(days=7)
    free_text_states = frozenset({"worry", "phone"})
    other_entries = frozenset({"offered"})
    states = [
        "consent",
        # Offered after a worry typed at the menu: 「…のご相談ですね。おつなぎしましょうか？」
        "offered",
        "about",
        "categories",
        "area",
        "district",
        "urgency",
        "worry",
        "contact",
        "phone",
        "when",
        "summary",
        "correcting",
        engine.FINAL,
    ]
    transitions = [
        # A worry typed at the menu, its words kept: yes asks for consent, no leaves them.
        {"trigger": "agree", "source": "offered", "dest": "consent"},
        {"trigger": "decline", "source": "offered", "dest": engine.FINAL, "after": "leave"},
        {"trigger": "back", "source": "offered", "dest": engine.FINAL, "after": "leave"},
        # Consent: yes goes on; no is kept too, and offers the phone instead.
        {"trigger": "agree", "source": "consent", "dest": "about", "before": "record_agreement"},
        {
            "trigger": "decline",
            "source": "consent",
            "dest": engine.FINAL,
            "before": "record_refusal",
        },
        {"trigger": "back", "source": "consent", "dest": engine.FINAL, "after": "leave"},
        # Who it is about.
        *_answer("choose", "about", "categories", ["offers_about"], ["store_about"]),
        *_back("about", "consent"),
        # What it is about: tap to toggle, 次へ to go on.
        {
            "trigger": "toggle",
            "source": "categories",
            "dest": None,
            "conditions": "offers_category",
            "after": "toggle_category",
        },
        *_answer("next", "categories", "area", ["has_categories"], []),
        {
            "trigger": "next",
            "source": "categories",
            "dest": None,
            "unless": "has_categories",
            "after": "ask_for_one",
        },
        *_back("categories", "about"),
        # Where: an area, then a district in it; or a shared location; or not sure.
        {
            "trigger": "area",
            "source": ["area", "district"],
            "dest": "district",
            "conditions": "offers_area",
            "before": "store_area",
        },
        *_answer(
            "district", ["area", "district"], "urgency", ["offers_district"], ["store_district"]
        ),
        *_answer("locate", ["area", "district"], "urgency", ["is_in_city"], ["store_location"]),
        {
            "trigger": "locate",
            "source": ["area", "district"],
            "dest": None,
            "unless": "is_in_city",
            "after": "say_outside_city",
        },
        *_back("area", "categories"),
        {"trigger": "back", "source": "district", "dest": "area"},
        # How urgent.
        *_answer("choose", "urgency", "worry", ["offers_urgency"], ["store_urgency"]),
        *_back("urgency", "area"),
        # The worry in their own words, over several messages, until 送信.
        {"trigger": "write", "source": "worry", "dest": None, "after": "add_words"},
        {"trigger": "attach", "source": "worry", "dest": None, "after": "add_attachment"},
        {"trigger": "sticker", "source": "worry", "dest": None, "after": "thank_for_sticker"},
        *_answer("send", "worry", "contact", [], []),
        *_back("worry", "urgency"),
        # How to be contacted, and when.
        {
            "trigger": "choose",
            "source": "contact",
            "dest": "phone",
            "conditions": ["offers_contact", "wants_phone"],
            "before": "store_contact",
        },
        *_answer("choose", "contact", "when", ["offers_contact"], ["store_contact"]),
        *_back("contact", "worry"),
        *_answer("give_phone", "phone", "when", ["is_phone_number"], ["store_phone"]),
        {
            "trigger": "give_phone",
            "source": "phone",
            "dest": None,
            "unless": "is_phone_number",
            "after": "say_not_a_phone_number",
        },
        {"trigger": "back", "source": "phone", "dest": "contact"},
        *_answer("choose", "when", "summary", ["offers_when"], ["store_when"]),
        {"trigger": "back", "source": "when", "dest": "correcting", "conditions": "is_correcting"},
        {"trigger": "back", "source": "when", "dest": "phone", "conditions": "contact_is_phone"},
        {"trigger": "back", "source": "when", "dest": "contact"},
        # The summary: send, correct an item, or go back.
        {
            "trigger": "submit",
            "source": "summary",
            "dest": engine.FINAL,
            "before": "file_ticket",
            "after": "offer_volunteer",
        },
        {"trigger": "correct", "source": "summary", "dest": "correcting"},
        {"trigger": "back", "source": "summary", "dest": "when"},
        *[
            {
                "trigger": f"fix_{item}",
                "source": "correcting",
                "dest": step,
                "before": "start_rewriting" if item == "worry" else "start_correcting",
            }
            for item, step, _ in ITEMS
        ],
        {
            "trigger": "back",
            "source": "correcting",
            "dest": "summary",
            "after": "stop_correcting",
        },
    ]
    model_class = ConsultationModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        state = model.state
        if given.kind == "postback":
            return taps.flow_event(given, self.name)
        if given.kind == "location" and state in ("area", "district"):
            return "locate", {"location": given.location}
        if given.kind == "text" and given.normalised in _BACK_WORDS:
            return "back", {}
        typed_yes_no = given.kind == "text" and given.normalised in _CONSENT_WORDS
        if state in ("consent", "offered") and typed_yes_no:
            return _CONSENT_WORDS[given.normalised], {}
        tapped = self._typed_button(model, given)
        if tapped is not None:
            return tapped
        if state == "worry":
            return self._worry_input(given)
        if state == "phone" and given.kind == "text":
            return "give_phone", {"text": given.text, "message_id": given.message_id}
        if state in ("area", "district") and given.kind == "text":
            # A district is asked by the name residents use; the area buttons only help.
            named = districts.named_in(model.turn.session, given.text)
            if named is not None:
                return "district", {"value": named.slug}
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        body, buttons = QUESTIONS[model.state](model)
        return [text(body, buttons)]

    def _typed_button(
        self, model: FlowModel, given: UserInput
    ) -> tuple[str, dict[str, Any]] | None:
        """Typing a button's label works as tapping it."""
        if given.kind != "text" or not given.normalised:
            return None
        _, buttons = QUESTIONS[model.state](model)
        for button in buttons:
            meant = button.postback if isinstance(button, Button) else None
            if not isinstance(meant, FlowAnswer) or meant.flow != self.name:
                continue
            if normalise(button.label.removeprefix(CHECK)) == given.normalised:
                return meant.event, {"value": meant.value}
        return None

    @staticmethod
    def _worry_input(given: UserInput) -> tuple[str, dict[str, Any]] | None:
        if given.kind == "text" and given.text.strip():
            return "write", {"text": given.text, "message_id": given.message_id}
        if given.kind in ATTACHABLE:
            return "attach", {"kind": given.kind, "message_id": given.message_id}
        if given.kind == "sticker":
            return "sticker", {}
        return None


FLOW = ConsultationFlow()
