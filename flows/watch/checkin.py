"""The check-in round: one module-level `transitions` machine whose model is the round row.

due → sent → answered, or → reminded (after the remind wait) → escalated (after the escalate
wait: families alerted, a ticket for the watch-over team) → resolved (a family member reached
them, staff visited or called, or the resident came back). 助けてほしい escalates at once.

Every step runs in the caller's transaction together with its outbox rows and its deadlines:
the scheduler's sweep for steps that time brings (flows/watch/checkin_sweep.py), the resident's or a
family member's event for the rest (below). Rows are locked before they are read, so a sweep
and an answer arriving together serialise instead of both acting. What a step says and files
is in flows/watch/alerts.py. The diagram is checkin.mmd beside this file.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy.orm import Session
from transitions import EventData, Machine

from flows.engine import Turn
from flows.messages import Message, text
from flows.moment import Moment
from flows.watch import alerts, neighbours, words
from locales import N_, gettext, watch_words
from storage import care_net, deadlines, outbox, tickets
from storage.models import CheckinRound, Resident, Staff, WatchEnrolment
from storage.models.watch import ROUND_STATES, WAITING_ROUND_STATES
from storage.watch import enrolments, rounds, schedules

log = logging.getLogger(__name__)


STATES = list(ROUND_STATES)
WAITING = list(WAITING_ROUND_STATES)
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "send", "source": "due", "dest": "sent", "after": "checkin_sent"},
    {"trigger": "skip", "source": "due", "dest": "skipped", "after": "record_skip"},
    {"trigger": "remind", "source": "sent", "dest": "reminded", "after": "send_reminder"},
    {"trigger": "escalate", "source": "reminded", "dest": "escalated", "after": "raise_alarm"},
    {"trigger": "fine", "source": WAITING, "dest": "answered", "after": "thank"},
    {"trigger": "unwell", "source": WAITING, "dest": "answered", "after": "follow_up"},
    {
        "trigger": "help",
        "source": [*WAITING, "answered"],
        "dest": "escalated",
        "after": "call_help",
    },
    {"trigger": "help", "source": "escalated", "dest": "escalated", "after": "call_help"},
    {"trigger": "sign_of_life", "source": WAITING, "dest": "answered", "after": "note_message"},
    {"trigger": "sign_of_life", "source": "escalated", "dest": "resolved", "after": "came_back"},
    {"trigger": "reached", "source": "escalated", "dest": "resolved", "after": "family_reached"},
    {
        "trigger": "unreachable",
        "source": "escalated",
        "dest": "escalated",
        "conditions": "not_reported_unreachable",
        "after": "family_unreachable",
    },
    {
        "trigger": "staff_resolve",
        "source": [*WAITING, "escalated"],
        "dest": "resolved",
        "after": "staff_recorded",
    },
    {"trigger": "cancel", "source": WAITING, "dest": "cancelled", "after": "stop_steps"},
    {
        "trigger": "withdraw",
        "source": "sent",
        "dest": "skipped",
        "conditions": "not_out_yet",
        "after": "withdraw_checkin",
    },
]


class ChosenWaits(Protocol):
    """An enrolment's own waits in seconds, None meaning the settings'."""

    @property
    def remind_after_s(self) -> int | None: ...
    @property
    def escalate_after_s(self) -> int | None: ...


@dataclass(frozen=True)
class Timings:
    """The settings' waits (an enrolment may choose its own), and when the round asks the
    resident's ケアネット neighbours to look in (storage.care_net.MODES)."""

    remind_after: timedelta = timedelta(hours=3)
    escalate_after: timedelta = timedelta(hours=3)
    care_net: str = care_net.BESIDE

    def remind(self, enrolment: ChosenWaits) -> timedelta:
        seconds = enrolment.remind_after_s
        return timedelta(seconds=seconds) if seconds else self.remind_after

    def escalate(self, enrolment: ChosenWaits) -> timedelta:
        seconds = enrolment.escalate_after_s
        return timedelta(seconds=seconds) if seconds else self.escalate_after


@dataclass
class Step(Moment):
    """One step's surroundings: the transaction, the time, and what it collects to send.

    `reply` is the resident's own turn output when their event drives the step, so what we
    answer them goes back by reply; everyone else is reached by push.
    """

    timings: Timings = field(default_factory=Timings)
    reply: list[Message] | None = None
    # Check-ins to multicast: LINE user ids per language and time to send (filled by the
    # sweep's new rounds).
    checkins: dict[tuple[str, datetime], list[str]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def of(cls, turn: Turn) -> Step:
        """The step a resident's own event drives: what they are answered goes back by reply."""
        return cls(turn.session, turn.now, reply=turn.out)

    def tell_resident(self, resident: Resident, *messages: Message) -> None:
        if self.reply is not None:
            self.reply.extend(messages)
        else:
            self.tell(resident, *messages)


class RoundModel:
    """The machine's model: the round row (which holds the state) and what a step needs."""

    def __init__(
        self, row: CheckinRound, enrolment: WatchEnrolment, resident: Resident, step: Step
    ) -> None:
        self.row = row
        self.enrolment = enrolment
        self.resident = resident
        self.step = step

    @property
    def state(self) -> str:
        return self.row.state

    @state.setter
    def state(self, value: str) -> None:
        self.row.state = value

    @property
    def now(self) -> datetime:
        return self.step.now

    @property
    def language(self) -> str:
        return self.resident.language

    # Steps the scheduler brings (a new round's send or skip: flows/checkin_sweep.py).

    def send_reminder(self, event: EventData) -> None:
        self.row.reminded_at = self.now
        self.step.tell(self.resident, words.reminder(self.language))
        if self.step.timings.care_net == care_net.BEFORE:
            neighbours.ask(self.step, self)

    def raise_alarm(self, event: EventData) -> None:
        enrolment, now = self.enrolment, self.now
        self.row.escalated_at = now
        self.row.last_sign_of_life_at = enrolment.last_sign_of_life_at
        families = alerts.alert_families(self.step, self, alerts.no_answer_alert)
        asked = 0
        if self.step.timings.care_net == care_net.BESIDE:
            asked = neighbours.ask(self.step, self)
        note = alerts.staff_no_answer(self, families, asked)
        existing = alerts.ticket_of(self.step, self.row)
        if existing is not None and existing.is_open:
            # A neighbour asked with the reminder answered already, on a ticket of its own.
            alerts.raise_urgency(self.step, existing, "today", note)
        else:
            self.row.ticket_id = alerts.open_watch_ticket(
                self.step,
                self.resident,
                urgency="today",
                reason="no_answer",
                round_row=self.row,
                note=note,
            )
        self.step.tell(self.resident, words.escalated_notice(self.language))

    # Answers from the resident.

    def thank(self, event: EventData) -> None:
        self._answered("fine")
        self.step.tell_resident(self.resident, alerts.thanks(self.language))
        alerts.send_daily_summaries(self.step, self)

    def follow_up(self, event: EventData) -> None:
        self._answered("unwell")
        alerts.unwell_side_effects(self.step, self.enrolment, self.resident, self)

    def call_help(self, event: EventData) -> None:
        if self.row.answered_at is None:
            self._answered("help")
        else:
            self.row.answer = "help"
        self.row.escalated_at = self.row.escalated_at or self.now
        alerts.help_side_effects(self.step, self.enrolment, self.resident, self)

    def note_message(self, event: EventData) -> None:
        self._answered("message")

    def came_back(self, event: EventData) -> None:
        self._resolved("resident", "message")
        body = gettext(
            alerts.STAFF_LANGUAGE,
            "The resident got in touch ({when}). The alarm is over.",
            when=watch_words.when(alerts.STAFF_LANGUAGE, self.now, self.now),
        )
        if event.kwargs.get("by_answer"):
            # A check-in answer (元気です, 少し調子が悪い): the alarm's ticket is resolved.
            alerts.resolve_by_answer(self.step, self.row, body)
        else:
            # Any other message lands in the ticket's thread: staff read it there.
            alerts.note_on_ticket(self.step, self.row, body)
        for family in alerts.families_of(self.step.session, self.enrolment):
            lang = family.language
            self.step.tell(
                family,
                text(
                    gettext(
                        lang,
                        "[Watch-over] {name} got in touch ({time}). Thank you for your care.",
                        name=watch_words.name_of(self.resident, lang),
                        time=watch_words.clock_time(self.now),
                    )
                ),
            )
        self.step.tell_resident(
            self.resident,
            text(
                gettext(
                    self.language,
                    "Thank you for getting in touch. We have told your family and the "
                    "watch-over staff that you answered.",
                )
            ),
        )

    # What family and staff do about an alarm.

    def family_reached(self, event: EventData) -> None:
        reporter: Resident = event.kwargs["family"]
        self._resolved("family", "reached")
        enrolments.note_sign_of_life(self.enrolment, "family", self.now)
        alerts.note_on_ticket(
            self.step,
            self.row,
            gettext(
                alerts.STAFF_LANGUAGE,
                "Family member {family} reached the resident.",
                family=watch_words.name_of(
                    reporter, alerts.STAFF_LANGUAGE, watch_words.A_FAMILY_MEMBER
                ),
            ),
        )
        self._tell_other_families(
            reporter, N_("[Watch-over] {family} has reached {name}. No need to worry.")
        )

    def not_reported_unreachable(self, event: EventData) -> bool:
        return self.row.unreachable_at is None

    def family_unreachable(self, event: EventData) -> None:
        reporter: Resident = event.kwargs["family"]
        self.row.unreachable_at = self.now
        ticket = alerts.ticket_of(self.step, self.row)
        body = gettext(
            alerts.STAFF_LANGUAGE,
            "Family member {family} could not reach the resident. Raised to emergency.",
            family=watch_words.name_of(
                reporter, alerts.STAFF_LANGUAGE, watch_words.A_FAMILY_MEMBER
            ),
        )
        if ticket is not None:
            alerts.raise_urgency(self.step, ticket, "emergency", body)
        self._tell_other_families(
            reporter,
            N_(
                "[Watch-over] {family} could not reach {name} either. The watch-over "
                "staff are on it."
            ),
        )

    def _tell_other_families(self, reporter: Resident, message: str) -> None:
        """What one family member reported, to every other one, each in their own language."""
        for family in alerts.families_of(self.step.session, self.enrolment):
            if family.id == reporter.id:
                continue
            lang = family.language
            reported = gettext(
                lang,
                message,
                family=watch_words.name_of(reporter, lang, watch_words.ANOTHER_FAMILY_MEMBER),
                name=watch_words.name_of(self.resident, lang),
            )
            self.step.tell(family, text(reported))

    def staff_recorded(self, event: EventData) -> None:
        how: str = event.kwargs["how"]
        staff: Staff | None = event.kwargs.get("staff")
        self._resolved("staff", how)
        self.row.resolved_by_staff_id = staff.id if staff else None
        self.row.note = event.kwargs.get("note") or None
        deadlines.cancel(self.step.session, schedules.step_key(self.row.id))
        if how in ("visit", "phone"):
            enrolments.note_sign_of_life(self.enrolment, how, self.now)
        for family in alerts.families_of(self.step.session, self.enrolment):
            lang = family.language
            message = {
                "visit": N_(
                    "[Watch-over] The watch-over staff visited {name} and checked on them."
                ),
                "phone": N_("[Watch-over] The watch-over staff reached {name} by phone."),
            }.get(how, N_("[Watch-over] The watch-over staff have dealt with {name}'s check-in."))
            self.step.tell(
                family,
                text(gettext(lang, message, name=watch_words.name_of(self.resident, lang))),
            )

    def stop_steps(self, event: EventData) -> None:
        deadlines.cancel(self.step.session, schedules.step_key(self.row.id))

    def not_out_yet(self, event: EventData) -> bool:
        """Made ahead, its check-in still waiting in the outbox for its time."""
        return not rounds.is_out(self.row, self.now)

    def withdraw_checkin(self, event: EventData) -> None:
        outbox.withdraw_from_multicasts(
            self.step.session, self.resident.line_user_id, self.row.sent_at
        )
        self.row.sent_at = None
        self.row.skip_reason = event.kwargs["reason"]
        deadlines.cancel(self.step.session, schedules.step_key(self.row.id))

    def _answered(self, answer: str) -> None:
        self.row.answer = answer
        self.row.answered_at = self.now
        deadlines.cancel(self.step.session, schedules.step_key(self.row.id))
        if answer != words.HELP:
            neighbours.settle_early_ticket(self.step, self.row)
            neighbours.stand_down(self.step, self.row)

    def _resolved(self, by: str, resolution: str) -> None:
        self.row.resolved_at = self.now
        self.row.resolved_by = by
        self.row.resolution = resolution
        deadlines.cancel(self.step.session, schedules.step_key(self.row.id))
        neighbours.stand_down(self.step, self.row)


machine = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial="due",
    send_event=True,
    auto_transitions=False,
)


def fire(model: Any, event: str, **kwargs: Any) -> bool:
    """Fire `event` if the round's state allows it; False (and nothing done) otherwise."""
    trigger = machine.events[event]
    if model.state not in trigger.transitions:
        return False
    return bool(trigger.trigger(model, **kwargs))


def model_of(step: Step, row: CheckinRound) -> RoundModel:
    enrolment = row.enrolment
    return RoundModel(row, enrolment, enrolment.resident, step)


# What the resident's answers and signs of life do; handlers/watch.py calls these.


def answer(step: Step, resident: Resident, enrolment: WatchEnrolment | None, given: str) -> None:
    """元気です, 少し調子が悪い or 助けてほしい, tapped or typed, in a round or not."""
    round_rows = (
        rounds.open_rounds(step.session, enrolment, step.now) if enrolment is not None else []
    )
    waiting = next((row for row in round_rows if row.state in WAITING), None)
    alarmed = [row for row in round_rows if row.state == "escalated"]
    if enrolment is not None:
        enrolments.note_sign_of_life(enrolment, given, step.now)
    if given == words.HELP:
        target = waiting or (alarmed[0] if alarmed else None)
        if target is None or not fire(model_of(step, target), "help"):
            alerts.help_side_effects(step, enrolment, resident, None)
        return
    # Any answer ends an alarm that was raised because the resident had not answered.
    ended = False
    for row in alarmed:
        if row.answer != words.HELP:
            ended = fire(model_of(step, row), "sign_of_life", by_answer=True) or ended
    event = "fine" if given == words.FINE else "unwell"
    if waiting is not None and fire(model_of(step, waiting), event):
        return
    if given == words.FINE:
        # (Ending an alarm has thanked them already: one thank-you, not two; and 元気です
        # after an alarm is not 少し調子が悪い, so it files nothing.)
        if not ended:
            step.tell_resident(resident, alerts.thanks(resident.language))
    else:
        alerts.unwell_side_effects(step, enrolment, resident, None)


def sign_of_life(step: Step, resident: Resident, enrolment: WatchEnrolment) -> None:
    """Any message or tap from the resident: they are up and about."""
    enrolments.note_sign_of_life(enrolment, "message", step.now)
    for row in rounds.open_rounds(step.session, enrolment, step.now):
        if row.answer != words.HELP:
            fire(model_of(step, row), "sign_of_life")


def family_action(step: Step, family: Resident, round_id: int, action: str) -> None:
    """A family member's tap on an alarm: 連絡がつきました or 連絡がつきません."""
    lang = family.language
    row = rounds.lock_round(step.session, round_id)
    link = alerts.link_between(step.session, row.enrolment, family) if row is not None else None
    if row is None or link is None:
        step.tell_resident(family, text(gettext(lang, "Sorry, this button can no longer be used.")))
        return
    model = model_of(step, row)
    name = watch_words.name_of(model.resident, lang)
    if action == "reached" and fire(model, "reached", family=family):
        step.tell_resident(
            family,
            text(
                gettext(
                    lang,
                    "Thank you. We are glad you reached {name}. We have told the watch-over "
                    "staff and your family.",
                    name=name,
                )
            ),
        )
    elif action == "unreachable" and fire(model, "unreachable", family=family):
        step.tell_resident(
            family,
            text(
                gettext(
                    lang,
                    "Thank you for telling us. The watch-over staff will check on {name} "
                    "urgently, for example by visiting. If you think it is an emergency, "
                    "please call 119.",
                    name=name,
                )
            ),
        )
    elif row.unreachable_at is not None and row.state == "escalated":
        step.tell_resident(
            family,
            text(
                gettext(
                    lang,
                    "We already know that {name} could not be reached. The watch-over staff "
                    "are on it.",
                    name=name,
                )
            ),
        )
    else:
        step.tell_resident(
            family, text(gettext(lang, "This alert has already been settled. Thank you."))
        )


def record_outcome(
    session: Session,
    row: CheckinRound,
    now: datetime,
    *,
    how: str,
    staff: Staff | None = None,
    note: str = "",
) -> bool:
    """Staff settle a round after a visit or a phone call (the console calls this)."""
    step = Step(session, now)
    locked = rounds.lock_round(session, row.id)
    if locked is None:
        return False
    done = fire(model_of(step, locked), "staff_resolve", how=how, staff=staff, note=note)
    if done and locked.ticket_id:
        ticket = rounds.round_ticket(session, locked)
        if ticket is not None:
            tickets.add_message(
                session,
                ticket,
                author="system",
                now=now,
                staff=staff,
                body=gettext(
                    alerts.STAFF_LANGUAGE,
                    "Round settled by staff: {how}.",
                    how=gettext(alerts.STAFF_LANGUAGE, watch_words.SIGN_WORDS.get(how, how)),
                ),
            )
    return done


def cancel_waiting_rounds(step: Step, enrolment: WatchEnrolment, reason: str) -> None:
    """Pausing, stopping or blocking ends the wait for an answer: no reminder, no alarm; and a
    check-in made ahead for the coming minute does not go out."""
    for row in rounds.open_rounds(step.session, enrolment, step.now, unsent=True):
        model = model_of(step, row)
        if not fire(model, "withdraw", reason=reason):
            fire(model, "cancel")


def reschedule(
    step: Step, enrolment: WatchEnrolment, schedule: schedules.Schedule, wait_s: int | None
) -> datetime:
    """A new schedule (and waits); returns when the next check-in is.

    A check-in made ahead for another time than the new next one does not go out; one made
    for that very time stays, as no second round is made for a time that has one.
    """
    due = enrolments.set_schedule(step.session, enrolment, schedule, step.now, wait_s, wait_s)
    for row in rounds.open_rounds(step.session, enrolment, step.now, unsent=True):
        if row.due_at != due:
            fire(model_of(step, row), "withdraw", reason="moved")
    return enrolments.next_checkin(step.session, enrolment, step.now) or due


def pause(
    step: Step, enrolment: WatchEnrolment, resume_on: date, by: str, by_person: Resident | None
) -> datetime:
    """入院・旅行でしばらくお休み: no check-ins and no alarms until `resume_on`."""
    resume_at = enrolments.pause(step.session, enrolment, resume_on, by, step.now)
    cancel_waiting_rounds(step, enrolment, "paused")
    alerts.tell_everyone(step, enrolment, alerts.paused_words, by_person=by_person)
    return resume_at


def resume(step: Step, enrolment: WatchEnrolment, by: str, by_person: Resident | None) -> None:
    enrolments.resume(step.session, enrolment, step.now)
    alerts.tell_everyone(step, enrolment, alerts.resumed_words, by_person=by_person)


def stop(step: Step, enrolment: WatchEnrolment, by_person: Resident | None) -> None:
    enrolments.end(step.session, enrolment, step.now)
    cancel_waiting_rounds(step, enrolment, "ended")
    alerts.tell_everyone(step, enrolment, alerts.stopped_words, by_person=by_person)


def blocked(step: Step, resident: Resident, enrolment: WatchEnrolment) -> None:
    """The resident blocked the account: we can no longer check on them, so people must know."""
    cancel_waiting_rounds(step, enrolment, "blocked")
    alerts.open_watch_ticket(
        step,
        resident,
        urgency="today",
        reason="blocked",
        round_row=None,
        note=gettext(
            alerts.STAFF_LANGUAGE,
            "The resident blocked the LINE account while enrolled in watch-over, so check-ins "
            "can no longer reach them. {last}",
            last=watch_words.last_sign(
                alerts.STAFF_LANGUAGE,
                enrolment.last_sign_of_life_at,
                enrolment.last_sign_of_life,
                step.now,
            ),
        ),
    )
    for family in alerts.families_of(step.session, enrolment):
        lang = family.language
        step.tell(
            family,
            text(
                gettext(
                    lang,
                    "[Watch-over] Check-ins can no longer reach {name} in LINE (the account "
                    "was blocked). We have told the watch-over staff.",
                    name=watch_words.name_of(resident, lang),
                )
            ),
        )
