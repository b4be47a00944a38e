"""Watch-over in every chat, whatever flow a person is in.

Before anything else looks at a message or a tap: it is a sign of life for an enrolled
resident; a check-in answer, a family member's answer to an alert, a resident's answer to a
link request and a ケアネット neighbour's report on their visit are handled here (and the
conversation the person was in stays where it was); and a family code typed outside a flow
starts the family link.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from flows import engine
from flows.engine import Turn
from flows.inputs import UserInput, normalise
from flows.messages import text
from flows.postback import WatchAnswer
from flows.watch import alerts, checkin, family_link, neighbours, words
from locales import N_, gettext, watch_words
from storage import tickets
from storage.models import Resident, Ticket, WatchEnrolment
from storage.watch import enrolments, linking, rounds

log = logging.getLogger(__name__)

# Answers typed rather than tapped, while a check-in waits for one.
_TYPED_ANSWERS = {
    normalise(word): answer
    for answer, typed in {
        words.FINE: ["元気です", "元気", "げんき", "げんきです", "元気だよ", "I'm fine", "fine"],
        words.UNWELL_ANSWER: [
            "少し調子が悪い",
            "調子が悪い",
            "ちょうしがわるい",
            "具合が悪い",
            "not feeling well",
        ],
        words.HELP: ["助けてほしい", "助けて", "たすけて", "たすけてほしい", "help"],
    }.items()
    for word in typed
}


def intercept(turn: Turn, given: UserInput) -> bool:
    """Handle what belongs to watch-over; True when nothing else should see this event."""
    session, resident = turn.session, turn.resident
    tapped = given.postback if isinstance(given.postback, WatchAnswer) else None
    step = checkin.Step.of(turn)
    enrolment = enrolments.running_enrolment(session, resident, lock=True)
    if tapped is not None and tapped.about == words.CHECKIN:
        checkin.answer(step, resident, enrolment, tapped.answer)
        return True
    typed = _typed_answer(turn, given, enrolment)
    if typed is not None:
        checkin.answer(step, resident, enrolment, typed)
        return True
    if enrolment is not None and given.kind != "unknown":
        checkin.sign_of_life(step, resident, enrolment)
    if tapped is not None and _answer_tap(turn, step, tapped):
        return True
    # A ケアネット neighbour who said 見てきます was asked to tell us in this chat how it went.
    if given.kind == "text" and neighbours.take_report(step, resident, given.text):
        return True
    if _is_code_outside_a_flow(turn, given):
        family_link.begin_with(turn, given)
        return True
    return False


def sign_of_life(turn: Turn, given: UserInput) -> None:
    """Whatever an enrolled resident sends says they are there, even what watch-over does not
    otherwise take (an answer to the safety question)."""
    enrolment = enrolments.running_enrolment(turn.session, turn.resident, lock=True)
    if enrolment is not None and given.kind != "unknown":
        step = checkin.Step.of(turn)
        checkin.sign_of_life(step, turn.resident, enrolment)


def is_typed_answer(turn: Turn, given: UserInput) -> bool:
    """Whether this is a check-in answer typed while a check-in waits (元気です, 助けて …)."""
    if given.kind != "text" or given.normalised not in _TYPED_ANSWERS:
        return False  # most messages: no need to look for an enrolment
    enrolment = enrolments.running_enrolment(turn.session, turn.resident)
    return _typed_answer(turn, given, enrolment) is not None


def on_follow(session: Session, resident: Resident, now: datetime) -> None:
    """Coming back (unblocking) is a sign of life too."""
    enrolment = enrolments.running_enrolment(session, resident, lock=True)
    if enrolment is not None:
        checkin.sign_of_life(checkin.Step(session, now), resident, enrolment)


def on_unfollow(session: Session, resident: Resident, now: datetime) -> None:
    """A resident who blocks the account while enrolled can no longer be checked on."""
    enrolment = enrolments.running_enrolment(session, resident, lock=True)
    if enrolment is not None:
        checkin.blocked(checkin.Step(session, now), resident, enrolment)


def _typed_answer(turn: Turn, given: UserInput, enrolment: WatchEnrolment | None) -> str | None:
    """元気です typed while a check-in waits counts as tapping it."""
    if enrolment is None or given.kind != "text":
        return None
    answer = _TYPED_ANSWERS.get(given.normalised)
    if answer is None or engine.takes_free_text(turn):
        return None
    return answer if rounds.open_round(turn.session, enrolment, turn.now) is not None else None


def _answer_tap(turn: Turn, step: checkin.Step, tapped: WatchAnswer) -> bool:
    """A tap on a watch-over question other than the check-in; False if it names none."""
    if tapped.about == words.UNWELL:
        _unwell_follow_up(turn, tapped.answer)
    elif tapped.about == words.FAMILY_ALERT:
        round_id = int(tapped.round_id) if tapped.round_id.isdigit() else 0
        checkin.family_action(step, turn.resident, round_id, tapped.answer)
    elif tapped.about == neighbours.NEIGHBOUR:
        round_id = int(tapped.round_id) if tapped.round_id.isdigit() else 0
        neighbours.answer(step, turn.resident, round_id, tapped.answer)
    elif tapped.about == words.LINK:
        _answer_link_request(turn, tapped.link_id, tapped.answer)
    elif tapped.about == words.SUMMARY:
        _choose_summary(turn, tapped.link_id, tapped.answer)
    else:
        return False
    return True


def _is_code_outside_a_flow(turn: Turn, given: UserInput) -> bool:
    if given.kind != "text" or family_link.code_in(given.text) is None:
        return False
    flow = turn.conversation.flow
    return flow is None or flow == family_link.NAME or not engine.takes_free_text(turn)


def _unwell_follow_up(turn: Turn, choice: str) -> None:
    ticket = _open_watch_ticket(turn.resident, turn)
    step = checkin.Step.of(turn)
    if choice == "call":
        turn.say(text(turn._("All right. Someone from the council will call you soon.")))
        if ticket is not None:
            alerts.raise_urgency(
                step,
                ticket,
                "today" if ticket.urgency in ("soon", "anytime") else ticket.urgency,
                gettext(alerts.STAFF_LANGUAGE, "The resident would like a phone call."),
            )
        return
    turn.say(
        text(turn._("All right. Please rest, and write to us here any time if you feel worse."))
    )
    if ticket is not None:
        tickets.add_message(
            turn.session,
            ticket,
            author="system",
            now=turn.now,
            body=gettext(alerts.STAFF_LANGUAGE, "The resident said they will rest."),
        )


def _open_watch_ticket(resident: Resident, turn: Turn) -> Ticket | None:
    ticket = tickets.open_ticket_of(turn.session, resident)
    return ticket if ticket is not None and ticket.kind == "watch" else None


def _answer_link_request(turn: Turn, link_id: str, answer: str) -> None:
    """The resident's はい or いいえ to someone who used their code."""
    link = linking.lock_link(turn.session, int(link_id)) if link_id.isdigit() else None
    if link is None or link.enrolment.resident_id != turn.resident.id or link.status != "pending":
        turn.say(text(turn._("Sorry, this button can no longer be used.")))
        return
    family = link.family
    family_name = watch_words.name_of(
        family, turn.resident.language, watch_words.YOUR_FAMILY_MEMBER
    )
    lang = family.language
    if answer == "yes":
        linking.confirm_link(link, turn.now)
        turn.say(
            text(
                turn._(
                    "{family} is now registered. They will be told if you do not answer, or "
                    "ask for help.",
                    family=family_name,
                )
            )
        )
        lead = gettext(
            lang,
            "{name} has confirmed: you are now registered for watch-over. When all is well, "
            "how would you like to hear about it?",
            name=watch_words.name_of(turn.resident, lang),
        )
        turn.tell(family, family_link.summary_choice(link, lead))
        return
    linking.decline_link(link, turn.now)
    turn.say(text(turn._("All right, {family} was not registered.", family=family_name)))
    not_confirmed = gettext(
        lang,
        "{name} did not confirm the registration. Please talk with them directly.",
        name=watch_words.name_of(turn.resident, lang),
    )
    turn.tell(family, text(not_confirmed))


def _choose_summary(turn: Turn, link_id: str, summary: str) -> None:
    link = linking.lock_link(turn.session, int(link_id)) if link_id.isdigit() else None
    if link is None or link.family_id != turn.resident.id or link.status != "linked":
        turn.say(text(turn._("Sorry, this button can no longer be used.")))
        return
    if summary not in ("daily", "weekly", "none"):
        summary = "none"
    linking.set_summary(turn.session, link, summary, turn.now)
    said = {
        "daily": N_(
            "All right: each time {name} answers \u201cI'm fine\u201d, you will get a short note."
        ),
        "weekly": N_("All right: you will get a summary every Sunday evening."),
        "none": N_("All right: you will hear from us only if something is wrong."),
    }[summary]
    turn.say(
        text(
            turn._(said, name=watch_words.name_of(link.enrolment.resident, turn.resident.language))
        )
    )
