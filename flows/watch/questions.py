"""What the watch flow asks and offers: each state's question and buttons, the answers it
offers, and the invitation a resident passes on to family (a code, and a ready-made message to
forward).

flows/watch/enrolling.py is the machine that moves between the states; reading reads
typed answers and says schedules back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from babel.dates import get_day_names

from flows.engine import Turn
from flows.messages import MAX_LABEL, Button, LinkButton, Message, text
from flows.postback import FlowAnswer, MenuChoice
from flows.replies import menu_button
from flows.watch.reading import when_ahead
from locales import N_, supported, watch_words
from storage.models import WatchEnrolment, WatchFamilyLink
from storage.watch import enrolments, linking
from storage.watch.schedules import EARLIEST, LATEST, Schedule, describe

if TYPE_CHECKING:
    # Only for hints: the machine imports this module.
    from flows.watch.enrolling import WatchModel

NAME = "watch"

# How many weekdays each frequency (locales.watch_words.FREQUENCIES) asks for.
WEEKDAYS_NEEDED = {"twice_weekly": 2, "weekly": 1}
# Answers offered at each step: (value stored, label shown). Order is the order of the buttons.
TIMES = [
    ("08:00", N_("Morning 8:00")),
    ("12:00", N_("Noon 12:00")),
    ("17:00", N_("Evening 17:00")),
]
# Waits before the reminder and before alerting family: "standard" follows the settings.
WAITS = [
    ("standard", N_("Standard")),
    ("short", N_("Shorter (1 h + 1 h)")),
    ("long", N_("Longer (6 h + 6 h)")),
]
PAUSES = [
    ("3", N_("3 days")),
    ("7", N_("1 week")),
    ("14", N_("2 weeks")),
    ("30", N_("1 month")),
]
SHARE_URL = "https://line.me/R/share?text="
# LINE's URL scheme for a chat with an official account, `text` typed in (not yet sent).
OA_MESSAGE_URL = "https://line.me/R/oaMessage/{account}/?{text}"
MAX_URI = 1000  # LINE's limit for a URI action


def _button(turn: Turn, label: str, event: str, value: str = "") -> Button:
    return Button(_fit(turn._(label)), FlowAnswer(NAME, event, value))


def _fit(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


# What each state asks.


def _ask_menu(model: WatchModel) -> list[Message]:
    turn = model.turn
    enrolment = model.enrolment
    family_part = _family_status(model)
    if enrolment is not None:
        buttons = []
        if enrolment.status == "active":
            buttons.append(_button(turn, N_("Take a break"), "pause"))
        else:
            buttons.append(_button(turn, N_("Start again now"), "resume"))
        buttons += [
            _button(turn, N_("Change day and time"), "change"),
            _button(turn, N_("Family"), "family"),
            _button(turn, N_("Code for family"), "code"),
            _button(turn, N_("Stop watch-over"), "stop"),
        ]
        buttons += _family_buttons(model)
        body = _status_of_mine(model, enrolment)
        if family_part:
            body += "\n\n" + family_part
        return [text(body, [*buttons[:12], menu_button(turn)])]
    intro = turn._(
        "Watch-over: on the days and at the time you choose, we send you \u201cHow are you?\u201d "
        "and you answer with one tap.\n"
        "If there is no answer, we ask once more. If there is still no answer, we tell the "
        "family members you register and the council's watch-over staff, so someone checks "
        "on you.\n"
        "They are told only whether and when you answered. You can pause or stop at any time."
    )
    buttons = [
        _button(turn, N_("Agree and sign up"), "agree"),
        _button(turn, N_("Not now"), "decline"),
        *_family_buttons(model),
        Button(turn._("I have a family code"), MenuChoice("family_link")),
        menu_button(turn),
    ]
    if family_part:
        intro = family_part + "\n\n" + intro
    return [text(intro, buttons[:13])]


def _status_of_mine(model: WatchModel, enrolment: WatchEnrolment) -> str:
    turn = model.turn
    lang = turn.resident.language
    lines = [turn._("Watch-over: {schedule}", schedule=describe(lang, Schedule.of(enrolment)))]
    if enrolment.status == "paused" and enrolment.paused_until is not None:
        lines.append(
            turn._("Paused until {day}.", day=watch_words.day_of(lang, enrolment.paused_until))
        )
    else:
        due = enrolments.next_checkin(turn.session, enrolment, turn.now)
        if due is not None:
            lines.append(turn._("Next check-in: {when}", when=when_ahead(lang, due, turn.now)))
    lines.append(
        watch_words.last_sign(
            lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, turn.now
        )
    )
    families = linking.family_links(turn.session, enrolment)
    lines.append(turn._("Family members registered: {count}", count=len(families)))
    return "\n".join(lines)


def _family_status(model: WatchModel) -> str:
    """A family member's short status of each person they watch over."""
    turn = model.turn
    lang = turn.resident.language
    parts = []
    for link in model.watched:
        enrolment = link.enrolment
        line = f"{watch_words.name_of(enrolment.resident, lang)}: " + watch_words.last_sign(
            lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, turn.now
        )
        if enrolment.status == "paused" and enrolment.paused_until is not None:
            line += " " + turn._(
                "(paused until {day})", day=watch_words.day_of(lang, enrolment.paused_until)
            )
        parts.append(line)
    return "\n".join(parts)


def _family_buttons(model: WatchModel) -> list[Button]:
    turn = model.turn
    buttons = []
    for link in model.watched:
        name = watch_words.name_of(link.enrolment.resident, turn.resident.language)[:9]
        if link.enrolment.status == "active":
            buttons.append(
                Button(
                    _fit(turn._("Pause {name}", name=name)),
                    FlowAnswer(NAME, "fam_pause", str(link.id)),
                )
            )
        buttons.append(
            Button(
                _fit(turn._("Leave {name}", name=name)),
                FlowAnswer(NAME, "fam_unlink", str(link.id)),
            )
        )
    return buttons


def _ask_frequency(model: WatchModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._("How often should we check on you?"),
            [_button(turn, label, "often", value) for value, label in watch_words.FREQUENCIES],
        )
    ]


def _ask_weekdays(model: WatchModel) -> list[Message]:
    turn = model.turn
    lang = supported(turn.resident.language)
    needed = WEEKDAYS_NEEDED.get(model.data.get("frequency", ""), 1)
    chosen = model.data.get("weekdays", [])
    names = get_day_names("wide", locale=lang)
    if needed == 2 and chosen:
        body = turn._("{first} is chosen. Which other day of the week?", first=names[chosen[0]])
    elif needed == 2:
        body = turn._("Which two days of the week? Tap the first one.")
    else:
        body = turn._("Which day of the week?")
    buttons = [
        Button(names[day], FlowAnswer(NAME, "day", str(day)))
        for day in range(7)
        if day not in chosen
    ]
    return [text(body, buttons)]


def _ask_time(model: WatchModel) -> list[Message]:
    turn = model.turn
    earliest, latest = EARLIEST.strftime("%-H:%M"), LATEST.strftime("%-H:%M")
    return [
        text(
            turn._(
                "At what time? Tap one, or write a time such as 9:30 (between {earliest} "
                "and {latest}).",
                earliest=earliest,
                latest=latest,
            ),
            [_button(turn, label, "at", value) for value, label in TIMES],
        )
    ]


def _ask_waits(model: WatchModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._(
                "If there is no answer, how long should we wait before asking again, and "
                "then before telling your family? Standard is 3 hours each."
            ),
            [_button(turn, label, "wait", value) for value, label in WAITS],
        )
    ]


def _ask_confirm(model: WatchModel) -> list[Message]:
    turn = model.turn
    schedule = model.schedule()
    wait = dict(WAITS)[model.data.get("wait", "standard")]
    return [
        text(
            turn._(
                "Is this right?\nCheck-ins: {schedule}\nWaiting: {wait}",
                schedule=describe(turn.resident.language, schedule),
                wait=turn._(wait),
            ),
            [
                _button(turn, N_("Yes, start"), "yes"),
                _button(turn, N_("Choose again"), "redo"),
            ],
        )
    ]


def _ask_pause_until(model: WatchModel) -> list[Message]:
    turn = model.turn
    event = "until"
    return [
        text(
            turn._(
                "For how long? (In hospital, travelling …) Tap one, or write the day to start "
                "again, such as 5/20. No alerts are sent while paused."
            ),
            [_button(turn, label, event, value) for value, label in PAUSES],
        )
    ]


def _ask_family_list(model: WatchModel) -> list[Message]:
    turn = model.turn
    enrolment = model.enrolment
    assert enrolment is not None
    links = linking.family_links(turn.session, enrolment)
    if not links:
        body = turn._(
            "No family member is registered yet. Send them the code for family, and they "
            "can register in LINE."
        )
    else:
        names = "\n".join(
            "・"
            + watch_words.name_of(link.family, turn.resident.language, watch_words.A_FAMILY_MEMBER)
            for link in links
        )
        body = turn._("Family members who receive notices:\n{names}", names=names)
    buttons = [
        Button(
            _fit(turn._("Remove {name}", name=_short_name(turn, link))),
            FlowAnswer(NAME, "unlink", str(link.id)),
        )
        for link in links[:10]
    ]
    buttons += [_button(turn, N_("Code for family"), "code"), menu_button(turn)]
    return [text(body, buttons)]


def _short_name(turn: Turn, link: WatchFamilyLink) -> str:
    return watch_words.name_of(link.family, turn.resident.language, watch_words.A_FAMILY_MEMBER)[
        :12
    ]


def _ask_confirm_stop(model: WatchModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._(
                "Stop watch-over? Check-ins end, and your family will be told. "
                "(To stop for a while, \u201cTake a break\u201d is better.)"
            ),
            [
                _button(turn, N_("Yes, stop"), "yes"),
                _button(turn, N_("No, keep it"), "no"),
            ],
        )
    ]


QUESTIONS: dict[str, Callable[[WatchModel], list[Message]]] = {
    "menu": _ask_menu,
    "frequency": _ask_frequency,
    "weekdays": _ask_weekdays,
    "time": _ask_time,
    "waits": _ask_waits,
    "confirm": _ask_confirm,
    "pause_until": _ask_pause_until,
    "family_list": _ask_family_list,
    "confirm_stop": _ask_confirm_stop,
    "family_pause_until": _ask_pause_until,
}


# The invitation for family: a code to read out, and a ready-made message to forward.


def invitation_messages(turn: Turn, enrolment: WatchEnrolment) -> list[Message]:
    invitation = linking.live_invitation(
        turn.session, enrolment, turn.now
    ) or linking.new_invitation(turn.session, enrolment, turn.now)
    lang = turn.resident.language
    spaced = f"{invitation.code[:3]} {invitation.code[3:]}"
    until = watch_words.day_of(lang, invitation.expires_at)
    body = turn._(
        "Code for family: {code} (valid until {day}).\nYour family member adds this LINE "
        "account as a friend and sends the code. Then we ask you to confirm.",
        code=spaced,
        day=until,
    )
    forward = _forward(turn, invitation.code, until)
    uri = SHARE_URL + quote(forward, safe="")
    if len(uri) > MAX_URI:
        return [text(body), text(forward)]
    return [text(body, [LinkButton(_fit(turn._("Send to family")), uri)])]


def _forward(turn: Turn, code: str, until: str) -> str:
    """What the resident sends on to family: the code, and how to use it.

    With the account's LINE ID it carries a link that opens the chat with the account (after
    adding it as a friend, if need be) with the code already typed: one tap to send, for a
    son or daughter who has never heard of the council's account.
    """
    if not turn.basic_id:
        return turn._(
            "Watch-over code {code} (until {day}). Add the welfare council's LINE account as a "
            "friend and send this code.",
            code=code,
            day=until,
        )
    typed = turn._("Watch-over code {code}", code=code)
    link = OA_MESSAGE_URL.format(account=quote(turn.basic_id, safe=""), text=quote(typed, safe=""))
    return turn._(
        "Watch-over code {code} (until {day}). Open this link and send the code as it is:\n{link}",
        code=code,
        day=until,
        link=link,
    )
