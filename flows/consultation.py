"""First-contact consultation (福祉まるごと相談): any worry in, a routed ticket out.

consent → about → categories → area → district → urgency → worry → contact → (phone) → when
→ summary → filed. もどる goes one step back; 直す on the summary picks an item, whose step
then returns to the summary. The diagram is consultation.mmd beside this file.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from transitions import EventData

from flows import answer_time, districts, engine
from flows.engine import Flow, FlowModel
from flows.i18n import N_
from flows.inputs import UserInput, normalise
from flows.messages import Button, LocationButton, Message, text
from flows.phone_numbers import normalised as normalised_phone
from flows.replies import main_menu
from storage import business_time, routing, tickets
from storage.models import Consent, Conversation, District, Team

NAME = "consultation"
# Bump when the consent notice's wording changes: each Consent row says which one was shown.
CONSENT_VERSION = "2026-1"
CONSENT_PURPOSE = "consultation"

# Several messages make one worry; past these, more is not taken here (staff can ask for it).
MAX_WORRY_CHARS = 6000
MAX_WORRY_PARTS = 30
SUMMARY_PREVIEW = 200
# The thread keeps these besides text, each by its LINE message id.
ATTACHABLE = ("image", "video", "audio", "file")

# Answers offered at each step: (value stored, label shown). Order is the order of the buttons.
ABOUT = [
    ("self", N_("Myself")),
    ("family", N_("My family")),
    ("neighbour", N_("Neighbour or friend")),
]
CATEGORIES = [
    ("care", N_("Care and old age")),
    ("childcare", N_("Raising children")),
    ("disability", N_("Disability")),
    ("money", N_("Living and money")),
    ("housing", N_("Housing")),
    ("mind", N_("Mind / withdrawal")),
    ("errands", N_("A little help")),
    ("other", N_("Other / not sure")),
]
URGENCIES = [
    ("today", N_("Within today")),
    ("soon", N_("In a few days")),
    ("anytime", N_("Any time")),
]
CONTACTS = [
    ("line", N_("By LINE")),
    ("phone", N_("By phone")),
    ("visit", N_("Please visit me")),
]
WHEN = [
    ("morning", N_("Morning")),
    ("afternoon", N_("Afternoon")),
    ("anytime", N_("Any time")),
]
UNKNOWN_DISTRICT = "unknown"
PHOTOS = N_("Photos and files")
# The items 直す offers, each with the step it goes back to.
ITEMS = [
    ("about", "about", N_("Who it is about")),
    ("categories", "categories", N_("What it is about")),
    ("district", "area", N_("District")),
    ("urgency", "urgency", N_("How urgent")),
    ("worry", "worry", N_("Your worry")),
    ("contact", "contact", N_("How to contact you")),
    ("when", "when", N_("Best time to contact")),
]

# Free text that clearly asks for help starts a consultation (outside any flow and ticket).
# Each is matched inside the message after folding width and case; keep them specific enough
# that ordinary chatter ("困ったなあ、雨だ") does not match.
HELP_REQUESTS = [
    "相談したい",
    "相談があります",
    "相談があって",
    "相談させて",
    "相談にのって",
    "相談に乗って",
    "相談できますか",
    "困っています",
    "困ってます",
    "困っております",
    "こまっています",
    "誰に相談",
    "だれに相談",
    "どこに相談",
    "助けてほしい",
    "助けて欲しい",
    "たすけてほしい",
    "手伝ってほしい",
    "手伝って欲しい",
    "話を聞いてほしい",
    "話を聞いて欲しい",
    "悩んでいます",
    "悩みがあります",
    "i need help",
    "need some help",
    "i have a problem",
    "who can i ask",
]
_HELP = [normalise(words) for words in HELP_REQUESTS]
_BACK_WORDS = {normalise(word) for word in ("もどる", "戻る", "前に戻る", "back")}
# Typed answers to the consent notice besides its buttons' labels.
_CONSENT_WORDS = {
    **{normalise(w): "agree" for w in ("はい", "同意", "同意します", "いいよ", "yes", "i agree")},
    **{normalise(w): "decline" for w in ("いいえ", "同意しません", "しない", "no")},
}


def is_request_for_help(given: UserInput) -> bool:
    return given.kind == "text" and any(words in given.normalised for words in _HELP)


def forget_message(conversation: Conversation, message_id: str) -> None:
    """An unsent message leaves a half-written worry as well as the inbox."""
    if conversation.flow != NAME:
        return
    parts = conversation.data.get("worry", [])
    kept = [part for part in parts if part.get("id") != message_id]
    if len(kept) != len(parts):
        conversation.data = {**conversation.data, "worry": kept}


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
        return self._located(event) is not None

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
        turn.say(main_menu(turn, _refusal_text(turn)))

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
        district = self._located(event)
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
        self.data["phone"] = normalised_phone(event.kwargs.get("text", ""))

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
        _file(self)

    # Helpers.
    def _record_consent(self, given: bool) -> None:
        turn = self.turn
        turn.session.add(
            Consent(
                resident_id=turn.resident.id,
                purpose=CONSENT_PURPOSE,
                version=CONSENT_VERSION,
                given=given,
                at=turn.now,
            )
        )

    def _located(self, event: EventData) -> District | None:
        location = event.kwargs.get("location")
        if location is None:
            return None
        return districts.nearest(self.turn.session, location.latitude, location.longitude)

    def _say_enough(self) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "That is as much as we can take here. Please tap “Send”; "
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
    states = [
        "consent",
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
        {"trigger": "submit", "source": "summary", "dest": engine.FINAL, "before": "file_ticket"},
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
            if given.data.get("flow") != self.name:
                return None
            return given.data.get("ev", ""), {"value": given.data.get("v", "")}
        if given.kind == "location" and state in ("area", "district"):
            return "locate", {"location": given.location}
        if given.kind == "text" and given.normalised in _BACK_WORDS:
            return "back", {}
        if state == "consent" and given.kind == "text" and given.normalised in _CONSENT_WORDS:
            return _CONSENT_WORDS[given.normalised], {}
        tapped = self._typed_button(model, given)
        if tapped is not None:
            return tapped
        if state == "worry":
            return self._worry_input(given)
        if state == "phone" and given.kind == "text":
            return "give_phone", {"text": given.text}
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        body, buttons = _QUESTIONS[model.state](model)
        return [text(body, buttons)]

    def _typed_button(
        self, model: FlowModel, given: UserInput
    ) -> tuple[str, dict[str, Any]] | None:
        """Typing a button's label works as tapping it."""
        if given.kind != "text" or not given.normalised:
            return None
        _, buttons = _QUESTIONS[model.state](model)
        for button in buttons:
            if not isinstance(button, Button) or button.data.get("flow") != self.name:
                continue
            if normalise(button.label.removeprefix(CHECK)) == given.normalised:
                return button.data["ev"], {"value": button.data.get("v", "")}
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


# Questions: the text and the buttons for each state.
CHECK = "✓"
Question = tuple[str, list[Button | LocationButton]]


def _button(label: str, event: str, value: str = "") -> Button:
    data = {"flow": NAME, "ev": event}
    if value:
        data["v"] = value
    return Button(label[:20], data)


def _back_button(model: FlowModel) -> Button:
    return _button(model.turn._("Back"), "back")


def _ask_consent(model: FlowModel) -> Question:
    turn = model.turn
    notice = turn._(
        "Before we start: what you tell us here is used only to help with your worry. "
        "Only the welfare council and city staff who handle it will see it, and we will not "
        "pass it on without your permission unless a life is in danger. Do you agree?"
    )
    return notice, [
        _button(turn._("I agree"), "agree"),
        _button(turn._("I do not agree"), "decline"),
        _back_button(model),
    ]


def _ask_about(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), "choose", value) for value, label in ABOUT
    ]
    return turn._("Who is this about?"), [*buttons, _back_button(model)]


def _ask_categories(model: FlowModel) -> Question:
    turn = model.turn
    chosen = model.data.get("categories", [])
    buttons: list[Button | LocationButton] = []
    for value, label in CATEGORIES:
        shown = turn._(label)
        buttons.append(_button(CHECK + shown if value in chosen else shown, "toggle", value))
    buttons += [_button(turn._("Next"), "next"), _back_button(model)]
    question = turn._(
        "What is it about? You can choose more than one. “A little help” means things like "
        "taking out the rubbish or shopping. When you are done, tap “Next”."
    )
    if chosen:
        status = turn._("Chosen: {items}", items=_listed(turn, CATEGORIES, chosen))
    else:
        status = turn._("Nothing chosen yet.")
    return f"{question}\n{status}", buttons


def _ask_area(model: FlowModel) -> Question:
    turn = model.turn
    session = turn.session
    buttons: list[Button | LocationButton] = []
    home = turn.resident.district_id
    if home is not None:
        for district in districts.all_districts(session):
            if district.id == home:
                label = turn._("{district} (as before)", district=district.name)
                buttons.append(_button(label, "district", district.slug))
    buttons += [_button(area, "area", area) for area in districts.areas(session)]
    buttons += [
        LocationButton(turn._("Send my location")),
        _button(turn._("Not sure"), "district", UNKNOWN_DISTRICT),
        _back_button(model),
    ]
    question = turn._(
        "Which district is this in? First choose the area. You can also send a location instead."
    )
    return question, buttons


def _ask_district(model: FlowModel) -> Question:
    turn = model.turn
    area = model.data.get("area", "")
    buttons: list[Button | LocationButton] = [
        _button(district.name, "district", district.slug)
        for district in districts.in_area(turn.session, area)
    ]
    buttons += [
        LocationButton(turn._("Send my location")),
        _button(turn._("Not sure"), "district", UNKNOWN_DISTRICT),
        _back_button(model),
    ]
    return turn._("Which district in {area}?", area=area), buttons


def _ask_urgency(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), "choose", value) for value, label in URGENCIES
    ]
    question = turn._(
        "How soon do you need an answer? "
        "If a life is in danger now, please call 119 or 110 straight away."
    )
    return question, [*buttons, _back_button(model)]


def _ask_worry(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [_button(turn._("Send"), "send"), _back_button(model)]
    if model.data.get("worry"):
        return turn._(
            "Got it. Write more if you like; when you have finished, tap “Send”."
        ), buttons
    question = turn._(
        "Please tell us about your worry in your own words. You can send several messages, "
        "and photos too. When you have finished, tap “Send”."
    )
    return question, buttons


def _ask_contact(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), "choose", value) for value, label in CONTACTS
    ]
    return turn._("How should we contact you?"), [*buttons, _back_button(model)]


def _ask_phone(model: FlowModel) -> Question:
    turn = model.turn
    question = turn._("Please type your phone number (for example 090-1234-5678).")
    return question, [_back_button(model)]


def _ask_when(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), "choose", value) for value, label in WHEN
    ]
    return turn._("When is it easiest to reach you?"), [*buttons, _back_button(model)]


def _ask_summary(model: FlowModel) -> Question:
    turn = model.turn
    lines = [turn._("Please check your consultation.")]
    for label, value in summary_items(model):
        lines.append(turn._("・{label}: {value}", label=turn._(label), value=value))
    lines.append(turn._("If it is all right, tap “Send it”."))
    buttons: list[Button | LocationButton] = [
        _button(turn._("Send it"), "submit"),
        _button(turn._("Change something"), "correct"),
        Button(turn._("Stop"), {"cmd": "cancel"}),
        _back_button(model),
    ]
    return "\n".join(lines), buttons


def _ask_correcting(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), f"fix_{item}") for item, _, label in ITEMS
    ]
    return turn._("Which item would you like to change?"), [*buttons, _back_button(model)]


_QUESTIONS = {
    "consent": _ask_consent,
    "about": _ask_about,
    "categories": _ask_categories,
    "area": _ask_area,
    "district": _ask_district,
    "urgency": _ask_urgency,
    "worry": _ask_worry,
    "contact": _ask_contact,
    "phone": _ask_phone,
    "when": _ask_when,
    "summary": _ask_summary,
    "correcting": _ask_correcting,
}


def summary_items(model: FlowModel) -> list[tuple[str, str]]:
    """Each item's label (a msgid) and the answer as the resident reads it."""
    turn = model.turn
    data = model.data
    labels = {item: label for item, _, label in ITEMS}
    district = districts.by_slug(turn.session, data.get("district", ""))
    written = [p["text"] for p in data.get("worry", []) if p.get("kind") == "text"]
    words = "\n".join(written)
    if not words:
        worry = turn._("(not written)")
    elif len(words) > SUMMARY_PREVIEW:
        more = turn._("({count} characters in all)", count=sum(map(len, written)))
        worry = f"{words[:SUMMARY_PREVIEW]}… {more}"
    else:
        worry = words
    if data.get("contact") == "phone":
        contact = turn._("By phone ({phone})", phone=data.get("phone", ""))
    else:
        contact = _label(turn, CONTACTS, data.get("contact"))
    items = [
        (labels["about"], _label(turn, ABOUT, data.get("about"))),
        (labels["categories"], _listed(turn, CATEGORIES, data.get("categories", []))),
        (labels["district"], district.name if district else turn._("Not sure")),
        (labels["urgency"], _label(turn, URGENCIES, data.get("urgency"))),
        (labels["worry"], worry),
    ]
    attachments = [p for p in data.get("worry", []) if p.get("kind") != "text"]
    if attachments:
        items.append((PHOTOS, str(len(attachments))))
    items += [
        (labels["contact"], contact),
        (labels["when"], _label(turn, WHEN, data.get("when"))),
    ]
    return items


def _label(turn: engine.Turn, choices: list[tuple[str, str]], value: str | None) -> str:
    label = dict(choices).get(value or "")
    return turn._(label) if label else ""


def _listed(turn: engine.Turn, choices: list[tuple[str, str]], values: list[str]) -> str:
    separator = "、" if turn.resident.language == "ja" else ", "
    return separator.join(_label(turn, choices, value) for value in values)


def _file(model: FlowModel) -> None:
    """Route, open the ticket with the worry as its first messages, and say what happens next."""
    turn = model.turn
    session = turn.session
    data = model.data
    district = districts.by_slug(session, data.get("district", ""))
    district_id = district.id if district else None
    categories = list(data.get("categories", []))
    urgency = data.get("urgency", "anytime")
    about = data.get("about")
    team = routing.route(
        session, categories=categories, district_id=district_id, urgency=urgency, about=about
    )
    contact = {"method": data.get("contact"), "when": data.get("when")}
    if data.get("phone"):
        contact["phone"] = data["phone"]
    intake = {
        "consent_version": CONSENT_VERSION,
        "about": about,
        "categories": categories,
        "district": district.slug if district else None,
        "located_by_map": bool(data.get("located")),
        "urgency": urgency,
        "contact": data.get("contact"),
        "when": data.get("when"),
        "language": turn.resident.language,
    }
    ticket = tickets.open_ticket(
        session,
        resident=turn.resident,
        kind="consultation",
        team=team,
        now=turn.now,
        urgency=urgency,
        categories=categories,
        about=about,
        district_id=district_id,
        intake=intake,
        contact=contact,
    )
    for part in data.get("worry", []):
        if part.get("kind") == "text":
            body, attachments = part["text"], []
        else:
            body, attachments = "", [{"type": part.get("kind"), "message_id": part.get("id")}]
        tickets.add_message(
            session,
            ticket,
            author="resident",
            now=turn.now,
            body=body,
            attachments=attachments,
            line_message_id=part.get("id"),
        )
    # Only a worry about themselves says where the resident lives.
    if district is not None and about == "self":
        turn.resident.district_id = district.id
    reply = _filed(turn, ticket.reference, team, urgency, contact)
    # Staff see in the thread what the resident was told, promised time included.
    tickets.add_message(session, ticket, author="bot", now=turn.now, body=reply["text"])
    turn.say(reply)


def _filed(
    turn: engine.Turn, reference: str, team: Team, urgency: str, contact: dict[str, Any]
) -> Message:
    expected = business_time.expected_answer(team, urgency, turn.now)
    when = answer_time.phrase(turn.resident.language, expected)
    lines = [
        turn._("Thank you. We have received your consultation."),
        turn._("Reference number: {reference}", reference=reference),
        turn._("Team: {team}", team=team_name(turn, team)),
        turn._("Someone from the team will contact you {when}.", when=when),
    ]
    method = contact.get("method")
    if method == "phone":
        lines.append(turn._("We will call you at {phone}.", phone=contact.get("phone", "")))
    elif method == "visit":
        lines.append(turn._("We will arrange the visit with you here in LINE."))
    else:
        lines.append(turn._("We will answer here in LINE."))
    lines.append(turn._("Anything you write here from now on also reaches the staff."))
    body = "\n".join(lines)
    note = closed_note(turn, team)
    if note:
        body = f"{body}\n\n{note}"
    return text(body, [Button(turn._("Menu"), {"cmd": "menu"})])


def team_name(turn: engine.Turn, team: Team) -> str:
    if turn.resident.language != "ja" and team.name_en:
        return team.name_en
    return team.name


def closed_note(turn: engine.Turn, team: Team) -> str | None:
    """When the team is closed: when a person will read it, and what to do if it cannot wait."""
    return answer_time.outside_hours_note(turn.resident.language, team, turn.now)


def _refusal_text(turn: engine.Turn) -> str:
    team = turn.session.scalar(select(Team).where(Team.slug == routing.DEFAULT_TEAM))
    phone = team.phone if team and team.phone else "0465-00-0000"
    name = team_name(turn, team) if team else turn._("the welfare council")
    opens, closes = "8:30", "17:15"
    if team and team.hours and team.hours[0]:
        opens, closes = (time.lstrip("0") for time in team.hours[0][0])
    return turn._(
        "All right, we will not go ahead in LINE. You can also talk to us by phone: "
        "{team}, {phone} (weekdays {opens} to {closes}).",
        team=name,
        phone=phone,
        opens=opens,
        closes=closes,
    )


FLOW = engine.register(ConsultationFlow())
