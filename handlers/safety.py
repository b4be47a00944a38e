"""Danger words in any message, in any state: the numbers at once, an urgent ticket, the team told.

Called first for every message. It never changes the flow: the caller carries on as usual, so
the message still reaches the flow or the ticket's thread. A "concern" says nothing to the
resident and only leaves a mark for staff.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from flows import answer_time, safety
from flows.engine import Turn
from flows.i18n import DEFAULT_LANGUAGE, N_, gettext
from flows.inputs import UserInput
from flows.messages import text
from storage import audit, business_time, outbox, routing, tickets
from storage.models import Team, Ticket

log = logging.getLogger(__name__)

EMERGENCY = "emergency"

# What to do right now, per kind of alarm; every line names the number to call.
NUMBERS = {
    "suicide": N_(
        "Thank you for telling us how you feel. You do not have to carry this alone. "
        "To talk to someone now, call Inochi no Denwa (0570-783-556) or the Yorisoi Hotline "
        "(0120-279-338). If a life is in danger, call 119."
    ),
    "collapse": N_(
        "If someone has collapsed, is not breathing or does not answer, call 119 for an "
        "ambulance now. If you are not sure whether to call one, call #7119."
    ),
    "fire": N_("If there is a fire or a smell of gas, get away from it first, then call 119."),
    "violence": N_(
        "If you are in danger, call the police at 110 now. If you can, go somewhere safe."
    ),
    "child_abuse": N_(
        "If a child is in danger, call 110 now. You can also call 189, the child guidance "
        "centre's line, at any hour; you do not have to give your name."
    ),
    "distress": N_(
        "If you are in danger now, call 119 for an ambulance or a fire, or 110 for the police."
    ),
}
# How staff see the kind of an alarm, in notes, thread entries and LINE group alerts.
LABELS = {
    "suicide": N_("suicidal thoughts"),
    "collapse": N_("someone collapsed or unwell"),
    "fire": N_("fire or gas"),
    "violence": N_("violence or abuse"),
    "child_abuse": N_("child abuse"),
    "distress": N_("a call for help"),
}


def intercept(turn: Turn, given: UserInput) -> bool:
    """Answer danger words in a text message; True when it said something to the resident."""
    if given.kind != "text" or not given.text:
        return False
    alarm = safety.check(given.text)
    if alarm is None:
        return False
    # The kind only: what the resident wrote never goes to the logs.
    log.info("safety %s: %s", alarm.level, alarm.kind)
    if alarm.level == EMERGENCY:
        _raise_alarm(turn, given, alarm)
        return True
    _mark_concern(turn, alarm)
    return False


def _raise_alarm(turn: Turn, given: UserInput, alarm: safety.Alarm) -> None:
    """Open an urgent ticket, or raise the open one, tell the team, and give the numbers."""
    session, now = turn.session, turn.now
    ticket = tickets.open_ticket_of(session, turn.resident)
    previous = ticket.urgency if ticket else None
    if ticket is None:
        ticket = _open_safety_ticket(turn, given, alarm)
    elif previous != EMERGENCY:
        ticket.urgency = EMERGENCY
        due = business_time.sla_due(ticket.team, EMERGENCY, now)
        ticket.sla_due_at = min(ticket.sla_due_at, due) if ticket.sla_due_at else due
        tickets.add_message(
            session,
            ticket,
            author="system",
            now=now,
            body=gettext(
                DEFAULT_LANGUAGE,
                "Safety alarm ({what}): urgency raised to emergency.",
                what=_label(alarm.kind),
            ),
        )
    if ticket is not None:
        audit.record(
            session,
            "safety_alarm",
            now,
            ticket=ticket,
            detail={"kind": alarm.kind, "kinds": list(alarm.kinds), "urgency_was": previous},
        )
        # Told once per ticket: later alarms on an emergency ticket are already in front of them.
        if previous != EMERGENCY:
            _alert_team(session, ticket, alarm, now)
    turn.say(text(_numbers_message(turn, alarm, ticket.team if ticket else None)))


def _open_safety_ticket(turn: Turn, given: UserInput, alarm: safety.Alarm) -> Ticket | None:
    session = turn.session
    try:
        team = routing.default_team(session)
    except LookupError:
        # No town loaded: the resident still gets the numbers; operators must load the teams.
        log.warning("safety alarm without a %s team: no ticket opened", routing.DEFAULT_TEAM)
        return None
    ticket = tickets.open_ticket(
        session,
        resident=turn.resident,
        kind="safety",
        team=team,
        now=turn.now,
        urgency=EMERGENCY,
        intake={"alarm": alarm.kind},
    )
    # Staff need the words that raised the alarm; they go in the ticket, never in a log. Outside
    # a flow the caller's normal handling puts them in the open ticket's thread; inside one the
    # flow takes them, so they are copied here.
    if turn.conversation.flow is not None:
        tickets.add_message(
            session,
            ticket,
            author="resident",
            now=turn.now,
            body=given.text,
            line_message_id=given.message_id,
        )
    return ticket


def _alert_team(session: Session, ticket: Ticket, alarm: safety.Alarm, now: datetime) -> None:
    """A push to the team's LINE group: the reference and the kind, never the resident's words."""
    group = ticket.team.line_group_id
    if not group:
        return
    body = gettext(
        DEFAULT_LANGUAGE,
        "Emergency {reference}: {what}. Please open it in the console now.",
        reference=ticket.reference,
        what=_label(alarm.kind),
    )
    outbox.enqueue(session, to=group, messages=[text(body)], now=now)


def _numbers_message(turn: Turn, alarm: safety.Alarm, team: Team | None) -> str:
    lines = [turn._(NUMBERS[kind]) for kind in alarm.kinds if kind in NUMBERS]
    if team is None or business_time.is_open(team, turn.now):
        lines.append(turn._("We have told our staff right away."))
    else:
        when = answer_time.opening(
            turn.resident.language, business_time.next_opening(team, turn.now), turn.now
        )
        lines.append(
            turn._(
                "We have told our staff. The office is closed now, so a person will read "
                "your message {when}.",
                when=when,
            )
        )
    return "\n".join(lines)


def _mark_concern(turn: Turn, alarm: safety.Alarm) -> None:
    """Leave a mark staff will see, without quoting the resident; the resident hears nothing."""
    session, now = turn.session, turn.now
    ticket = tickets.open_ticket_of(session, turn.resident)
    if ticket is not None:
        body = gettext(
            DEFAULT_LANGUAGE,
            "Safety note: the resident's wording may point to {what}. Please check with care.",
            what=_label(alarm.kind),
        )
        # One note per kind is enough; the same worry said twice is not news.
        if not any(m.author == "note" and m.body == body for m in ticket.messages):
            tickets.add_message(session, ticket, author="note", now=now, body=body)
    # For a consultation still being filled in: the flow can carry these into its ticket.
    conversation = turn.conversation
    marked = list(conversation.data.get("safety_concerns", []))
    if alarm.kind not in marked:
        conversation.data = {**conversation.data, "safety_concerns": [*marked, alarm.kind]}
    audit.record(
        session,
        "safety_concern",
        now,
        ticket=ticket,
        detail={"kind": alarm.kind, "kinds": list(alarm.kinds)},
    )


def _label(kind: str) -> str:
    # Notes, thread entries and alerts are stored for staff, in the council's language.
    return gettext(DEFAULT_LANGUAGE, LABELS.get(kind, kind))
