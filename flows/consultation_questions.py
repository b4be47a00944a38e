"""What the consultation asks and offers: each step's question and buttons, the answers it
accepts, and the summary the resident checks before sending (flows/consultation.py is the
machine that moves between them)."""

from __future__ import annotations

from flows import districts, engine
from flows.engine import FlowModel
from flows.messages import Button, LocationButton
from flows.postback import CANCEL, Command, FlowAnswer
from locales import N_
from locales.consultation_choices import CATEGORIES, WHEN

NAME = "consultation"
# Bump when the consent notice's wording changes: each Consent row says which one was shown.
CONSENT_VERSION = "2026-1"
CONSENT_PURPOSE = "consultation"
SUMMARY_PREVIEW = 200
# Answers offered at each step: (value stored, label shown). Order is the order of the buttons.
ABOUT = [
    ("self", N_("Myself")),
    ("family", N_("My family")),
    ("neighbour", N_("Neighbour or friend")),
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


# Questions: the text and the buttons for each state.
CHECK = "✓"
Question = tuple[str, list[Button | LocationButton]]


def _button(label: str, event: str, value: str = "") -> Button:
    return Button(label[:20], FlowAnswer(NAME, event, value))


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


def _ask_offered(model: FlowModel) -> Question:
    turn = model.turn
    chosen = model.data.get("categories", [])
    if chosen:
        topic = _listed(turn, CATEGORIES, chosen)
        question = turn._(
            "A worry about {topic}, is that right? Shall we pass it to a member of staff?",
            topic=topic,
        )
    else:
        question = turn._("Is this a worry? Shall we pass it to a member of staff?")
    return question, [
        _button(turn._("Yes, please"), "agree"),
        _button(turn._("No, thank you"), "decline"),
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
    items: list[Button | LocationButton] = []
    for value, label in CATEGORIES:
        shown = turn._(label)
        items.append(_button(CHECK + shown if value in chosen else shown, "toggle", value))
    forward = _button(turn._("Next"), "next")
    # On a phone only the first three or four quick replies show: once something is chosen,
    # "Next" comes first so nobody has to scroll sideways for it.
    buttons = (
        [forward, *items, _back_button(model)] if chosen else [*items, forward, _back_button(model)]
    )
    if chosen:
        status = turn._("Chosen: {items}", items=_listed(turn, CATEGORIES, chosen))
    else:
        status = turn._("Nothing chosen yet.")
    toggled = model.data.get("toggled")
    if toggled and toggled[2] == turn.now.isoformat():
        # Right after a tap: what it did, in a line, not the whole question again.
        item = _label(turn, CATEGORIES, toggled[0])
        did = (
            turn._("“{item}” chosen.", item=item)
            if toggled[1]
            else turn._("“{item}” taken off.", item=item)
        )
        return f"{did}\n{status}\n" + turn._("Choose more if you like, then tap “Next”."), buttons
    question = turn._(
        "What is it about? You can choose more than one. “A little help” means things like "
        "taking out the rubbish or shopping. When you are done, tap “Next”."
    )
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
        "Which district is this in? Type its name (for example 早川), or choose the area "
        "below first. You can also send a location."
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
    buttons: list[Button | LocationButton] = [
        _button(turn._("Done writing"), "send"),
        _back_button(model),
    ]
    worry = model.data.get("worry", [])
    if model.data.get("carried") and len(worry) == 1:
        first = worry[0].get("text", "")
        shown = first if len(first) <= 40 else first[:39] + "…"
        return turn._(
            "We have kept what you wrote: “{words}”. Add more if you like; when you have "
            "finished, tap “Done writing”.",
            words=shown,
        ), buttons
    if worry:
        return turn._(
            "Got it. Write more if you like; when you have finished, tap “Done writing”."
        ), buttons
    question = turn._(
        "Please tell us about your worry in your own words. You can send several messages, "
        "and photos too. When you have finished, tap “Done writing”."
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
        Button(turn._("Stop"), Command(CANCEL)),
        _back_button(model),
    ]
    return "\n".join(lines), buttons


def _ask_correcting(model: FlowModel) -> Question:
    turn = model.turn
    buttons: list[Button | LocationButton] = [
        _button(turn._(label), f"fix_{item}") for item, _, label in ITEMS
    ]
    return turn._("Which item would you like to change?"), [*buttons, _back_button(model)]


QUESTIONS = {
    "consent": _ask_consent,
    "offered": _ask_offered,
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
