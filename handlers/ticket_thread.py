"""A resident with an open ticket talks to a person: what they send goes to its thread.

Outside any flow, text, photos, stickers and the like are appended to the open ticket's thread
(the staff console shows them). The first message after a quiet spell gets a short
acknowledgement; the next lines of the same burst get none, as a person would not answer each
line. 解決しました closes the ticket. "Talk to a person" opens a general ticket the same way.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flows import answer_time, consultation, consultation_filing, engine, intents, thread_entries
from flows.engine import Turn
from flows.inputs import UserInput, normalise
from flows.messages import Button, Message, text
from flows.postback import TicketAnswer
from flows.replies import main_menu, menu_button
from locales import DEFAULT_LANGUAGE, gettext
from storage import audit, business_time, routing, thread, tickets
from storage.models import Ticket, TicketMessage

# A message after this long without one from the resident is acknowledged again, as is the first
# after anyone else wrote in the thread.
QUIET = timedelta(minutes=30)
# A message after this long without a word in the thread may be about something else: the
# resident is asked whether it is the same matter or a new one.
NEW_TOPIC_AFTER = timedelta(days=3)
RESOLVE = "resolve"
SAME_MATTER, NEW_MATTER = "same", "new"
RESOLVE_WORDS = ["解決しました", "解決した", "解決です", "かいけつしました", "resolved", "solved"]
_RESOLVE_TYPED = {normalise(word) for word in RESOLVE_WORDS}
# Kept in the thread as attachments, by LINE message id; photos and files are then fetched
# from LINE and stored (storage/attachments.py), stickers stay a mention.
ATTACHED_KINDS = ("image", "video", "audio", "file", "sticker")


def take(turn: Turn, given: UserInput) -> bool:
    """Whether this input belongs to the resident's open ticket (and was handled as such)."""
    tapped = given.postback if isinstance(given.postback, TicketAnswer) else None
    if tapped is not None and tapped.answer == RESOLVE:
        resolve(turn, tapped.reference)
        return True
    ticket = tickets.open_ticket_of(turn.session, turn.resident)
    if tapped is not None and tapped.answer in (SAME_MATTER, NEW_MATTER):
        _same_or_new_answered(turn, ticket, tapped)
        return True
    if ticket is None:
        return False
    if given.kind == "text" and given.normalised in _RESOLVE_TYPED:
        resolve(turn)
        return True
    entry = _thread_entry(given)
    if entry is None:
        return False
    body, attachments = entry
    # Read before this message joins the thread: it says how long the resident was quiet.
    last = thread.last_word(turn.session, ticket)
    if not thread_entries.add_once(turn, ticket, body, attachments, given.message_id):
        return True  # the safety check filed these very words a moment ago
    quiet = _starts_a_burst(last, turn) and not turn.alarmed
    long_after = last is not None and turn.now - last.created_at > NEW_TOPIC_AFTER
    if long_after and given.kind == "text" and not turn.alarmed:
        turn.say(_same_or_new(turn, ticket, given.message_id))
    elif quiet:
        turn.say(acknowledgement(turn, ticket))
    return True


def _same_or_new(turn: Turn, ticket: Ticket, message_id: str | None) -> Message:
    """Days after the last word in the thread: the same matter, or a new one?"""
    question = turn._(
        "Is this about your consultation ({reference}), or is it something new?",
        reference=ticket.reference,
    )
    return text(
        question,
        [
            Button(turn._("The same matter"), TicketAnswer(SAME_MATTER, ticket.reference)),
            Button(
                turn._("Something new"),
                TicketAnswer(NEW_MATTER, ticket.reference, message_id or ""),
            ),
        ],
    )


def _same_or_new_answered(turn: Turn, ticket: Ticket | None, tapped: TicketAnswer) -> None:
    if ticket is None or ticket.reference != tapped.reference:
        turn.say(main_menu(turn))  # the ticket was closed meanwhile
        return
    if tapped.answer == SAME_MATTER:
        turn.say(acknowledgement(turn, ticket))
        return
    # Something new: the words leave this thread and become a consultation of their own.
    message_id = tapped.message_id or ""
    words = thread.words_of(turn.session, ticket, message_id) if message_id else None
    if not words:
        engine.start(turn, consultation.FLOW)
        return
    thread.forget(turn.session, turn.resident.id, message_id)
    consultation.offer(turn, words, message_id, intents.read(words).categories)


def acknowledgement(turn: Turn, ticket: Ticket) -> Message:
    lines = [
        turn._(
            "Thank you, we have received it (reference {reference}).", reference=ticket.reference
        ),
        turn._("The staff member handling it will read it and answer you here."),
    ]
    note = consultation_filing.closed_note(turn, ticket.team)
    if note:
        lines += ["", note]
    return text("\n".join(lines), [resolve_button(turn, ticket), menu_button(turn)])


def resolve_button(turn: Turn, ticket: Ticket) -> Button:
    return Button(turn._("It is solved"), TicketAnswer(RESOLVE, ticket.reference))


def resolve(turn: Turn, reference: str | None = None) -> None:
    """The resident says the matter is settled: the ticket is resolved, the team sees why."""
    session = turn.session
    ticket = tickets.open_ticket_of(session, turn.resident)
    if reference:
        named = thread.resident_ticket(session, turn.resident.id, reference)
        ticket = named if named is not None and named.is_open else None
    if ticket is None:
        turn.say(main_menu(turn, turn._("This consultation is already closed. Thank you.")))
        return
    previous = ticket.status
    ticket.status = "resolved"
    ticket.resolved_at = turn.now
    ticket.updated_at = turn.now
    audit.record(
        session,
        "status",
        turn.now,
        ticket=ticket,
        detail={"from": previous, "to": "resolved", "by": "resident"},
    )
    tickets.add_message(
        session,
        ticket,
        author="system",
        now=turn.now,
        body=gettext(DEFAULT_LANGUAGE, "The resident marked this as solved in LINE."),
    )
    turn.say(
        main_menu(
            turn,
            turn._(
                "We are glad to hear that. Consultation {reference} is now closed. "
                "Please write to us again any time.",
                reference=ticket.reference,
            ),
        )
    )


def talk_to_person(turn: Turn) -> None:
    """スタッフと話したい: a general ticket for the まるごと team, or the one already open."""
    session = turn.session
    ticket = tickets.open_ticket_of(session, turn.resident)
    if ticket is not None:
        turn.say(
            text(
                turn._(
                    "Your consultation {reference} is open. Please write here what you would "
                    "like to say: it reaches the staff member handling it.",
                    reference=ticket.reference,
                ),
                [resolve_button(turn, ticket), menu_button(turn)],
            )
        )
        return
    team = routing.team_by_slug(session, routing.DEFAULT_TEAM)
    if team is None:
        # No teams set up yet (a fresh install): the phone still reaches a person.
        turn.say(_call_us(turn))
        return
    conversation = turn.conversation
    ticket = tickets.open_ticket(
        session,
        resident=turn.resident,
        kind="staff",
        team=team,
        now=turn.now,
        urgency="soon",
        intake={"asked_in": conversation.flow or "menu", "step": conversation.state},
    )
    expected = business_time.expected_answer(team, "soon", turn.now)
    when = answer_time.phrase(turn.resident.language, expected)
    lines = [
        turn._("We will put you in touch with our staff."),
        turn._("Reference number: {reference}", reference=ticket.reference),
        turn._("A person will answer you here {when}.", when=when),
        turn._("Please write here what you would like to talk about."),
        turn._("If it is urgent, please call {phone}.", phone=team.phone or "0465-00-0000"),
    ]
    note = consultation_filing.closed_note(turn, team)
    if note:
        lines += ["", note]
    reply = text("\n".join(lines), [menu_button(turn)])
    tickets.add_message(session, ticket, author="bot", now=turn.now, body=reply["body"])
    turn.say(reply)


def _thread_entry(given: UserInput) -> tuple[str, list[dict[str, Any]]] | None:
    """What a message adds to a thread: its text and attachments; None for what is not a message."""
    if given.kind == "text":
        return (given.text, []) if given.text.strip() else None
    if given.kind in ATTACHED_KINDS:
        return "", [{"type": given.kind, "message_id": given.message_id}]
    if given.kind == "location" and given.location is not None:
        place = given.location
        return "", [
            {
                "type": "location",
                "message_id": given.message_id,
                "latitude": place.latitude,
                "longitude": place.longitude,
                "title": place.title,
                "address": place.address,
            }
        ]
    return None


def _starts_a_burst(last: TicketMessage | None, turn: Turn) -> bool:
    """Whether this message starts a new burst: the thread's last word was not the resident's
    (a staff reply, the bot's confirmation), or they last wrote a while ago."""
    return last is None or last.author != "resident" or turn.now - last.created_at > QUIET


def _call_us(turn: Turn) -> Message:
    return main_menu(
        turn,
        turn._(
            "Sorry, we cannot pass this on in LINE right now. Please call the welfare council "
            "at 0465-00-0000 (weekdays 8:30 to 17:15)."
        ),
    )
