"""What the watch-over steps say and file: family alerts and notes, announcements, tickets.

Shared by the round machine's callbacks (flows/watch/checkin.py) and by answers outside a round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from flows.messages import Button, Message, text
from flows.postback import WatchAnswer
from flows.watch import words
from locales import DEFAULT_LANGUAGE, gettext, watch_words
from locales.urgency import urgency_in
from storage import casework, outbox, routing, tickets
from storage.models import (
    CheckinRound,
    Resident,
    Team,
    Ticket,
    WatchEnrolment,
    WatchFamilyLink,
)
from storage.watch import linking, rounds

if TYPE_CHECKING:
    from flows.watch.checkin import RoundModel, Step

log = logging.getLogger(__name__)

STAFF_LANGUAGE = DEFAULT_LANGUAGE


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
                Button(gettext(lang, "Yes, please call me"), WatchAnswer(words.UNWELL, "call")),
                Button(gettext(lang, "No, I'll rest"), WatchAnswer(words.UNWELL, "rest")),
                Button(gettext(lang, "I need help"), WatchAnswer(words.CHECKIN, words.HELP)),
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
                        name=watch_words.name_of(resident, family_lang),
                        time=watch_words.clock_time(step.now),
                    )
                ),
            )


def help_side_effects(
    step: Step, enrolment: WatchEnrolment | None, resident: Resident, model: RoundModel | None
) -> None:
    """助けてほしい: emergency numbers at once, families alerted, an emergency ticket."""
    step.tell_resident(resident, words.emergency_numbers(resident.language))
    row = model.row if model else None
    existing = ticket_of(step, row) if row is not None else None
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
        alert_families(step, model, help_alert)
    else:
        for family in families_of(step.session, enrolment):
            step.tell(family, help_alert(family.language, resident, None, step.now))


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


def alarm_buttons(language: str, row: CheckinRound | None) -> list[Button]:
    if row is None:
        return []
    round_id = str(row.id)
    return [
        Button(
            gettext(language, "Reached them"),
            WatchAnswer(words.FAMILY_ALERT, "reached", round_id=round_id),
        ),
        Button(
            gettext(language, "Cannot reach them"),
            WatchAnswer(words.FAMILY_ALERT, "unreachable", round_id=round_id),
        ),
    ]


def no_answer_alert(
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
            name=watch_words.name_of(resident, language),
            time=watch_words.when(language, row.sent_at or row.due_at, now),
            last=watch_words.last_sign(
                language, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, now
            ),
        ),
        alarm_buttons(language, row),
    )


def help_alert(
    language: str, resident: Resident, row: CheckinRound | None, now: datetime
) -> Message:
    return text(
        gettext(
            language,
            "[Watch-over] {name} tapped \u201cI need help\u201d ({time}). Please contact them "
            "now. If you cannot reach them or it is urgent, call 119.",
            name=watch_words.name_of(resident, language),
            time=watch_words.clock_time(now),
        ),
        alarm_buttons(language, row),
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
                    name=watch_words.name_of(model.resident, lang),
                    time=watch_words.clock_time(step.now),
                )
            ),
            quiet=True,
        )


def weekly_summary(step: Step, link: WatchFamilyLink) -> Message:
    enrolment = link.enrolment
    round_rows = rounds.rounds_since(step.session, enrolment, step.now - timedelta(days=7))
    asked = [row for row in round_rows if row.state not in ("skipped", "due")]
    answered = [row for row in asked if row.answer is not None or row.resolved_by == "resident"]
    fine = [row for row in asked if row.answer == words.FINE]
    alarms = [row for row in asked if row.escalated_at is not None]
    lang = link.family.language
    return text(
        gettext(
            lang,
            "[Watch-over] This week for {name}: {answered} of {asked} check-ins answered "
            "({fine} \u201cI'm fine\u201d), {alarms} alert(s).\n{last}",
            name=watch_words.name_of(enrolment.resident, lang),
            answered=len(answered),
            asked=len(asked),
            fine=len(fine),
            alarms=len(alarms),
            last=watch_words.last_sign(
                lang, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, step.now
            ),
        )
    )


def linked_families(
    session: Session, enrolment: WatchEnrolment
) -> list[tuple[WatchFamilyLink, Resident]]:
    return [(link, link.family) for link in linking.family_links(session, enrolment)]


def families_of(session: Session, enrolment: WatchEnrolment) -> list[Resident]:
    return [family for _, family in linked_families(session, enrolment)]


def link_between(
    session: Session, enrolment: WatchEnrolment, family: Resident
) -> WatchFamilyLink | None:
    return next(
        (link for link in linking.family_links(session, enrolment) if link.family_id == family.id),
        None,
    )


# Announcements of pause, resume and stop to the resident and their family.


def paused_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
    until = watch_words.day_of(language, enrolment.paused_until) if enrolment.paused_until else "-"
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


def resumed_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
    if mine:
        return gettext(language, "Check-ins have started again. Welcome back.")
    return gettext(language, "[Watch-over] Check-ins for {name} have started again.", name=name)


def stopped_words(language: str, name: str, enrolment: WatchEnrolment, mine: bool) -> str:
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
        body = words_for(
            person.language, watch_words.name_of(resident, person.language), enrolment, mine
        )
        if by_person is not None and person.id == by_person.id and step.reply is not None:
            step.reply.append(text(body))
        else:
            step.tell(person, text(body))


# Tickets for the watch-over team.


def watch_team(session: Session) -> Team | None:
    return routing.team_by_slug(session, routing.WATCH_TEAM)


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
        log.error(
            "no %r team: a watch-over %s ticket could not be filed", routing.WATCH_TEAM, reason
        )
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
    notice = gettext(
        STAFF_LANGUAGE,
        "Watch-over ticket {reference} ({urgency}): please check the console.",
        reference=ticket.reference,
        urgency=urgency_in(STAFF_LANGUAGE, urgency),
    )
    outbox.alert_team(step.session, team, [text(notice)], step.now)
    return ticket.id


def raise_urgency(step: Step, ticket: Ticket, urgency: str, note: str) -> None:
    """Raise an open ticket to `urgency` (never lower it); its due time follows the urgency."""
    if ticket.is_open and casework.more_urgent(urgency, ticket.urgency):
        casework.set_urgency(step.session, ticket, urgency, step.now, by="watch-over")
    tickets.add_message(step.session, ticket, author="system", now=step.now, body=note)


def resolve_by_answer(step: Step, row: CheckinRound, note: str) -> None:
    """The resident got in touch, ending a no-answer alarm: its ticket is resolved (outcome
    "answered") with `note` in its thread; a ticket closed already just gets the note."""
    ticket = ticket_of(step, row)
    if ticket is not None and not casework.resolve_by_answer(step.session, ticket, note, step.now):
        tickets.add_message(step.session, ticket, author="system", now=step.now, body=note)


def ticket_of(step: Step, row: CheckinRound | None) -> Ticket | None:
    return rounds.round_ticket(step.session, row)


def note_on_ticket(step: Step, row: CheckinRound, body: str) -> None:
    ticket = ticket_of(step, row)
    if ticket is not None:
        tickets.add_message(step.session, ticket, author="system", now=step.now, body=body)


def staff_no_answer(model: RoundModel, families: int, neighbours: int = 0) -> str:
    enrolment, row = model.enrolment, model.row
    said = gettext(
        STAFF_LANGUAGE,
        "No answer to the check-in sent at {time}, nor to the reminder.\n{last}\n"
        "Family members alerted: {families}.",
        time=watch_words.when(STAFF_LANGUAGE, row.sent_at or row.due_at, model.now),
        last=watch_words.last_sign(
            STAFF_LANGUAGE, enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, model.now
        ),
        families=families,
    )
    if neighbours:
        said += "\n" + gettext(
            STAFF_LANGUAGE, "Care-net neighbours asked to look in: {count}.", count=neighbours
        )
    return said
