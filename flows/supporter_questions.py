"""What the 生活応援隊 sign-up asks and offers: each state's question and buttons, and how a
supporter's answers are said back (the summary, the status a registered supporter sees).

flows/supporter_signup.py is the machine that moves between the states.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from babel.dates import get_day_names

from flows import districts
from flows.engine import Turn
from flows.messages import MAX_LABEL, Button, LocationButton, Message, text
from flows.postback import FlowAnswer
from flows.replies import menu_button
from locales import N_, supported
from storage.models import HELP_KINDS, TIME_BANDS, Supporter

if TYPE_CHECKING:
    # Only for hints: the machine imports this module.
    from flows.supporter_signup import SupporterModel

NAME = "supporter"
CHECK = "✓"
ANY_DAY = "all"
MAX_FIRST_NAME = 20
STATUS_LABELS = {
    "applied": N_("waiting for a coordinator to contact you"),
    "active": N_("receiving requests"),
    "paused": N_("taking a break"),
}


def _fit(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _button(turn: Turn, label: str, event: str, value: str = "") -> Button:
    return Button(_fit(turn._(label)), FlowAnswer(NAME, event, value))


def _ticked(turn: Turn, label: str, chosen: bool, event: str, value: str) -> Button:
    shown = turn._(label)
    return Button(_fit(CHECK + shown if chosen else shown), FlowAnswer(NAME, event, value))


# Saying answers back.


def listed(turn: Turn, choices: Sequence[tuple[str, str]], values: Sequence[str]) -> str:
    labels = dict(choices)
    return turn._(", ").join(turn._(labels[value]) for value in values if value in labels)


def day_names(turn: Turn, weekdays: Sequence[int]) -> str:
    if sorted(weekdays) == list(range(7)):
        return turn._("Any day")
    names = get_day_names("abbreviated", locale=supported(turn.resident.language))
    return turn._(", ").join(names[day] for day in sorted(weekdays))


def district_name(turn: Turn, slug: str | None) -> str:
    district = districts.by_slug(turn.session, slug or "")
    return district.name if district is not None else "-"


def details(turn: Turn, data: dict[str, object]) -> str:
    """What they help with, where and when: for the summary and the status."""
    return turn._(
        "Help: {kinds}\nWhere: {district}\nDays: {days}\nTime of day: {bands}",
        kinds=listed(turn, HELP_KINDS, _strings(data.get("kinds"))),
        district=district_name(turn, str(data.get("district") or "")),
        days=day_names(turn, [int(day) for day in _list(data.get("weekdays"))]),
        bands=listed(turn, TIME_BANDS, _strings(data.get("bands"))),
    )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list) else []


def _strings(value: object) -> list[str]:
    return [str(item) for item in _list(value)]


# What each state asks.


def _ask_menu(model: SupporterModel) -> list[Message]:
    turn = model.turn
    supporter = model.supporter
    if supporter is None:
        intro = turn._(
            "生活応援隊: neighbours who help with small things, like taking out the rubbish or "
            "shopping. Register what you can do, where and when; requests then come here, and "
            "you can always say no."
        )
        return [
            text(
                intro,
                [
                    _button(turn, N_("Register"), "agree"),
                    _button(turn, N_("Not now"), "decline"),
                    menu_button(turn),
                ],
            )
        ]
    status = turn._(
        "You are registered with 生活応援隊 ({status}).",
        status=turn._(STATUS_LABELS.get(supporter.status, "")),
    )
    body = "\n".join([status, details(turn, supporter_answers(supporter))])
    buttons = [
        _button(turn, N_("Start again now"), "resume")
        if supporter.status == "paused"
        else _button(turn, N_("Take a break"), "pause"),
        _button(turn, N_("Change what I do"), "change"),
        _button(turn, N_("Change name or phone"), "contact"),
        _button(turn, N_("Leave 生活応援隊"), "leave"),
        menu_button(turn),
    ]
    return [text(body, buttons)]


def _ask_kinds(model: SupporterModel) -> list[Message]:
    turn = model.turn
    chosen = model.data.get("kinds", [])
    buttons = [_ticked(turn, label, value in chosen, "kind", value) for value, label in HELP_KINDS]
    done = _button(turn, N_("Done"), "next")
    body = turn._("What can you help with? Choose as many as you like, then tap \u201cDone\u201d.")
    if chosen:
        body += "\n" + turn._("Chosen: {items}", items=listed(turn, HELP_KINDS, chosen))
        return [text(body, [done, *buttons])]
    return [text(body, [*buttons, done])]


def _ask_area(model: SupporterModel) -> list[Message]:
    turn = model.turn
    session = turn.session
    buttons: list[Button | LocationButton] = []
    home = turn.resident.district_id
    for district in districts.all_districts(session):
        if district.id == home:
            label = turn._("{district} (as before)", district=district.name)
            buttons.append(Button(_fit(label), FlowAnswer(NAME, "district", district.slug)))
    buttons += [
        Button(_fit(area), FlowAnswer(NAME, "area", area)) for area in districts.areas(session)
    ]
    buttons.append(LocationButton(turn._("Send my location")))
    body = turn._(
        "In which district can you help? Type its name (for example 早川), or choose the "
        "area below first. You can also send a location."
    )
    return [text(body, buttons)]


def _ask_district(model: SupporterModel) -> list[Message]:
    turn = model.turn
    area = str(model.data.get("area", ""))
    buttons: list[Button | LocationButton] = [
        Button(_fit(district.name), FlowAnswer(NAME, "district", district.slug))
        for district in districts.in_area(turn.session, area)[:10]
    ]
    buttons += [
        LocationButton(turn._("Send my location")),
        _button(turn, N_("Other areas"), "back"),
    ]
    return [text(turn._("Which district in {area}?", area=area), buttons)]


def _ask_days(model: SupporterModel) -> list[Message]:
    turn = model.turn
    chosen = model.data.get("weekdays", [])
    names = get_day_names("wide", locale=supported(turn.resident.language))
    buttons = [_button(turn, N_("Any day"), "day", ANY_DAY)]
    buttons += [
        Button(
            _fit(CHECK + names[day] if day in chosen else names[day]),
            FlowAnswer(NAME, "day", str(day)),
        )
        for day in range(7)
    ]
    done = _button(turn, N_("Done"), "next")
    body = turn._(
        "Which days of the week can you help? Choose all that suit you, then \u201cDone\u201d."
    )
    if chosen:
        body += "\n" + turn._("Chosen: {items}", items=day_names(turn, chosen))
        return [text(body, [done, *buttons])]
    return [text(body, [*buttons, done])]


def _ask_times(model: SupporterModel) -> list[Message]:
    turn = model.turn
    chosen = model.data.get("bands", [])
    buttons = [_ticked(turn, label, value in chosen, "band", value) for value, label in TIME_BANDS]
    done = _button(turn, N_("Done"), "next")
    body = turn._("At what time of day? Choose all that suit you, then \u201cDone\u201d.")
    if chosen:
        body += "\n" + turn._("Chosen: {items}", items=listed(turn, TIME_BANDS, chosen))
        return [text(body, [done, *buttons])]
    return [text(body, [*buttons, done])]


def _ask_name(model: SupporterModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._(
                "Please type your first name, as the person you help will call you "
                "(for example 花子)."
            )
        )
    ]


def _ask_phone(model: SupporterModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._(
                "Please type a phone number the person you help can call, for example "
                "090-1234-5678."
            )
        )
    ]


def _ask_consent(model: SupporterModel) -> list[Message]:
    turn = model.turn
    body = turn._(
        "When you take on a request, the person you help is told your first name ({name}) "
        "and phone number, and you are told theirs. Is that all right?",
        name=model.data.get("name", ""),
    )
    return [
        text(
            body,
            [_button(turn, N_("Yes"), "consent"), _button(turn, N_("I'd rather not"), "refuse")],
        )
    ]


def _ask_confirm(model: SupporterModel) -> list[Message]:
    turn = model.turn
    data = model.data
    body = "\n".join(
        [
            turn._("Is this right?"),
            details(turn, data),
            turn._("Name: {name}", name=data.get("name", "")),
            turn._("Phone: {phone}", phone=data.get("phone", "")),
        ]
    )
    yes = N_("Save") if model.supporter is not None else N_("Register")
    return [text(body, [_button(turn, yes, "yes"), _button(turn, N_("Choose again"), "redo")])]


def _ask_confirm_leave(model: SupporterModel) -> list[Message]:
    turn = model.turn
    body = turn._(
        "Leave 生活応援隊? Your first name and phone number will be deleted, and no more "
        "requests will come. (To stop for a while, \u201cTake a break\u201d is better.)"
    )
    return [
        text(
            body,
            [_button(turn, N_("Yes, leave"), "yes"), _button(turn, N_("No, stay"), "no")],
        )
    ]


QUESTIONS: dict[str, Callable[[SupporterModel], list[Message]]] = {
    "menu": _ask_menu,
    "kinds": _ask_kinds,
    "area": _ask_area,
    "district": _ask_district,
    "days": _ask_days,
    "times": _ask_times,
    "name": _ask_name,
    "phone": _ask_phone,
    "consent": _ask_consent,
    "confirm": _ask_confirm,
    "confirm_leave": _ask_confirm_leave,
}


def supporter_answers(supporter: Supporter) -> dict[str, object]:
    """A registration as the flow's data, to change it from what it is."""
    district = supporter.district
    return {
        "kinds": list(supporter.kinds),
        "district": district.slug if district is not None else None,
        "area": district.area if district is not None else "",
        "weekdays": list(supporter.weekdays),
        "bands": list(supporter.time_bands),
        "name": supporter.first_name or "",
        "phone": supporter.phone or "",
        "consented": True,
    }
