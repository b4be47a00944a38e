"""The check-in round: one module-level `transitions` machine whose model is the round row.

due → sent → answered, or → reminded (after the remind wait) → escalated (after the escalate
wait: families alerted, a ticket for the watch-over team) → resolved (a family member reached
them, staff visited or called, or the resident came back). 助けてほしい escalates at once.

Every step runs in the caller's transaction together with its outbox rows and its deadlines:
the scheduler's sweep for steps that time brings (send, remind, escalate), the resident's or
a family member's event for the rest. Rows are locked before they are read, so a sweep and
an answer arriving together serialise instead of both acting.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from transitions import EventData, Machine

from flows import watch_words as words
from flows.i18n import DEFAULT_LANGUAGE, N_, gettext
from flows.messages import Button, Message, text
from storage import audit, deadlines, outbox, tickets
from storage import watch as store
from storage.models import (
    CheckinRound,
    Deadline,
    Resident,
    Staff,
    Team,
    Ticket,
    WatchEnrolment,
    WatchFamilyLink,
)
from storage.models.watch import ROUND_STATES
from storage.watch import ESCALATE, REMIND, RESUME, ROUND, WEEKLY, Schedule

log = logging.getLogger(__name__)

WATCH_TEAM = "mimamori"
MULTICAST_LIMIT = 500  # LINE's limit of recipients per multicast request
STAFF_LANGUAGE = DEFAULT_LANGUAGE

STATES = list(ROUND_STATES)
WAITING = ["sent", "reminded"]
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
]


@dataclass(frozen=True)
class Timings:
    """The settings' waits; an enrolment may choose its own."""

    remind_after: timedelta = timedelta(hours=3)
    escalate_after: timedelta = timedelta(hours=3)

    def remind(self, enrolment: WatchEnrolment) -> timedelta:
        seconds = enrolment.remind_after_s
        return timedelta(seconds=seconds) if seconds else self.remind_after

    def escalate(self, enrolment: WatchEnrolment) -> timedelta:
        seconds = enrolment.escalate_after_s
        return timedelta(seconds=seconds) if seconds else self.escalate_after


@dataclass
class Step:
    """One step's surroundings: the transaction, the time, and what it collects to send.

    `reply` is the resident's own turn output when their event drives the step, so what we
    answer them goes back by reply; everyone else is reached by push.
    """

    session: Session
    now: datetime
    timings: Timings = field(default_factory=Timings)
    reply: list[Message] | None = None
    # Check-ins to multicast, per language, and the rounds that need their reminder deadline.
    checkins: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sent: list[CheckinRound] = field(default_factory=list)

    def tell(self, person: Resident, *messages: Message) -> None:
        outbox.enqueue(self.session, to=person.line_user_id, messages=list(messages), now=self.now)

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

    # Steps the scheduler brings.

    def checkin_sent(self, event: EventData) -> None:
        self.row.sent_at = self.now
        self.step.checkins[self.language].append(self.resident.line_user_id)
        self.step.sent.append(self.row)

    def record_skip(self, event: EventData) -> None:
        self.row.skip_reason = event.kwargs["reason"]

    def send_reminder(self, event: EventData) -> None:
        self.row.reminded_at = self.now
        self.step.tell(self.resident, words.reminder(self.language))

    def raise_alarm(self, event: EventData) -> None:
        enrolment, now = self.enrolment, self.now
        self.row.escalated_at = now
        self.row.last_sign_of_life_at = enrolment.last_sign_of_life_at
        families = alert_families(self.step, self, _no_answer_alert)
        self.row.ticket_id = open_watch_ticket(
            self.step,
            self.resident,
            urgency="today",
            reason="no_answer",
            round_row=self.row,
            note=_staff_no_answer(self, families),
        )
        self.step.tell(self.resident, words.escalated_notice(self.language))

    # Answers from the resident.

    def thank(self, event: EventData) -> None:
        self._answered("fine")
        self.step.tell_resident(self.resident, thanks(self.language))
        send_daily_summaries(self.step, self)

    def follow_up(self, event: EventData) -> None:
        self._answered("unwell")
        unwell_side_effects(self.step, self.enrolment, self.resident, self)

    def call_help(self, event: EventData) -> None:
        if self.row.answered_at is None:
            self._answered("help")
        else:
            self.row.answer = "help"
        self.row.escalated_at = self.row.escalated_at or self.now
        help_side_effects(self.step, self.enrolment, self.resident, self)

    def note_message(self, event: EventData) -> None:
        self._answered("message")

    def came_back(self, event: EventData) -> None:
        self._resolved("resident", "message")
        body = gettext(
            STAFF_LANGUAGE,
            "The resident got in touch ({when}). The alarm is over.",
            when=words.when(STAFF_LANGUAGE, self.now, self.now),
        )
        _note_on_ticket(self.step, self.row, body)
        for family in families_of(self.step.session, self.enrolment):
            lang = family.language
            self.step.tell(
                family,
                text(
                    gettext(
                        lang,
                        "[Watch-over] {name} got in touch ({time}). Thank you for your care.",
                        name=words.name_of(self.resident, lang),
                        time=words.clock_time(self.now),
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
        store.note_sign_of_life(self.enrolment, "family", self.now)
        _note_on_ticket(
            self.step,
            self.row,
            gettext(
                STAFF_LANGUAGE,
                "Family member {family} reached the resident.",
                family=words.name_of(reporter, STAFF_LANGUAGE, words.A_FAMILY_MEMBER),
            ),
        )
        for family in families_of(self.step.session, self.enrolment):
            if family.id == reporter.id:
                continue
            lang = family.language
            self.step.tell(
                family,
                text(
                    gettext(
                        lang,
                        "[Watch-over] {family} has reached {name}. No need to worry.",
                        family=words.name_of(reporter, lang, words.ANOTHER_FAMILY_MEMBER),
                        name=words.name_of(self.resident, lang),
                    )
                ),
            )

    def not_reported_unreachable(self, event: EventData) -> bool:
        return self.row.unreachable_at is None

    def family_unreachable(self, event: EventData) -> None:
        reporter: Resident = event.kwargs["family"]
        self.row.unreachable_at = self.now
        ticket = _ticket_of(self.step, self.row)
        body = gettext(
            STAFF_LANGUAGE,
            "Family member {family} could not reach the resident. Raised to emergency.",
            family=words.name_of(reporter, STAFF_LANGUAGE, words.A_FAMILY_MEMBER),
        )
        if ticket is not None:
            raise_urgency(self.step, ticket, "emergency", body)
        for family in families_of(self.step.session, self.enrolment):
            if family.id == reporter.id:
                continue
            lang = family.language
            self.step.tell(
                family,
                text(
                    gettext(
                        lang,
                        "[Watch-over] {family} could not reach {name} either. The watch-over "
                        "staff are on it.",
                        family=words.name_of(reporter, lang, words.ANOTHER_FAMILY_MEMBER),
                        name=words.name_of(self.resident, lang),
                    )
                ),
            )

    def staff_recorded(self, event: EventData) -> None:
        how: str = event.kwargs["how"]
        staff: Staff | None = event.kwargs.get("staff")
        self._resolved("staff", how)
        self.row.resolved_by_staff_id = staff.id if staff else None
        self.row.note = event.kwargs.get("note") or None
        deadlines.cancel(self.step.session, store.step_key(self.row.id))
        if how in ("visit", "phone"):
            store.note_sign_of_life(self.enrolment, how, self.now)
        for family in families_of(self.step.session, self.enrolment):
            lang = family.language
            message = {
                "visit": N_(
                    "[Watch-over] The watch-over staff visited {name} and checked on them."
                ),
                "phone": N_("[Watch-over] The watch-over staff reached {name} by phone."),
            }.get(how, N_("[Watch-over] The watch-over staff have dealt with {name}'s check-in."))
            self.step.tell(
                family,
                text(gettext(lang, message, name=words.name_of(self.resident, lang))),
            )

    def stop_steps(self, event: EventData) -> None:
        deadlines.cancel(self.step.session, store.step_key(self.row.id))

    def _answered(self, answer: str) -> None:
        self.row.answer = answer
        self.row.answered_at = self.now
        deadlines.cancel(self.step.session, store.step_key(self.row.id))

    def _resolved(self, by: str, resolution: str) -> None:
        self.row.resolved_at = self.now
        self.row.resolved_by = by
        self.row.resolution = resolution
        deadlines.cancel(self.step.session, store.step_key(self.row.id))


machine = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial="due",
    send_event=True,
    auto_transitions=False,
)


def fire(model: RoundModel, event: str, **kwargs: Any) -> bool:
    """Fire `event` if the round's state allows it; False (and nothing done) otherwise."""
    trigger = machine.events[event]
    if model.state not in trigger.transitions:
        return False
    return bool(trigger.trigger(model, **kwargs))


def model_of(step: Step, row: CheckinRound) -> RoundModel:
    enrolment = row.enrolment
    return RoundModel(row, enrolment, enrolment.resident, step)


# The scheduler's handlers: each takes the claimed deadlines of one kind, in due order.


def fire_rounds(session: Session, batch: list[Deadline], now: datetime, timings: Timings) -> None:
    """Make each due round, send it or skip it, and set the enrolment's next check-in.

    Identical check-ins go out together: one multicast row per language and 500 people.
    """
    step = Step(session, now, timings)
    ids = sorted({deadline.subject_id for deadline in batch})
    enrolments = {
        e.id: e
        for e in session.scalars(
            select(WatchEnrolment).where(WatchEnrolment.id.in_(ids)).with_for_update()
        )
    }
    people = {
        r.id: r
        for r in session.scalars(
            select(Resident).where(Resident.id.in_([e.resident_id for e in enrolments.values()]))
        )
    }
    waiting = set(
        session.scalars(
            select(CheckinRound.enrolment_id).where(
                CheckinRound.enrolment_id.in_(ids), CheckinRound.state.in_(WAITING)
            )
        )
    )
    made = {
        (enrolment_id, due)
        for enrolment_id, due in session.execute(
            select(CheckinRound.enrolment_id, CheckinRound.due_at).where(
                CheckinRound.enrolment_id.in_(ids),
                CheckinRound.due_at.in_({deadline.due_at for deadline in batch}),
            )
        )
    }
    rows: list[CheckinRound] = []
    for deadline in batch:
        enrolment = enrolments.get(deadline.subject_id)
        due = deadline.due_at
        if enrolment is None or enrolment.status == "ended":
            deadlines.mark_fired(deadline, now)
            continue
        # The next one is set from this one's scheduled time, so no scheduled round is skipped
        # after a clock jump or an outage: each comes due in turn and is sent or recorded.
        deadlines.rearm(deadline, Schedule.of(enrolment).next_due(due), now)
        if (enrolment.id, due) in made:
            continue  # made before (the schedule was moved back onto it): never twice
        row = CheckinRound(enrolment_id=enrolment.id, due_at=due, state="due", created_at=now)
        rows.append(row)
        resident = people[enrolment.resident_id]
        model = RoundModel(row, enrolment, resident, step)
        reason = _reason_to_skip(enrolment, resident, waiting)
        if reason:
            fire(model, "skip", reason=reason)
        else:
            fire(model, "send")
            waiting.add(enrolment.id)
    for row, row_id in zip(rows, store.reserve_round_ids(session, len(rows)), strict=True):
        row.id = row_id
    session.add_all(rows)
    session.flush()
    deadlines.schedule_many(
        session,
        (
            {
                "kind": REMIND,
                "subject_id": row.id,
                "key": store.step_key(row.id),
                "due_at": now + timings.remind(enrolments[row.enrolment_id]),
            }
            for row in step.sent
        ),
        now,
    )
    for language, recipients in step.checkins.items():
        message = words.checkin(language)
        for start in range(0, len(recipients), MULTICAST_LIMIT):
            outbox.enqueue_multicast(
                session, recipients[start : start + MULTICAST_LIMIT], [message], now
            )


def _reason_to_skip(enrolment: WatchEnrolment, resident: Resident, waiting: set[int]) -> str | None:
    if enrolment.status == "paused":
        return "paused"
    if not resident.following:
        return "blocked"
    if enrolment.id in waiting:
        # The last check-in is still waiting for its answer and has its own reminder coming.
        return "open"
    return None


def fire_reminders(
    session: Session, batch: list[Deadline], now: datetime, timings: Timings
) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        row = store.lock_round(session, deadline.subject_id)
        if row is not None and fire(model_of(step, row), "remind"):
            deadlines.rearm(deadline, now + timings.escalate(row.enrolment), now, kind=ESCALATE)
        else:
            deadlines.mark_fired(deadline, now)


def fire_escalations(
    session: Session, batch: list[Deadline], now: datetime, timings: Timings
) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        deadlines.mark_fired(deadline, now)
        row = store.lock_round(session, deadline.subject_id)
        if row is not None:
            fire(model_of(step, row), "escalate")


def fire_resumes(session: Session, batch: list[Deadline], now: datetime, timings: Timings) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        deadlines.mark_fired(deadline, now)
        enrolment = session.get(WatchEnrolment, deadline.subject_id, with_for_update=True)
        if enrolment is None or enrolment.status != "paused":
            continue
        store.resume(session, enrolment, now)
        tell_everyone(step, enrolment, _resumed_words)


def fire_weekly_summaries(
    session: Session, batch: list[Deadline], now: datetime, timings: Timings
) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        link = session.get(WatchFamilyLink, deadline.subject_id)
        if link is None or link.status != "linked" or link.summary != "weekly":
            deadlines.mark_fired(deadline, now)
            continue
        deadlines.rearm(deadline, store.next_weekly_summary(deadline.due_at), now)
        if link.enrolment.is_running:
            step.tell(link.family, weekly_summary(step, link))


def handlers(timings: Timings) -> dict[str, Callable[[Session, list[Deadline], datetime], None]]:
    """The scheduler's handler per deadline kind, bound to the settings' waits."""
    table = {
        ROUND: fire_rounds,
        REMIND: fire_reminders,
        ESCALATE: fire_escalations,
        RESUME: fire_resumes,
        WEEKLY: fire_weekly_summaries,
    }
    return {kind: partial(handler, timings=timings) for kind, handler in table.items()}


# What the resident's answers and signs of life do; handlers/watch.py calls these.


def open_rounds(session: Session, enrolment: WatchEnrolment) -> list[CheckinRound]:
    """Rounds still waiting or alarmed, newest first, locked for this step."""
    return list(
        session.scalars(
            select(CheckinRound)
            .where(
                CheckinRound.enrolment_id == enrolment.id,
                CheckinRound.state.in_(store.OPEN_ROUND_STATES),
            )
            .order_by(CheckinRound.due_at.desc())
            .with_for_update()
        )
    )


def answer(step: Step, resident: Resident, enrolment: WatchEnrolment | None, given: str) -> None:
    """元気です, 少し調子が悪い or 助けてほしい, tapped or typed, in a round or not."""
    rounds = open_rounds(step.session, enrolment) if enrolment is not None else []
    waiting = next((row for row in rounds if row.state in WAITING), None)
    alarmed = [row for row in rounds if row.state == "escalated"]
    if enrolment is not None:
        store.note_sign_of_life(enrolment, given, step.now)
    if given == words.HELP:
        target = waiting or (alarmed[0] if alarmed else None)
        if target is None or not fire(model_of(step, target), "help"):
            help_side_effects(step, enrolment, resident, None)
        return
    # Any answer ends an alarm that was raised because the resident had not answered.
    for row in alarmed:
        if row.answer != words.HELP:
            fire(model_of(step, row), "sign_of_life")
    event = "fine" if given == words.FINE else "unwell"
    if waiting is not None and fire(model_of(step, waiting), event):
        return
    if given == words.FINE:
        step.tell_resident(resident, thanks(resident.language))
    else:
        unwell_side_effects(step, enrolment, resident, None)


def sign_of_life(step: Step, resident: Resident, enrolment: WatchEnrolment) -> None:
    """Any message or tap from the resident: they are up and about."""
    store.note_sign_of_life(enrolment, "message", step.now)
    for row in open_rounds(step.session, enrolment):
        if row.answer != words.HELP:
            fire(model_of(step, row), "sign_of_life")


def family_action(step: Step, family: Resident, round_id: int, action: str) -> None:
    """A family member's tap on an alarm: 連絡がつきました or 連絡がつきません."""
    lang = family.language
    row = store.lock_round(step.session, round_id)
    link = _link_between(step.session, row.enrolment, family) if row is not None else None
    if row is None or link is None:
        step.tell_resident(family, text(gettext(lang, "Sorry, this button can no longer be used.")))
        return
    model = model_of(step, row)
    name = words.name_of(model.resident, lang)
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
    locked = store.lock_round(session, row.id)
    if locked is None:
        return False
    done = fire(model_of(step, locked), "staff_resolve", how=how, staff=staff, note=note)
    if done and locked.ticket_id:
        ticket = session.get(Ticket, locked.ticket_id)
        if ticket is not None:
            tickets.add_message(
                session,
                ticket,
                author="system",
                now=now,
                staff=staff,
                body=gettext(
                    STAFF_LANGUAGE,
                    "Round settled by staff: {how}.",
                    how=gettext(STAFF_LANGUAGE, words.SIGN_WORDS.get(how, how)),
                ),
            )
    return done


def cancel_waiting_rounds(step: Step, enrolment: WatchEnrolment) -> None:
    """Pausing, stopping or blocking ends the wait for an answer: no reminder, no alarm."""
    for row in open_rounds(step.session, enrolment):
        fire(model_of(step, row), "cancel")


def pause(
    step: Step, enrolment: WatchEnrolment, resume_on: date, by: str, by_person: Resident | None
) -> datetime:
    """入院・旅行でしばらくお休み: no check-ins and no alarms until `resume_on`."""
    resume_at = store.pause(step.session, enrolment, resume_on, by, step.now)
    cancel_waiting_rounds(step, enrolment)
    tell_everyone(step, enrolment, _paused_words, by_person=by_person)
    return resume_at


def resume(step: Step, enrolment: WatchEnrolment, by: str, by_person: Resident | None) -> None:
    store.resume(step.session, enrolment, step.now)
    tell_everyone(step, enrolment, _resumed_words, by_person=by_person)


def stop(step: Step, enrolment: WatchEnrolment, by_person: Resident | None) -> None:
    store.end(step.session, enrolment, step.now)
    cancel_waiting_rounds(step, enrolment)
    tell_everyone(step, enrolment, _stopped_words, by_person=by_person)


def blocked(step: Step, resident: Resident, enrolment: WatchEnrolment) -> None:
    """The resident blocked the account: we can no longer check on them, so people must know."""
    cancel_waiting_rounds(step, enrolment)
    open_watch_ticket(
        step,
        resident,
        urgency="today",
        reason="blocked",
        round_row=None,
        note=gettext(
            STAFF_LANGUAGE,
            "The resident blocked the LINE account while enrolled in watch-over, so check-ins "
            "can no longer reach them. {last}",
            last=words.last_sign(
                STAFF_LANGUAGE,
                enrolment.last_sign_of_life_at,
                enrolment.last_sign_of_life,
                step.now,
            ),
        ),
    )
    for family in families_of(step.session, enrolment):
        lang = family.language
        step.tell(
            family,
            text(
                gettext(
                    lang,
                    "[Watch-over] Check-ins can no longer reach {name} in LINE (the account "
                    "was blocked). We have told the watch-over staff.",
                    name=words.name_of(resident, lang),
                )
            ),
        )


# Side effects shared by the machine's callbacks and answers outside a round.


def thanks(language: str) -> Message:
    return text(gettext(language, "Thank you for letting us know. We are glad you are well."))


def unwell_side_effects(
    step: Step, enrolment: WatchEnrolment | None, resident: Resident, model: RoundModel | None
) -> None:
    """少し調子が悪い: a follow-up question, families told, a non-urgent ticket."""
    lang = resident.language
    step.tell_resident(
        resident,
        text(
            gettext(
                lang,
                "We are sorry to hear that. Would you like someone from the council to call "
                "you? You can also write to us here at any time.",
            ),
            [
                Button(gettext(lang, "Yes, please call me"), {"w": words.UNWELL, "a": "call"}),
                Button(gettext(lang, "No, I'll rest"), {"w": words.UNWELL, "a": "rest"}),
                Button(gettext(lang, "I need help"), {"w": words.CHECKIN, "a": words.HELP}),
            ],
        ),
    )
    row = model.row if model else None
    ticket_id = open_watch_ticket(
        step,
        resident,
        urgency="soon",
        reason="unwell",
        round_row=row,
        note=gettext(STAFF_LANGUAGE, "The resident answered that they are not feeling well."),
    )
    if row is not None:
        row.ticket_id = ticket_id
    if enrolment is not None:
        for family in families_of(step.session, enrolment):
            family_lang = family.language
            step.tell(
                family,
                text(
                    gettext(
                        family_lang,
                        "[Watch-over] {name} answered \u201cNot feeling well\u201d ({time}). "
                        "We have told the watch-over staff.",
                        name=words.name_of(resident, family_lang),
                        time=words.clock_time(step.now),
                    )
                ),
            )


def help_side_effects(
    step: Step, enrolment: WatchEnrolment | None, resident: Resident, model: RoundModel | None
) -> None:
    """助けてほしい: emergency numbers at once, families alerted, an emergency ticket."""
    step.tell_resident(resident, words.emergency_numbers(resident.language))
    row = model.row if model else None
    existing = _ticket_of(step, row) if row is not None else None
    body = gettext(STAFF_LANGUAGE, "The resident tapped \u201cI need help\u201d.")
    if existing is not None and existing.is_open:
        raise_urgency(step, existing, "emergency", body)
    else:
        ticket_id = open_watch_ticket(
            step, resident, urgency="emergency", reason="help", round_row=row, note=body
        )
        if row is not None:
            row.ticket_id = ticket_id
    if enrolment is None:
        return
    if model is not None:
        alert_families(step, model, _help_alert)
    else:
        for family in families_of(step.session, enrolment):
            step.tell(family, _help_alert(family.language, resident, None, step.now))


def alert_families(
    step: Step,
    model: RoundModel,
    words_for: Callable[[str, Resident, CheckinRound | None, datetime], Message],
) -> int:
    """Push the alarm with its two buttons to every linked family member; returns how many."""
    count = 0
    for family in families_of(step.session, model.enrolment):
        step.tell(family, words_for(family.language, model.resident, model.row, step.now))
        count += 1
    return count


def _alarm_buttons(language: str, row: CheckinRound | None) -> list[Button]:
    if row is None:
        return []
    round_id = str(row.id)
    return [
        Button(
            gettext(language, "Reached them"),
            {"w": words.FAMILY_ALERT, "a": "reached", "r": round_id},
        ),
        Button(
            gettext(language, "Cannot reach them"),
            {"w": words.FAMILY_ALERT, "a": "unreachable", "r": round_id},
        ),
    ]


def _no_answer_alert(
    language: str, resident: Resident, row: CheckinRound | None, now: datetime
) -> Message:
    assert row is not None
    enrolment = row.enrolment
    return text(
        gettext(
            language,
            "[Watch-over] {name} has not answered the check-in sent at {time}, nor the "
            "reminder. {last}\nCould you check on them, by phone for example? Please tap a "
            "button to tell us how it went.",
            name=words.name_of(resident, language),
            time=words.when(language, row.sent_at or row.due_at, now),
            last=words.last_sign(
                language, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, now
            ),
        ),
        _alarm_buttons(language, row),
    )


def _help_alert(
    language: str, resident: Resident, row: CheckinRound | None, now: datetime
) -> Message:
    return text(
        gettext(
            language,
            "[Watch-over] {name} tapped \u201cI need help\u201d ({time}). Please contact them "
            "now. If you cannot reach them or it is urgent, call 119.",
            name=words.name_of(resident, language),
            time=words.clock_time(now),
        ),
        _alarm_buttons(language, row),
    )


def send_daily_summaries(step: Step, model: RoundModel) -> None:
    """Families who chose it hear each 元気です, as a short note."""
    for link, family in linked_families(step.session, model.enrolment):
        if link.summary != "daily":
            continue
        lang = family.language
        step.tell(
            family,
            text(
                gettext(
                    lang,
                    "[Watch-over] {name} answered \u201cI'm fine\u201d at {time}.",
                    name=words.name_of(model.resident, lang),
                    time=words.clock_time(step.now),
                )
            ),
        )


def weekly_summary(step: Step, link: WatchFamilyLink) -> Message:
    enrolment = link.enrolment
    rounds = store.rounds_since(step.session, enrolment, step.now - timedelta(days=7))
    asked = [row for row in rounds if row.state not in ("skipped", "due")]
    answered = [row for row in asked if row.answer is not None or row.resolved_by == "resident"]
    fine = [row for row in asked if row.answer == words.FINE]
    alarms = [row for row in asked if row.escalated_at is not None]
    lang = link.family.language
    return text(
        gettext(
            lang,
            "[Watch-over] This week for {name}: {answered} of {asked} check-ins answered "
            "({fine} \u201cI'm fine\u201d), {alarms} alert(s).\n{last}",
            name=words.name_of(enrolment.resident, lang),
            answered=len(answered),
            asked=len(asked),
            fine=len(fine),
            alarms=len(alarms),
            last=words.last_sign(
                lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, step.now
            ),
        )
    )


def linked_families(
    session: Session, enrolment: WatchEnrolment
) -> list[tuple[WatchFamilyLink, Resident]]:
    return [(link, link.family) for link in store.family_links(session, enrolment)]


def families_of(session: Session, enrolment: WatchEnrolment) -> list[Resident]:
    return [family for _, family in linked_families(session, enrolment)]


def _link_between(
    session: Session, enrolment: WatchEnrolment, family: Resident
) -> WatchFamilyLink | None:
    return next(
        (link for link in store.family_links(session, enrolment) if link.family_id == family.id),
        None,
    )


# Announcements of pause, resume and stop to the resident and their family.


def _paused_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
    until = words.day_of(language, enrolment.paused_until) if enrolment.paused_until else "-"
    if mine:
        return gettext(
            language,
            "Check-ins are paused. They will start again on {day}. Take care.",
            day=until,
        )
    return gettext(
        language,
        "[Watch-over] Check-ins for {name} are paused until {day}. No alerts will be sent "
        "meanwhile.",
        name=name,
        day=until,
    )


def _resumed_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
    if mine:
        return gettext(language, "Check-ins have started again. Welcome back.")
    return gettext(language, "[Watch-over] Check-ins for {name} have started again.", name=name)


def _stopped_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
    if mine:
        return gettext(
            language,
            "Watch-over has stopped. You can sign up again at any time from the menu.",
        )
    return gettext(language, "[Watch-over] {name} has stopped watch-over check-ins.", name=name)


def tell_everyone(
    step: Step,
    enrolment: WatchEnrolment,
    words_for: Callable[[str, str, WatchEnrolment, bool], str],
    by_person: Resident | None = None,
) -> None:
    """The resident and each linked family member hear of the change; whoever made it by reply."""
    resident = enrolment.resident
    people = [resident, *families_of(step.session, enrolment)]
    for person in people:
        mine = person.id == resident.id
        body = words_for(person.language, words.name_of(resident, person.language), enrolment, mine)
        if by_person is not None and person.id == by_person.id and step.reply is not None:
            step.reply.append(text(body))
        else:
            step.tell(person, text(body))


# Tickets for the watch-over team.


def watch_team(session: Session) -> Team | None:
    return session.scalar(select(Team).where(Team.slug == WATCH_TEAM))


def open_watch_ticket(
    step: Step,
    resident: Resident,
    *,
    urgency: str,
    reason: str,
    round_row: CheckinRound | None,
    note: str,
) -> int | None:
    """A ticket in the watch-over queue, with a note saying why and the last sign of life."""
    team = watch_team(step.session)
    if team is None:
        # Families were still alerted in this step; the missing team must be fixed at once.
        log.error("no %r team: a watch-over %s ticket could not be filed", WATCH_TEAM, reason)
        return None
    if round_row is not None:
        step.session.flush()
    ticket = tickets.open_ticket(
        step.session,
        resident=resident,
        kind="watch",
        team=team,
        now=step.now,
        urgency=urgency,
        intake={
            "reason": reason,
            "round_id": round_row.id if round_row is not None else None,
            "due_at": round_row.due_at.isoformat() if round_row is not None else None,
        },
        contact={"method": "line"},
    )
    tickets.add_message(step.session, ticket, author="system", now=step.now, body=note)
    if team.line_group_id:
        step.session.add(ticket)
        outbox.enqueue(
            step.session,
            to=team.line_group_id,
            messages=[
                text(
                    gettext(
                        STAFF_LANGUAGE,
                        "Watch-over ticket {reference} ({urgency}): please check the console.",
                        reference=ticket.reference,
                        urgency=urgency,
                    )
                )
            ],
            now=step.now,
        )
    return ticket.id


def raise_urgency(step: Step, ticket: Ticket, urgency: str, note: str) -> None:
    if ticket.urgency != urgency:
        audit.record(
            step.session,
            "urgency",
            step.now,
            ticket=ticket,
            detail={"from": ticket.urgency, "to": urgency, "by": "watch-over"},
        )
        ticket.urgency = urgency
    tickets.add_message(step.session, ticket, author="system", now=step.now, body=note)


def _ticket_of(step: Step, row: CheckinRound | None) -> Ticket | None:
    if row is None or row.ticket_id is None:
        return None
    return step.session.get(Ticket, row.ticket_id)


def _note_on_ticket(step: Step, row: CheckinRound, body: str) -> None:
    ticket = _ticket_of(step, row)
    if ticket is not None:
        tickets.add_message(step.session, ticket, author="system", now=step.now, body=body)


def _staff_no_answer(model: RoundModel, families: int) -> str:
    enrolment, row = model.enrolment, model.row
    return gettext(
        STAFF_LANGUAGE,
        "No answer to the check-in sent at {time}, nor to the reminder.\n{last}\n"
        "Family members alerted: {families}.",
        time=words.when(STAFF_LANGUAGE, row.sent_at or row.due_at, model.now),
        last=words.last_sign(
            STAFF_LANGUAGE, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, model.now
        ),
        families=families,
    )
