"""ケアネット: the round asks the resident's neighbours to look in, and takes their answers.

The ask is written by the round's own step (the reminder or the escalation, as the council
sets MADOGUCHI_CARE_NET), in that step's transaction: a process killed mid-step re-fires the
deadline only if nothing of it committed, so each neighbour is asked once. Their answer (見て
きます / 今は無理) goes to the round's watch-over ticket, opened here if the round has none
yet (asked with the reminder, before the escalation files one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows import outgoing
from flows.messages import Button, Message, text
from flows.postback import WatchAnswer
from flows.watch import alerts
from locales import N_, gettext, watch_words
from storage import care_net, tickets
from storage.models import OPEN_ROUND_STATES, CheckinRound, Resident, Supporter
from storage.watch import rounds

if TYPE_CHECKING:
    from flows.watch.checkin import RoundModel, Step

# What a neighbour's tap answers (flows.postback.WatchAnswer.about), beside flows.watch.words'.
NEIGHBOUR = "nb"
# A neighbour's answers: 見てきます, 今は無理.
GOING, NOT_NOW = care_net.GOING, care_net.NOT_NOW
A_NEIGHBOUR = N_("a neighbour")


def ask(step: Step, model: RoundModel) -> int:
    """Ask each active neighbour who follows the account to look in; returns how many."""
    asked = 0
    for link in care_net.links_to_ask(step.session, model.enrolment):
        person = link.supporter.resident
        if not outgoing.reachable(person):
            continue
        care_net.mark_asked(link, model.row.id)
        step.tell(person, ask_message(person.language, model.resident, model.row))
        asked += 1
    return asked


def ask_message(language: str, resident: Resident, row: CheckinRound) -> Message:
    round_id = str(row.id)
    return text(
        gettext(
            language,
            "[Care net] {name} has not answered the watch-over check-in. Could you look in "
            "on them at home?",
            name=watch_words.name_of(resident, language),
        ),
        [
            Button(
                gettext(language, "I'll go and see"),
                WatchAnswer(NEIGHBOUR, GOING, round_id=round_id),
            ),
            Button(
                gettext(language, "Not right now"),
                WatchAnswer(NEIGHBOUR, NOT_NOW, round_id=round_id),
            ),
        ],
    )


def answer(step: Step, neighbour: Resident, round_id: int, given: str) -> None:
    """A neighbour's tap on the ask: to them a thank-you, to the round's ticket a note."""
    lang = neighbour.language
    row = rounds.lock_round(step.session, round_id)
    link = care_net.link_of(step.session, row.enrolment_id, neighbour) if row else None
    if (
        row is None
        or link is None
        or link.supporter.status == "left"
        or given not in (GOING, NOT_NOW)
    ):
        _say(step, neighbour, gettext(lang, "Thank you. This request is no longer needed."))
        return
    if row.state not in OPEN_ROUND_STATES:
        _say(step, neighbour, _settled_words(lang, row))
        return
    if not care_net.record_answer(link, round_id, given, step.now):
        # The same button tapped again: thanked, and the ticket not noted twice.
        _say(step, neighbour, gettext(lang, "Thank you. We have your answer already."))
        return
    if given == GOING:
        _say(
            step,
            neighbour,
            gettext(
                lang,
                "Thank you very much. When you know how they are, please tell us in this chat.",
            ),
        )
        note = N_("Care-net neighbour {neighbour} is going to look in on the resident.")
    else:
        _say(step, neighbour, gettext(lang, "All right. Thank you for letting us know."))
        note = N_("Care-net neighbour {neighbour} cannot look in right now.")
    _note(step, row, gettext(alerts.STAFF_LANGUAGE, note, neighbour=_first_name(link.supporter)))


def take_report(step: Step, neighbour: Resident, words_typed: str) -> bool:
    """What a neighbour types after 見てきます is their report on the visit: it goes to the
    round's ticket, for the staff who watch it. False if they are not reporting on one."""
    link = care_net.reporting_link(step.session, neighbour, step.now)
    row = rounds.lock_round(step.session, link.asked_round_id) if link is not None else None
    if link is None or row is None:
        return False
    ticket = alerts.ticket_of(step, row)
    if row.state not in OPEN_ROUND_STATES and (ticket is None or not ticket.is_open):
        return False
    link.answer = care_net.REPORTED
    link.answered_at = step.now
    body = gettext(
        alerts.STAFF_LANGUAGE,
        "Care-net neighbour {neighbour} reports: {report}",
        neighbour=_first_name(link.supporter),
        report=words_typed,
    )
    _note(step, row, body)
    _say(step, neighbour, gettext(neighbour.language, "Thank you. We have told the staff."))
    return True


def stand_down(step: Step, row: CheckinRound) -> None:
    """The resident answered or staff settled the round: the neighbours asked about it who
    may be on their way are told it is no longer needed, once."""
    for link in care_net.asked_about(step.session, row.id):
        link.answer = care_net.STOOD_DOWN
        link.answered_at = step.now
        person = link.supporter.resident
        if not outgoing.reachable(person):
            continue
        step.tell(
            person,
            text(
                gettext(
                    person.language,
                    "[Care net] {name} has answered. There is no need to look in now. "
                    "Thank you very much.",
                    name=watch_words.name_of(row.enrolment.resident, person.language),
                )
            ),
        )


def _settled_words(language: str, row: CheckinRound) -> str:
    if row.answered_at is not None or row.resolved_by == "resident":
        return gettext(language, "The resident has answered. Thank you very much.")
    return gettext(language, "This has already been settled. Thank you very much.")


def _say(step: Step, neighbour: Resident, words_said: str) -> None:
    step.tell_resident(neighbour, text(words_said))


def _first_name(supporter: Supporter) -> str:
    """How staff know the neighbour: the first name they consented to share."""
    return supporter.first_name or gettext(alerts.STAFF_LANGUAGE, A_NEIGHBOUR)


def _note(step: Step, row: CheckinRound, body: str) -> None:
    """On the round's ticket; a round asked about before its escalation may have none yet."""
    ticket = alerts.ticket_of(step, row)
    if ticket is not None:
        tickets.add_message(step.session, ticket, author="system", now=step.now, body=body)
        return
    row.ticket_id = alerts.open_watch_ticket(
        step,
        row.enrolment.resident,
        urgency="today",
        reason="no_answer",
        round_row=row,
        note=body,
    )


def settle_early_ticket(step: Step, row: CheckinRound) -> None:
    """The resident answered after a neighbour's answer opened a ticket before the escalation
    (MADOGUCHI_CARE_NET=before): that ticket is resolved, as an alarm's is by an answer."""
    if row.ticket_id is None or row.escalated_at is not None:
        return
    alerts.resolve_by_answer(
        step,
        row,
        gettext(
            alerts.STAFF_LANGUAGE,
            "The resident answered the check-in. The neighbours' visit is no longer needed.",
        ),
    )
