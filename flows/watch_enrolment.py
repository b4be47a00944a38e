"""見守り from the menu: enrol, or — once enrolled — see the status, pause, change, stop.

The first state, `menu`, shows what fits the person: a newcomer reads what watch-over is and
who is told, and gives consent; an enrolled resident sees their status and options; a family
member sees the people they watch over, each with a short status. Enrolling goes
frequency → (weekdays) → time → waits → confirm, then hands out the family invitation code.
The diagram is watch_enrolment.mmd beside this file.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any
from urllib.parse import quote

from babel.dates import get_day_names
from linebot.v3.messaging import QuickReply, QuickReplyItem, TextMessage, URIAction
from transitions import EventData

from flows import checkin, engine, postback
from flows import watch_words as words
from flows.engine import Flow, FlowModel, Turn
from flows.i18n import N_, gettext, supported
from flows.inputs import UserInput, normalise
from flows.messages import MAX_LABEL, Button, Message, text
from storage import watch as store
from storage.models import WatchEnrolment, WatchFamilyLink
from storage.watch import EARLIEST, LATEST, TOWN_TZ, Schedule

NAME = "watch"

FREQUENCIES = [
    ("daily", N_("Every day")),
    ("every2", N_("Every other day")),
    ("twice_weekly", N_("Twice a week")),
    ("weekly", N_("Once a week")),
]
WEEKDAYS_NEEDED = {"twice_weekly": 2, "weekly": 1}
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
WAIT_SECONDS = {"standard": None, "short": 3600, "long": 6 * 3600}
PAUSES = [
    ("3", N_("3 days")),
    ("7", N_("1 week")),
    ("14", N_("2 weeks")),
    ("30", N_("1 month")),
]
MAX_PAUSE = timedelta(days=366)
# Family members shown with buttons in the family menu (two buttons each).
MAX_WATCHED = 5
SHARE_URL = "https://line.me/R/share?text="
# LINE's URL scheme for a chat with an official account, `text` typed in (not yet sent).
OA_MESSAGE_URL = "https://line.me/R/oaMessage/{account}/?{text}"
MAX_URI = 1000  # LINE's limit for a URI action


class WatchModel(FlowModel):
    """Callbacks of the watch flow; `data` holds the schedule being chosen."""

    @cached_property
    def enrolment(self) -> WatchEnrolment | None:
        return store.running_enrolment(self.turn.session, self.turn.resident, lock=True)

    @cached_property
    def watched(self) -> list[WatchFamilyLink]:
        return store.watched_by(self.turn.session, self.turn.resident)[:MAX_WATCHED]

    def _link(self, value: str) -> WatchFamilyLink | None:
        return next((link for link in self.watched if str(link.id) == value), None)

    # Conditions.

    def is_new(self, event: EventData) -> bool:
        return self.enrolment is None

    def is_enrolled(self, event: EventData) -> bool:
        return self.enrolment is not None

    def is_active(self, event: EventData) -> bool:
        return self.enrolment is not None and self.enrolment.status == "active"

    def is_paused(self, event: EventData) -> bool:
        return self.enrolment is not None and self.enrolment.status == "paused"

    def watches(self, event: EventData) -> bool:
        return self._link(str(event.kwargs.get("value", ""))) is not None

    def is_frequency(self, event: EventData) -> bool:
        return event.kwargs.get("value") in dict(FREQUENCIES)

    def needs_weekdays(self, event: EventData) -> bool:
        return event.kwargs.get("value") in WEEKDAYS_NEEDED

    def is_weekday(self, event: EventData) -> bool:
        days = event.kwargs.get("days") or []
        return bool(days) and all(day in range(7) for day in days)

    def completes_weekdays(self, event: EventData) -> bool:
        chosen = set(self.data.get("weekdays", [])) | set(event.kwargs.get("days") or [])
        return len(chosen) >= WEEKDAYS_NEEDED[self.data["frequency"]]

    def is_time(self, event: EventData) -> bool:
        return parse_time(str(event.kwargs.get("value", ""))) is not None

    def is_wait(self, event: EventData) -> bool:
        return event.kwargs.get("value") in WAIT_SECONDS

    def is_resume_day(self, event: EventData) -> bool:
        return self._resume_day(event) is not None

    def is_linked_family(self, event: EventData) -> bool:
        enrolment = self.enrolment
        return enrolment is not None and any(
            str(link.id) == event.kwargs.get("value")
            for link in store.family_links(self.turn.session, enrolment)
        )

    # Enrolling.

    def consent(self, event: EventData) -> None:
        store.record_consent(self.turn.session, self.turn.resident, True, self.turn.now)

    def decline(self, event: EventData) -> None:
        turn = self.turn
        store.record_consent(turn.session, turn.resident, False, turn.now)
        turn.say(
            text(
                turn._(
                    "All right. If you change your mind, tap Watch-over in the menu at any time."
                )
            )
        )

    def start_change(self, event: EventData) -> None:
        self.data["changing"] = True

    def set_frequency(self, event: EventData) -> None:
        self.data["frequency"] = event.kwargs["value"]
        self.data["weekdays"] = []

    def add_weekdays(self, event: EventData) -> None:
        chosen = list(dict.fromkeys([*self.data.get("weekdays", []), *event.kwargs["days"]]))
        self.data["weekdays"] = sorted(chosen[: WEEKDAYS_NEEDED[self.data["frequency"]]])

    def set_time(self, event: EventData) -> None:
        self.data["time"] = parse_time(str(event.kwargs["value"]))

    def set_wait(self, event: EventData) -> None:
        self.data["wait"] = event.kwargs["value"]

    def confirm(self, event: EventData) -> None:
        turn, data = self.turn, self.data
        schedule = self.schedule()
        seconds = WAIT_SECONDS[data.get("wait", "standard")]
        if data.get("changing") and self.enrolment is not None:
            due = store.set_schedule(
                turn.session, self.enrolment, schedule, turn.now, seconds, seconds
            )
            turn.say(
                text(
                    turn._(
                        "Done. From now on: {schedule}. The next check-in is {next}.",
                        schedule=describe(turn.resident.language, schedule),
                        next=words.when(turn.resident.language, due, turn.now)
                        if due - turn.now < timedelta(days=1)
                        else words.day_of(turn.resident.language, due),
                    )
                )
            )
            return
        enrolment = store.enrol(
            turn.session,
            turn.resident,
            schedule,
            turn.now,
            remind_after_s=seconds,
            escalate_after_s=seconds,
        )
        store.note_sign_of_life(enrolment, "enrolled", turn.now)
        due = store.next_checkin(turn.session, enrolment)
        turn.say(
            text(
                turn._(
                    "You are signed up for watch-over: {schedule}. The first check-in comes "
                    "{first}. Please tap a button when it arrives.",
                    schedule=describe(turn.resident.language, schedule),
                    first=words.day_of(turn.resident.language, due) + " " + words.clock_time(due)
                    if due
                    else "-",
                )
            ),
            *invitation_messages(turn, enrolment),
        )

    def schedule(self) -> Schedule:
        data = self.data
        return Schedule(
            frequency=data["frequency"],
            time_of_day=data["time"],
            weekdays=tuple(data.get("weekdays", [])),
        )

    # Managing an enrolment.

    def do_resume(self, event: EventData) -> None:
        assert self.enrolment is not None
        step = checkin.Step(self.turn.session, self.turn.now, reply=self.turn.out)
        checkin.resume(step, self.enrolment, "resident", self.turn.resident)

    def do_pause(self, event: EventData) -> None:
        assert self.enrolment is not None
        step = checkin.Step(self.turn.session, self.turn.now, reply=self.turn.out)
        day = self._resume_day(event)
        assert day is not None
        checkin.pause(step, self.enrolment, day, "resident", self.turn.resident)

    def show_code(self, event: EventData) -> None:
        assert self.enrolment is not None
        self.turn.say(*invitation_messages(self.turn, self.enrolment))

    def unlink_family(self, event: EventData) -> None:
        turn, enrolment = self.turn, self.enrolment
        assert enrolment is not None
        link = next(
            link
            for link in store.family_links(turn.session, enrolment)
            if str(link.id) == event.kwargs["value"]
        )
        store.unlink(turn.session, link, turn.now)
        family = link.family
        turn.say(
            text(
                turn._(
                    "{family} will no longer receive watch-over notices.",
                    family=words.name_of(family, turn.resident.language, words.YOUR_FAMILY_MEMBER),
                )
            )
        )
        lang = family.language
        checkin.Step(turn.session, turn.now).tell(
            family,
            text(
                gettext(
                    lang,
                    "[Watch-over] {name} has removed you from their watch-over family list.",
                    name=words.name_of(turn.resident, lang),
                )
            ),
        )

    def do_stop(self, event: EventData) -> None:
        assert self.enrolment is not None
        step = checkin.Step(self.turn.session, self.turn.now, reply=self.turn.out)
        checkin.stop(step, self.enrolment, self.turn.resident)

    def keep(self, event: EventData) -> None:
        self.turn.say(text(self.turn._("All right, check-ins continue as before.")))

    # A family member's own actions.

    def remember_link(self, event: EventData) -> None:
        self.data["link"] = event.kwargs["value"]

    def family_pause(self, event: EventData) -> None:
        turn = self.turn
        link = self._link(str(self.data.get("link")))
        day = self._resume_day(event)
        if link is None or day is None:
            turn.say(text(turn._("Sorry, this can no longer be done.")))
            return
        enrolment = store.enrolment_of(turn.session, link.enrolment.resident, lock=True)
        assert enrolment is not None
        step = checkin.Step(turn.session, turn.now, reply=turn.out)
        checkin.pause(step, enrolment, day, "family", turn.resident)

    def unlink_as_family(self, event: EventData) -> None:
        turn = self.turn
        link = self._link(str(event.kwargs["value"]))
        assert link is not None
        store.unlink(turn.session, link, turn.now)
        resident = link.enrolment.resident
        turn.say(
            text(
                turn._(
                    "You will no longer receive watch-over notices about {name}.",
                    name=words.name_of(resident, turn.resident.language),
                )
            )
        )
        lang = resident.language
        checkin.Step(turn.session, turn.now).tell(
            resident,
            text(
                gettext(
                    lang,
                    "{family} has left your watch-over family list.",
                    family=words.name_of(turn.resident, lang, words.A_FAMILY_MEMBER),
                )
            ),
        )

    def _resume_day(self, event: EventData) -> date | None:
        value = str(event.kwargs.get("value", ""))
        today = store.town_date(self.turn.now)
        if value in dict(PAUSES):
            return today + timedelta(days=int(value))
        day = parse_date(value, today)
        if day is None or not today < day <= today + MAX_PAUSE:
            return None
        return day


def _flow_event(trigger: str, source: str, dest: str, **extra: Any) -> dict[str, Any]:
    return {"trigger": trigger, "source": source, "dest": dest, **extra}


class WatchFlow(Flow):
    name = NAME
    states = [
        "menu",
        "frequency",
        "weekdays",
        "time",
        "waits",
        "confirm",
        "pause_until",
        "family_list",
        "confirm_stop",
        "family_pause_until",
        engine.FINAL,
    ]
    transitions = [
        # A newcomer.
        _flow_event("agree", "menu", "frequency", conditions="is_new", after="consent"),
        _flow_event("decline", "menu", engine.FINAL, conditions="is_new", after="decline"),
        # Choosing (or changing) the schedule.
        _flow_event(
            "often",
            "frequency",
            "weekdays",
            conditions=["is_frequency", "needs_weekdays"],
            after="set_frequency",
        ),
        _flow_event(
            "often",
            "frequency",
            "time",
            conditions="is_frequency",
            unless="needs_weekdays",
            after="set_frequency",
        ),
        _flow_event(
            "day",
            "weekdays",
            "time",
            conditions=["is_weekday", "completes_weekdays"],
            after="add_weekdays",
        ),
        _flow_event(
            "day",
            "weekdays",
            "weekdays",
            conditions="is_weekday",
            unless="completes_weekdays",
            after="add_weekdays",
        ),
        _flow_event("at", "time", "waits", conditions="is_time", after="set_time"),
        _flow_event("wait", "waits", "confirm", conditions="is_wait", after="set_wait"),
        _flow_event("yes", "confirm", engine.FINAL, after="confirm"),
        _flow_event("redo", "confirm", "frequency"),
        # An enrolled resident.
        _flow_event("pause", "menu", "pause_until", conditions="is_active"),
        _flow_event(
            "until", "pause_until", engine.FINAL, conditions="is_resume_day", after="do_pause"
        ),
        _flow_event("resume", "menu", engine.FINAL, conditions="is_paused", after="do_resume"),
        _flow_event("change", "menu", "frequency", conditions="is_enrolled", after="start_change"),
        _flow_event("code", "menu", engine.FINAL, conditions="is_enrolled", after="show_code"),
        _flow_event("family", "menu", "family_list", conditions="is_enrolled"),
        _flow_event(
            "unlink",
            "family_list",
            engine.FINAL,
            conditions="is_linked_family",
            after="unlink_family",
        ),
        _flow_event("code", "family_list", engine.FINAL, after="show_code"),
        _flow_event("stop", "menu", "confirm_stop", conditions="is_enrolled"),
        _flow_event("yes", "confirm_stop", engine.FINAL, after="do_stop"),
        _flow_event("no", "confirm_stop", engine.FINAL, after="keep"),
        # A family member.
        _flow_event(
            "fam_pause",
            "menu",
            "family_pause_until",
            conditions="watches",
            after="remember_link",
        ),
        _flow_event(
            "until",
            "family_pause_until",
            engine.FINAL,
            conditions="is_resume_day",
            after="family_pause",
        ),
        _flow_event(
            "fam_unlink", "menu", engine.FINAL, conditions="watches", after="unlink_as_family"
        ),
    ]
    model_class = WatchModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        state = model.state
        if given.kind == "postback":
            if given.data.get("flow") != self.name:
                return None
            return _with_days(given.data.get("ev", ""), given.data.get("v", ""))
        if given.kind != "text" or not given.normalised:
            return None
        tapped = self._typed_button(model, given)
        if tapped is not None:
            return _with_days(*tapped)
        if state == "weekdays":
            days = parse_weekdays(given.text)
            return ("day", {"days": days}) if days else None
        if state == "time":
            return "at", {"value": given.text}
        if state in ("pause_until", "family_pause_until"):
            return "until", {"value": given.text}
        return None

    def _typed_button(self, model: FlowModel, given: UserInput) -> tuple[str, str] | None:
        """Typing a button's label works as tapping it (and はい / いいえ as yes and no)."""
        for message in self.ask(model):
            for item in (message.get("quickReply") or {}).get("items", []):
                action = item["action"]
                if action.get("type") != "postback":
                    continue
                if normalise(action["label"]) == given.normalised:
                    data = postback.decode(action["data"])
                    if data.get("flow") == self.name:
                        return data.get("ev", ""), data.get("v", "")
        answer = YES_NO.get(given.normalised)
        if answer and model.state in ("confirm", "confirm_stop"):
            no = "redo" if model.state == "confirm" else "no"
            return ("yes" if answer == "yes" else no), ""
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        assert isinstance(model, WatchModel)
        return _QUESTIONS[model.state](model)


def _with_days(event: str, value: str) -> tuple[str, dict[str, Any]]:
    """A weekday button carries its number; the transition wants a list of days."""
    if event == "day":
        return event, {"days": parse_weekdays(value)}
    return event, {"value": value}


YES_NO = {normalise(w): "yes" for w in ("はい", "うん", "yes", "ok")} | {
    normalise(w): "no" for w in ("いいえ", "いえ", "no")
}


def _button(turn: Turn, label: str, event: str, value: str = "") -> Button:
    data = {"flow": NAME, "ev": event}
    if value:
        data["v"] = value
    return Button(_fit(turn._(label)), data)


def _fit(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def _menu_button(turn: Turn) -> Button:
    return Button(turn._("Menu"), {"cmd": "menu"})


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
        return [text(body, [*buttons[:12], _menu_button(turn)])]
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
        Button(turn._("I have a family code"), {"cmd": "start", "flow": "family_link"}),
        _menu_button(turn),
    ]
    if family_part:
        intro = family_part + "\n\n" + intro
    return [text(intro, buttons[:13])]


def _status_of_mine(model: WatchModel, enrolment: WatchEnrolment) -> str:
    turn = model.turn
    lang = turn.resident.language
    lines = [turn._("Watch-over: {schedule}", schedule=describe(lang, Schedule.of(enrolment)))]
    if enrolment.status == "paused" and enrolment.paused_until is not None:
        lines.append(turn._("Paused until {day}.", day=words.day_of(lang, enrolment.paused_until)))
    else:
        due = store.next_checkin(turn.session, enrolment)
        if due is not None:
            lines.append(turn._("Next check-in: {when}", when=_when_ahead(lang, due, turn.now)))
    lines.append(
        words.last_sign(lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, turn.now)
    )
    families = store.family_links(turn.session, enrolment)
    lines.append(turn._("Family members registered: {count}", count=len(families)))
    return "\n".join(lines)


def _family_status(model: WatchModel) -> str:
    """A family member's short status of each person they watch over."""
    turn = model.turn
    lang = turn.resident.language
    parts = []
    for link in model.watched:
        enrolment = link.enrolment
        line = f"{words.name_of(enrolment.resident, lang)}: " + words.last_sign(
            lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, turn.now
        )
        if enrolment.status == "paused" and enrolment.paused_until is not None:
            line += " " + turn._(
                "(paused until {day})", day=words.day_of(lang, enrolment.paused_until)
            )
        parts.append(line)
    return "\n".join(parts)


def _family_buttons(model: WatchModel) -> list[Button]:
    turn = model.turn
    buttons = []
    for link in model.watched:
        name = words.name_of(link.enrolment.resident, turn.resident.language)[:9]
        if link.enrolment.status == "active":
            buttons.append(
                Button(
                    _fit(turn._("Pause {name}", name=name)),
                    {"flow": NAME, "ev": "fam_pause", "v": str(link.id)},
                )
            )
        buttons.append(
            Button(
                _fit(turn._("Leave {name}", name=name)),
                {"flow": NAME, "ev": "fam_unlink", "v": str(link.id)},
            )
        )
    return buttons


def _ask_frequency(model: WatchModel) -> list[Message]:
    turn = model.turn
    return [
        text(
            turn._("How often should we check on you?"),
            [_button(turn, label, "often", value) for value, label in FREQUENCIES],
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
        Button(names[day], {"flow": NAME, "ev": "day", "v": str(day)})
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
    links = store.family_links(turn.session, enrolment)
    if not links:
        body = turn._(
            "No family member is registered yet. Send them the code for family, and they "
            "can register in LINE."
        )
    else:
        names = "\n".join(
            "・" + words.name_of(link.family, turn.resident.language, words.A_FAMILY_MEMBER)
            for link in links
        )
        body = turn._("Family members who receive notices:\n{names}", names=names)
    buttons = [
        Button(
            _fit(turn._("Remove {name}", name=_short_name(turn, link))),
            {"flow": NAME, "ev": "unlink", "v": str(link.id)},
        )
        for link in links[:10]
    ]
    buttons += [_button(turn, N_("Code for family"), "code"), _menu_button(turn)]
    return [text(body, buttons)]


def _short_name(turn: Turn, link: WatchFamilyLink) -> str:
    return words.name_of(link.family, turn.resident.language, words.A_FAMILY_MEMBER)[:12]


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


_QUESTIONS = {
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
    invitation = store.live_invitation(turn.session, enrolment, turn.now) or store.new_invitation(
        turn.session, enrolment, turn.now
    )
    lang = turn.resident.language
    spaced = f"{invitation.code[:3]} {invitation.code[3:]}"
    until = words.day_of(lang, invitation.expires_at)
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
    share = QuickReply(
        items=[QuickReplyItem(action=URIAction(label=_fit(turn._("Send to family")), uri=uri))]
    )
    return [TextMessage(text=body, quick_reply=share).to_dict()]


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


# Reading what people type: times, days of the week, dates.

_TIME = re.compile(
    r"^(?P<pm>午後|ごご|pm)?(?P<hour>\d{1,2})(?:[:時じ](?P<minute>\d{1,2}|半)?分?)?(?P<pm2>pm)?$"
)


def parse_time(value: str) -> str | None:
    """ "9:30", "９時半", "午後5時", "17:00" → "09:30"; None unless between 5:00 and 22:00."""
    folded = normalise(value).replace("分", "")
    match = _TIME.match(folded)
    if match is None:
        return None
    hour = int(match["hour"])
    minute_text = match["minute"] or "0"
    minute = 30 if minute_text == "半" else int(minute_text)
    if (match["pm"] or match["pm2"]) and hour < 12:
        hour += 12
    if not (0 <= hour < 24 and 0 <= minute < 60):
        return None
    if not EARLIEST <= datetime(2000, 1, 1, hour, minute).time() <= LATEST:
        return None
    return f"{hour:02d}:{minute:02d}"


_WEEKDAY_WORDS = {
    "月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6,
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
}  # fmt: skip


def parse_weekdays(value: str) -> list[int]:
    """ "月と木", "月曜日", "Mon, Thu" → [0, 3]; tapped buttons send the number itself."""
    folded = unicodedata.normalize("NFKC", value).casefold().strip()
    if folded.isdigit() and int(folded) in range(7):
        return [int(folded)]
    cleaned = folded.replace("曜日", " ").replace("曜", " ")
    found = []
    for token in re.split(r"[\s,、と・/]+|(?<=[月火水木金土日])", cleaned):
        token = token.strip()
        if not token:
            continue
        day = _WEEKDAY_WORDS.get(token[:3] if token.isascii() else token)
        if day is None:
            return []
        found.append(day)
    return list(dict.fromkeys(found))


def parse_date(value: str, today: date) -> date | None:
    """ "5/20", "5月20日", "2026-05-20" → a date; a month and day already past mean next year."""
    folded = unicodedata.normalize("NFKC", value).strip()
    match = re.fullmatch(r"(?:(\d{4})[-/年])?(\d{1,2})[-/月](\d{1,2})日?", folded)
    if match is None:
        return None
    year_text, month, day = match.groups()
    try:
        if year_text:
            return date(int(year_text), int(month), int(day))
        found = date(today.year, int(month), int(day))
        return found if found > today else date(today.year + 1, int(month), int(day))
    except ValueError:
        return None


def describe(language: str, schedule: Schedule) -> str:
    """毎日 8:00 / 2日に1回 8:00 / 毎週 月・木 8:00."""
    hour, minute = store.parse_time_of_day(schedule.time_of_day)
    at = f"{hour}:{minute:02d}"
    if schedule.frequency == "daily":
        return gettext(language, "every day at {time}", time=at)
    if schedule.frequency == "every2":
        return gettext(language, "every other day at {time}", time=at)
    names = get_day_names("abbreviated", locale=supported(language))
    separator = "・" if supported(language) == "ja" else ", "
    days = separator.join(names[day] for day in sorted(schedule.weekdays))
    return gettext(language, "every {days} at {time}", days=days, time=at)


def _when_ahead(language: str, due: datetime, now: datetime) -> str:
    local, today = due.astimezone(TOWN_TZ).date(), now.astimezone(TOWN_TZ).date()
    at = words.clock_time(due)
    if local == today:
        return gettext(language, "today {time}", time=at)
    if (local - today).days == 1:
        return gettext(language, "tomorrow {time}", time=at)
    return f"{words.day_of(language, due)} {at}"


FLOW = engine.register(WatchFlow())
