"""見守り from the menu: enrol, or — once enrolled — see the status, pause, change, stop.

The first state, `menu`, shows what fits the person: a newcomer reads what watch-over is and
who is told, and gives consent; an enrolled resident sees their status and options; a family
member sees the people they watch over, each with a short status. Enrolling goes
frequency → (weekdays) → time → waits → confirm, then hands out the family invitation code.
The diagram is enrolling.mmd beside this file.

This module is the machine: what each input means in each state, and each step's effect on the
enrolment. What each state asks and the invitation for family are in questions; reading
typed days and dates in reading; reading a typed time and saying a schedule back in
storage.watch.schedules; the limits on waits and pauses in storage.watch.enrolments.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cached_property
from typing import Any

from transitions import EventData

from flows import engine, taps
from flows.engine import Flow, FlowModel
from flows.inputs import UserInput, normalise
from flows.messages import Message, text
from flows.watch import checkin
from flows.watch.questions import (
    NAME,
    PAUSES,
    QUESTIONS,
    WEEKDAYS_NEEDED,
    invitation_messages,
)
from flows.watch.reading import parse_date, parse_weekdays
from locales import gettext, town_date, watch_words
from storage.models import WatchEnrolment, WatchFamilyLink
from storage.watch import enrolments, linking
from storage.watch.schedules import Schedule, describe, parse_time

# Family members shown with buttons in the family menu (two buttons each).
MAX_WATCHED = 5


class WatchModel(FlowModel):
    """Callbacks of the watch flow; `data` holds the schedule being chosen."""

    @cached_property
    def enrolment(self) -> WatchEnrolment | None:
        return enrolments.running_enrolment(self.turn.session, self.turn.resident, lock=True)

    @cached_property
    def watched(self) -> list[WatchFamilyLink]:
        return linking.watched_by(self.turn.session, self.turn.resident)[:MAX_WATCHED]

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
        return event.kwargs.get("value") in dict(watch_words.FREQUENCIES)

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
        return event.kwargs.get("value") in enrolments.WAIT_SECONDS

    def is_resume_day(self, event: EventData) -> bool:
        return self._resume_day(event) is not None

    def is_linked_family(self, event: EventData) -> bool:
        enrolment = self.enrolment
        return enrolment is not None and any(
            str(link.id) == event.kwargs.get("value")
            for link in linking.family_links(self.turn.session, enrolment)
        )

    # Enrolling.

    def consent(self, event: EventData) -> None:
        enrolments.record_consent(self.turn.session, self.turn.resident, True, self.turn.now)

    def decline(self, event: EventData) -> None:
        turn = self.turn
        enrolments.record_consent(turn.session, turn.resident, False, turn.now)
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
        seconds = enrolments.WAIT_SECONDS[data.get("wait", "standard")]
        if data.get("changing") and self.enrolment is not None:
            due = checkin.reschedule(checkin.Step.of(turn), self.enrolment, schedule, seconds)
            turn.say(
                text(
                    turn._(
                        "Done. From now on: {schedule}. The next check-in is {next}.",
                        schedule=describe(turn.resident.language, schedule),
                        next=watch_words.when(turn.resident.language, due, turn.now)
                        if due - turn.now < timedelta(days=1)
                        else watch_words.day_of(turn.resident.language, due),
                    )
                )
            )
            return
        enrolment = enrolments.enrol(
            turn.session,
            turn.resident,
            schedule,
            turn.now,
            remind_after_s=seconds,
            escalate_after_s=seconds,
        )
        enrolments.note_sign_of_life(enrolment, "enrolled", turn.now)
        due = enrolments.next_checkin(turn.session, enrolment, turn.now)
        turn.say(
            text(
                turn._(
                    "You are signed up for watch-over: {schedule}. The first check-in comes "
                    "{first}. Please tap a button when it arrives.",
                    schedule=describe(turn.resident.language, schedule),
                    first=watch_words.day_of(turn.resident.language, due)
                    + " "
                    + watch_words.clock_time(due)
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
        step = checkin.Step.of(self.turn)
        checkin.resume(step, self.enrolment, "resident", self.turn.resident)

    def do_pause(self, event: EventData) -> None:
        assert self.enrolment is not None
        step = checkin.Step.of(self.turn)
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
            for link in linking.family_links(turn.session, enrolment)
            if str(link.id) == event.kwargs["value"]
        )
        linking.unlink(turn.session, link, turn.now)
        family = link.family
        turn.say(
            text(
                turn._(
                    "{family} will no longer receive watch-over notices.",
                    family=watch_words.name_of(
                        family, turn.resident.language, watch_words.YOUR_FAMILY_MEMBER
                    ),
                )
            )
        )
        lang = family.language
        checkin.Step.of(turn).tell(
            family,
            text(
                gettext(
                    lang,
                    "[Watch-over] {name} has removed you from their watch-over family list.",
                    name=watch_words.name_of(turn.resident, lang),
                )
            ),
        )

    def do_stop(self, event: EventData) -> None:
        assert self.enrolment is not None
        step = checkin.Step.of(self.turn)
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
        enrolment = enrolments.enrolment_of(turn.session, link.enrolment.resident, lock=True)
        assert enrolment is not None
        step = checkin.Step.of(turn)
        checkin.pause(step, enrolment, day, "family", turn.resident)

    def unlink_as_family(self, event: EventData) -> None:
        turn = self.turn
        link = self._link(str(event.kwargs["value"]))
        assert link is not None
        linking.unlink(turn.session, link, turn.now)
        resident = link.enrolment.resident
        turn.say(
            text(
                turn._(
                    "You will no longer receive watch-over notices about {name}.",
                    name=watch_words.name_of(resident, turn.resident.language),
                )
            )
        )
        lang = resident.language
        checkin.Step.of(turn).tell(
            resident,
            text(
                gettext(
                    lang,
                    "{family} has left your watch-over family list.",
                    family=watch_words.name_of(turn.resident, lang, watch_words.A_FAMILY_MEMBER),
                )
            ),
        )

    def _resume_day(self, event: EventData) -> date | None:
        value = str(event.kwargs.get("value", ""))
        today = town_date(self.turn.now)
        if value in dict(PAUSES):
            return today + timedelta(days=int(value))
        day = parse_date(value, today)
        if day is None or not today < day <= today + enrolments.MAX_PAUSE:
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
            tapped = given.answer_to(self.name)
            return _with_days(tapped.event, tapped.value) if tapped is not None else None
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
        tapped = taps.typed_button(self.ask(model), given, self.name)
        if tapped is not None:
            return tapped[0], tapped[1]["value"]
        answer = YES_NO.get(given.normalised)
        if answer and model.state in ("confirm", "confirm_stop"):
            no = "redo" if model.state == "confirm" else "no"
            return ("yes" if answer == "yes" else no), ""
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        assert isinstance(model, WatchModel)
        return QUESTIONS[model.state](model)


def _with_days(event: str, value: str) -> tuple[str, dict[str, Any]]:
    """A weekday button carries its number; the transition wants a list of days."""
    if event == "day":
        return event, {"days": parse_weekdays(value)}
    return event, {"value": value}


YES_NO = {normalise(w): "yes" for w in ("はい", "うん", "yes", "ok")} | {
    normalise(w): "no" for w in ("いいえ", "いえ", "no")
}


FLOW = WatchFlow()
