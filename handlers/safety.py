"""Danger in any message, in any state: what to do and whom to call, a ticket, the team told.

Called first for every message and tap (handlers.events), by the level flows.safety gives:

- emergency: the numbers at once (flows.safety_words: a card that leads with what to do, a
  call button per number), an emergency ticket (the open one raised, or a new one for the
  default team) and one alert to the team's LINE group. The same kind again within
  REPEAT_WINDOW of its numbers, on a ticket already an emergency, gets one short line instead.
- possible: the numbers, gently, and "do you need help right now?" with はい / いいえ、大丈夫;
  a ticket at TODAY urgency, or a note on the open one. はい is the full emergency; いいえ
  gets a kind line and a note for staff.
- concern: nothing is said; staff find a note.

The middle tier, in a flow: the message still goes on to the flow (a consultation's worry keeps
it), but the flow's reply in that turn is dropped, so the safety question is the last message —
LINE shows quick replies only under the last one, and a second question would compete with
it. Whatever the resident does next, nothing is lost: a tap on an answer asks the flow's
question again with its buttons (engine.ask_again); a message instead goes to the flow as usual.

Every answer is also written in the ticket's thread as the bot's words, after the resident's
own, so staff read exactly what the resident was told. Logs and audit entries name the kind,
never what the resident wrote. Not read: digits alone (a phone number, a family code) and a
check-in's own answer typed (助けて: watch-over answers it, see handlers.events).
"""

from __future__ import annotations

import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from flows import answer_time, engine, safety, safety_words
from flows.engine import Turn
from flows.inputs import UserInput
from flows.messages import Message, text
from flows.postback import SafetyAnswer
from locales import DEFAULT_LANGUAGE, N_, gettext
from storage import audit, business_time, casework, outbox, routing, tickets
from storage.messages import readable
from storage.models import Team, Ticket

log = logging.getLogger(__name__)

EMERGENCY, POSSIBLE = safety.EMERGENCY, safety.POSSIBLE
# Set in the conversation's data while the safety question waits: {"kind": …, "at": ISO time}.
ASKED = "_safety_asked"
# A "may be an emergency" ticket: high in the queue, without the emergency's one-hour clock.
TODAY = "today"
# The same kind of alarm this soon after its numbers gets a short line, not the numbers again.
REPEAT_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Outcome:
    """What the safety check did with one input, for the caller to go on from."""

    # The resident was answered about danger: a flow re-asks without a "sorry".
    said: bool = False
    # A tap on the safety question: answered whole, no flow or thread takes it.
    handled: bool = False
    # The safety question: the turn's only words, in place of what the rest of it says.
    question: tuple[Message, ...] = ()


NOTHING = Outcome()


def intercept(turn: Turn, given: UserInput) -> Outcome:
    """Answer danger in a text message, or an answer to the safety question."""
    if isinstance(given.postback, SafetyAnswer):
        _answered(turn, given.postback.answer, given.postback.kind)
        return Outcome(said=True, handled=True)
    typed = _typed_answer(turn, given)
    if typed is not None:
        _answered(turn, *typed)
        return Outcome(said=True, handled=True)
    if given.kind != "text" or not _has_words(given.text):
        return NOTHING
    alarm = safety.check(given.text)
    if alarm is None:
        return NOTHING
    # The kind only: what the resident wrote never goes to the logs.
    log.info("safety %s: %s", alarm.level, alarm.kind)
    if alarm.level == EMERGENCY:
        _emergency(turn, alarm, given)
        return Outcome(said=True)
    if alarm.level == POSSIBLE:
        return Outcome(said=True, question=tuple(_possible(turn, alarm, given)))
    _mark_concern(turn, alarm)
    return NOTHING


def _typed_answer(turn: Turn, given: UserInput) -> tuple[str, str] | None:
    """はい or 大丈夫 typed, not tapped, just after the safety question: (answer, kind)."""
    asked = turn.conversation.data.get(ASKED)
    if given.kind != "text" or not asked:
        return None
    answer = safety_words.TYPED_ANSWERS.get(given.normalised.rstrip("。.!！"))
    if answer is None or turn.now - datetime.fromisoformat(asked["at"]) > REPEAT_WINDOW:
        return None
    return answer, str(asked.get("kind", ""))


def _has_words(message: str) -> bool:
    """Whether a message has words to read. One of digits and signs only is a phone number or
    a code (a family code may hold 119 or 110), not a cry for help — unless it is an emergency
    number on its own."""
    folded = unicodedata.normalize("NFKC", message).strip()
    return any(char.isalpha() for char in folded) or folded in safety_words.CALLS


def _emergency(
    turn: Turn, alarm: safety.Alarm, given: UserInput | None, note: str | None = None
) -> None:
    """The numbers at once; an emergency ticket, its team told once."""
    session, now = turn.session, turn.now
    ticket, previous = _ticket_with_words(turn, given, EMERGENCY, {"alarm": alarm.kind})
    if ticket is not None and note:
        _add(session, ticket, "note", now, note)
    if _told_lately(turn, ticket, alarm.kind):
        _repeat(turn, ticket, alarm.kind)
        return
    if ticket is not None:
        if previous not in (None, EMERGENCY):
            # Due within the hour from now (or sooner): the urgency and its deadline agree.
            casework.set_urgency(session, ticket, EMERGENCY, now, by="safety")
            _add(
                session,
                ticket,
                "system",
                now,
                _staff(N_("Safety alarm ({what}): urgency raised to emergency."), alarm.kind),
            )
        audit.record(
            session,
            "safety_alarm",
            now,
            ticket=ticket,
            detail={"kind": alarm.kind, "kinds": list(alarm.kinds), "urgency_was": previous},
        )
        # Told once per ticket: later alarms on an emergency ticket are already in front of them.
        if previous != EMERGENCY:
            _alert_team(session, ticket, alarm.kind, now)
    closing = _told_staff(turn, ticket.team if ticket else None)
    kinds = alarm.kinds or (alarm.kind,)
    _answer(turn, ticket, safety_words.emergency(turn.resident.language, kinds, closing))


def _possible(turn: Turn, alarm: safety.Alarm, given: UserInput) -> list[Message]:
    """The numbers, gently, and the question; returns the messages to end the turn with."""
    session, now, kind = turn.session, turn.now, alarm.kind
    intake = {"alarm": kind, "level": POSSIBLE}
    ticket, previous = _ticket_with_words(turn, given, TODAY, intake)
    if _told_lately(turn, ticket, kind):
        _repeat(turn, ticket, kind)
        return []
    if ticket is not None:
        if previous is not None:
            body = _staff(
                N_(
                    "Safety: the resident's message may point to {what}. We asked them "
                    "whether they need help right now."
                ),
                kind,
            )
            _add(session, ticket, "note", now, body)
        audit.record(session, "safety_possible", now, ticket=ticket, detail={"kind": kind})
    question = safety_words.possible(turn.resident.language, alarm.kinds or (kind,))
    _in_thread(turn, ticket, question)
    conversation = turn.conversation
    asked = {"kind": safety_words.joined(alarm.kinds or (kind,)), "at": now.isoformat()}
    conversation.data = {**conversation.data, ASKED: asked}
    return question


def _answered(turn: Turn, answer: str, asked: str) -> None:
    """はい: the full emergency, of every kind asked about. いいえ、大丈夫: a kind line. Then the
    flow's question again."""
    kinds = safety_words.split(asked)
    kind = kinds[0]
    conversation = turn.conversation
    if ASKED in conversation.data:
        conversation.data = {k: v for k, v in conversation.data.items() if k != ASKED}
    if answer == safety_words.YES:
        note = _staff(N_("The resident answered that they need help right now ({what})."), kind)
        _emergency(turn, safety.Alarm(kind, EMERGENCY, kinds), None, note)
    else:
        ticket = tickets.open_ticket_of(turn.session, turn.resident)
        if ticket is not None:
            note = _staff(
                N_("The resident answered that they are all right for now ({what})."), kind
            )
            _add(turn.session, ticket, "note", turn.now, note)
        _answer(turn, ticket, safety_words.all_right(turn.resident.language))
    engine.ask_again(turn)


def _ticket_with_words(
    turn: Turn, given: UserInput | None, urgency: str, intake: dict[str, Any]
) -> tuple[Ticket | None, str | None]:
    """The resident's open ticket, or a new safety ticket at `urgency` (None without teams),
    with the message that raised the alarm in its thread; and the urgency it had (None: new)."""
    session = turn.session
    ticket = tickets.open_ticket_of(session, turn.resident)
    previous = ticket.urgency if ticket else None
    if ticket is None:
        ticket = _open_safety_ticket(turn, urgency, intake)
    # Staff need the words; they go in the thread, never in a log. Filed here, before the
    # bot's answer, whether or not a flow takes the message (the thread skips it after).
    if ticket is not None and given is not None and given.text:
        tickets.add_message(
            session,
            ticket,
            author="resident",
            now=turn.now,
            body=given.text,
            line_message_id=given.message_id,
        )
    return ticket, previous


def _open_safety_ticket(turn: Turn, urgency: str, intake: dict[str, Any]) -> Ticket | None:
    try:
        team = routing.default_team(turn.session)
    except LookupError:
        # No town loaded: the resident still gets the numbers; operators must load the teams.
        log.warning("safety alarm without a %s team: no ticket opened", routing.DEFAULT_TEAM)
        return None
    return tickets.open_ticket(
        turn.session,
        resident=turn.resident,
        kind="safety",
        team=team,
        now=turn.now,
        urgency=urgency,
        intake=intake,
    )


def _told_lately(turn: Turn, ticket: Ticket | None, kind: str) -> bool:
    """Whether this kind's numbers went out on this emergency ticket within REPEAT_WINDOW."""
    if ticket is None or ticket.urgency != EMERGENCY:
        return False
    since = turn.now - REPEAT_WINDOW
    entries = audit.since(turn.session, "safety_alarm", since, ticket=ticket)
    return any(entry.detail.get("kind") == kind for entry in entries)


def _repeat(turn: Turn, ticket: Ticket | None, kind: str) -> None:
    """Staff have the message already (it is in the thread): one short line, no second alert."""
    if ticket is not None:
        audit.record(turn.session, "safety_repeat", turn.now, ticket=ticket, detail={"kind": kind})
    _answer(turn, ticket, safety_words.received(turn.resident.language))


def _answer(turn: Turn, ticket: Ticket | None, message: Message) -> None:
    turn.say(message)
    _in_thread(turn, ticket, [message])


def _in_thread(turn: Turn, ticket: Ticket | None, messages: list[Message]) -> None:
    """What the resident was told, as the bot's entry in the thread."""
    if ticket is not None:
        body = "\n".join(readable(message) for message in messages)
        _add(turn.session, ticket, "bot", turn.now, body)


def _add(session: Session, ticket: Ticket, author: str, now: datetime, body: str) -> None:
    tickets.add_message(session, ticket, author=author, now=now, body=body)


def _alert_team(session: Session, ticket: Ticket, kind: str, now: datetime) -> None:
    """A push to the team's LINE group: the reference and the kind, never the resident's words."""
    body = gettext(
        DEFAULT_LANGUAGE,
        "Emergency {reference}: {what}. Please open it in the console now.",
        reference=ticket.reference,
        what=safety_words.label(kind, DEFAULT_LANGUAGE),
    )
    outbox.alert_team(session, ticket.team, [text(body)], now)


def _told_staff(turn: Turn, team: Team | None) -> str:
    """The closing line: staff know; outside office hours, when a person will read it."""
    if team is None or business_time.is_open(team, turn.now):
        return turn._("We have told our staff right away.")
    when = answer_time.opening(
        turn.resident.language, business_time.next_opening(team, turn.now), turn.now
    )
    return turn._(
        "We have told our staff. The office is closed now, so a person will read "
        "your message {when}.",
        when=when,
    )


def _mark_concern(turn: Turn, alarm: safety.Alarm) -> None:
    """Leave a mark staff will see, without quoting the resident; the resident hears nothing."""
    session, now = turn.session, turn.now
    ticket = tickets.open_ticket_of(session, turn.resident)
    if ticket is not None:
        body = _staff(
            N_("Safety note: the resident's wording may point to {what}. Please check with care."),
            alarm.kind,
        )
        # One note per kind is enough; the same worry said twice is not news.
        if not any(m.author == "note" and m.body == body for m in ticket.messages):
            _add(session, ticket, "note", now, body)
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


def _staff(message: str, kind: str) -> str:
    # Notes and thread entries are stored for staff, in the council's language.
    return gettext(DEFAULT_LANGUAGE, message, what=safety_words.label(kind, DEFAULT_LANGUAGE))
