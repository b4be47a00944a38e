"""Webhook events to the right handling: follow, unfollow, message, postback, unsend, the rest.

A resident's message or tap goes through STEPS, one ordered table at the end of this module:
safety, watch-over, a flow left idle, commands, the menu, the flow in progress, an open
ticket, a typed wish, the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import locales
from flows import catalog, consultation, engine, intents, replies
from flows.engine import Turn
from flows.inputs import UserInput, normalise
from flows.moment import Moment
from handlers import commands, safety, staff_group, supporter_offers, ticket_thread, watch
from storage import erasure, inbox, outbox, residents, thread
from storage.models import Resident

log = logging.getLogger(__name__)


@dataclass
class Context(Moment):
    """What handling one event needs besides the event: the moment, and the settings."""

    idle_after: timedelta
    reply_until: datetime | None
    # The LINE profile, fetched before the transaction (an HTTP call must not hold the lock).
    profile_language: str | None = None
    profile_name: str | None = None
    # The account's LINE ID, for links that open a chat with it (bot.settings).
    basic_id: str = ""


Handler = Callable[[Context, dict[str, Any]], None]


def handle(context: Context, event: dict[str, Any]) -> None:
    """Handle one event; whatever it changes and says is written in the caller's transaction."""
    claim = staff_group.claim_of(event)
    if claim is not None:
        # The 担当する button of an SLA alert, tapped in a team's staff LINE group.
        staff_group.handle(context, event, claim)
        return
    handler = _HANDLERS.get(str(event.get("type")))
    source = event.get("source") or {}
    if handler is None or source.get("type") != "user" or not source.get("userId"):
        # Group events and types LINE adds later are kept in the inbox and need no answer.
        log.info("event type %s from %s: no action", event.get("type"), source.get("type"))
        return
    handler(context, event)


def _following_resident(context: Context, event: dict[str, Any]) -> tuple[Resident, bool]:
    """The resident who sent the event (created on first contact), and whether they are new.

    Anyone who writes to the account follows it, whatever we recorded before.
    """
    resident, created = residents.get_or_create(
        context.session,
        event["source"]["userId"],
        context.now,
        language=locales.supported(context.profile_language),
        display_name=context.profile_name,
    )
    resident.following = True
    return resident, created


def _on_follow(context: Context, event: dict[str, Any]) -> None:
    resident, created = _following_resident(context, event)
    resident.followed_at = context.now
    if context.profile_name:
        resident.display_name = context.profile_name
    turn = _turn(context, resident)
    engine.finish(turn)
    turn.say(*replies.greeting(turn, welcome_back=not created))
    watch.on_follow(context.session, resident, context.now)
    _send(context, event, turn)


def _on_unfollow(context: Context, event: dict[str, Any]) -> None:
    resident = residents.find(context.session, event["source"]["userId"])
    if resident is not None:
        # Kept, not deleted: a resident who comes back finds their data as they left it.
        resident.following = False
        resident.unfollowed_at = context.now
        watch.on_unfollow(context.session, resident, context.now)


def _on_unsend(context: Context, event: dict[str, Any]) -> None:
    """Every copy of the message goes: the inbox's, the thread's, the flow's, and whatever the
    bot said back quoting it (a consultation's summary repeats the worry and phone number)."""
    message_id = str((event.get("unsend") or {}).get("messageId", ""))
    if not message_id:
        return
    session, chat = context.session, inbox.source_key(event)
    resident = residents.find(session, event["source"]["userId"])
    # Read before the copies below are forgotten: they are how the outbox's are found.
    withdrawn = erasure.words_of_message(session, chat, resident, message_id)
    inbox.forget_message(session, chat, message_id)
    if resident is not None:
        thread.forget(session, resident.id, message_id)
        conversation = residents.conversation_of(session, resident, context.now)
        consultation.forget_message(conversation, message_id)
    outbox.withdraw_repeating(session, chat, withdrawn.words, since=withdrawn.since)


def _on_input(context: Context, event: dict[str, Any]) -> None:
    resident, _ = _following_resident(context, event)
    heard = Heard(_turn(context, resident), UserInput.from_event(event))
    for name, step in STEPS:
        if step(heard):
            log.debug("input taken by the %s step", name)
            break
    if heard.safety_check.question:
        # "Do you need help right now?" ends the turn, alone: see handlers/safety.py.
        heard.turn.out = list(heard.safety_check.question)
    _send(context, event, heard.turn)


def _worry_typed_in_a_flow(turn: Turn, given: UserInput) -> bool:
    """A worry typed where another flow waits for a tap (which salon, which day) is offered as
    a consultation, not answered with "please tap a button"; True if it was."""
    if given.kind != "text" or turn.alarmed or engine.is_paused(turn):
        return False
    if turn.conversation.flow == consultation.NAME or engine.takes_free_text(turn):
        return False
    wanted = intents.read(given.text)
    # Read first, as it is cheap; the flow is asked only about what reads as a worry.
    if wanted.flow != consultation.NAME or engine.understands(turn, given):
        return False
    return _start_wish(turn, given, wanted)


def _start_wish(turn: Turn, given: UserInput, wanted: intents.Intent) -> bool:
    if wanted.flow == consultation.NAME:
        consultation.offer(turn, given.text, given.message_id, wanted.categories)
        return True
    flow = turn.flows.get(wanted.flow or "")
    if flow is None:
        return False
    engine.start(turn, flow)
    return True


def _menu_labels(turn: Turn) -> dict[str, str]:
    """Menu labels as typed text, in the resident's language and in Japanese."""
    labels = {normalise(word): flow for flow, words in replies.MENU_WORDS.items() for word in words}
    for flow, label in replies.MENU_ITEMS:
        for language in {turn.resident.language, locales.DEFAULT_LANGUAGE, "en"}:
            labels[normalise(locales.gettext(language, label))] = flow
    return labels


def _turn(context: Context, resident: Resident) -> Turn:
    conversation = residents.conversation_of(context.session, resident, context.now)
    return Turn(
        session=context.session,
        now=context.now,
        resident=resident,
        conversation=conversation,
        idle_after=context.idle_after,
        flows=catalog.BY_NAME,
        basic_id=context.basic_id,
    )


def _send(context: Context, event: dict[str, Any], turn: Turn) -> None:
    if not turn.out:
        return
    outbox.enqueue(
        context.session,
        to=turn.resident.line_user_id,
        messages=turn.out,
        now=context.now,
        reply_token=event.get("replyToken"),
        reply_until=context.reply_until,
    )


_HANDLERS: dict[str, Handler] = {
    "follow": _on_follow,
    "unfollow": _on_unfollow,
    "message": _on_input,
    "postback": _on_input,
    "unsend": _on_unsend,
}


@dataclass
class Heard:
    """A resident's message or tap on its way through STEPS."""

    turn: Turn
    given: UserInput
    # What the safety step found: later steps and the end of the turn go on from it.
    safety_check: safety.Outcome = safety.NOTHING


# Each step returns whether it took the input; the first that does ends the walk.


def _safety(heard: Heard) -> bool:
    turn, given = heard.turn, heard.given
    if watch.is_typed_answer(turn, given):
        return False  # 助けて typed while a check-in waits: watch-over answers it, once
    heard.safety_check = safety.intercept(turn, given)
    turn.alarmed = heard.safety_check.said
    if heard.safety_check.handled:
        # A tap on the safety question is a sign of life, though watch-over does not take it.
        watch.sign_of_life(turn, given)
    return heard.safety_check.handled


def _watch_over(heard: Heard) -> bool:
    return watch.intercept(heard.turn, heard.given)


def _supporter_offer(heard: Heard) -> bool:
    return supporter_offers.intercept(heard.turn, heard.given)


def _idle_flow(heard: Heard) -> bool:
    """A flow left too long starts over, or, one worth keeping, waits to be continued; either
    way the input goes on to the next steps."""
    turn = heard.turn
    if engine.is_idle(turn):
        if engine.can_resume(turn):
            engine.pause(turn)
        else:
            engine.finish(turn)
            turn.say(replies.started_over(turn))
    return False


def _command(heard: Heard) -> bool:
    turn = heard.turn
    command = commands.command_of(heard.given)
    if command == commands.CANCEL:
        engine.finish(turn)
        turn.say(*replies.cancelled(turn))
    elif command == commands.MENU:
        engine.finish(turn)
        turn.say(replies.main_menu(turn))
    elif command == commands.STAFF:
        ticket_thread.talk_to_person(turn)
        engine.finish(turn)
    else:
        return False
    return True


def _menu_choice(heard: Heard) -> bool:
    turn, given = heard.turn, heard.given
    if given.kind == "text" and engine.takes_free_text(turn):
        return False  # where they write freely, a message that is a menu word is still theirs
    chosen = commands.menu_choice(given, _menu_labels(turn))
    if chosen is None:
        return False
    if chosen == turn.conversation.flow and engine.is_paused(turn):
        return False  # asking again for a flow left halfway offers to continue it
    flow = turn.flows.get(chosen)
    if flow is None:
        engine.finish(turn)
        turn.say(*replies.not_ready(turn))
    else:
        engine.start(turn, flow)
    return True


def _flow_in_progress(heard: Heard) -> bool:
    turn, given = heard.turn, heard.given
    if engine.flow_of(turn) is None:
        return False
    if not _worry_typed_in_a_flow(turn, given):
        engine.advance(turn, given)
    return True


def _open_ticket(heard: Heard) -> bool:
    return ticket_thread.take(heard.turn, heard.given)


def _typed_wish(heard: Heard) -> bool:
    """Start what a typed message asks for (a worry, a salon, watch-over, another language);
    False if it asks for nothing we can tell. Not after an answer about danger."""
    turn, given = heard.turn, heard.given
    if given.kind != "text" or turn.alarmed:
        return False
    return _start_wish(turn, given, intents.read(given.text))


def _fallback(heard: Heard) -> bool:
    turn = heard.turn
    engine.finish(turn)
    # After an answer about danger, "please choose from the buttons" would be cold: the menu only.
    sorry = [] if turn.alarmed else [replies.odd_input(turn, heard.given, in_flow=False)]
    turn.say(*sorry, replies.main_menu(turn))
    return True


# The order a resident's message or tap is tried in. (A tap in a team's staff group is not a
# resident's: `handle` gives it to staff_group before any of this.) Why this order:
# - Safety first, in every state, replies to a check-in included: danger words get the numbers
#   at once, and the message still goes on, so the flow or the thread keeps it; only an answer
#   to the safety question is taken whole. A check-in's own answer typed (助けて) is left to
#   watch-over: like its button it gives the numbers, tells the family and files the
#   emergency, and the resident should not hear it twice.
# - Watch-over next: a check-in answer or a family alert must not wait behind a flow, and
#   anything sent is a sign of life.
# - A supporter's answer to a help offer (引き受ける / 今回は無理) is for a request someone
#   waits on, and must not be read as an answer to whatever flow the supporter was in.
# - A flow left too long is started over (or held, to be continued) before anything reads the
#   input as an answer to its old question.
# - Commands (メニュー, やめる, talk to a person) work in every state, so they come before the
#   menu and the flow; a menu choice starts its flow over whatever was in progress.
# - The flow in progress takes what is left. Outside a flow, an open ticket's thread takes
#   what they send; then what they typed is read for what they want; the fallback answers
#   the rest kindly with the menu.
STEPS: tuple[tuple[str, Callable[[Heard], bool]], ...] = (
    ("safety", _safety),
    ("watch-over", _watch_over),
    ("supporter offer", _supporter_offer),
    ("idle flow", _idle_flow),
    ("command", _command),
    ("menu choice", _menu_choice),
    ("flow in progress", _flow_in_progress),
    ("open ticket", _open_ticket),
    ("typed wish", _typed_wish),
    ("fallback", _fallback),
)
