"""Webhook events to the right handling: follow, unfollow, message, postback, unsend, the rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

# Importing a flow registers it.
import locales
from flows import catalog, consultation, engine, intents, replies
from flows.engine import Turn
from flows.inputs import UserInput, normalise
from handlers import commands, safety, staff_group, ticket_thread, watch
from storage import erasure, inbox, outbox, residents, thread
from storage.models import Resident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """What handling one event needs besides the event: the session, the time, the settings."""

    session: Session
    now: datetime
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
    if staff_group.handles(event):
        # The 担当する button of an SLA alert, tapped in a team's staff LINE group.
        staff_group.handle(context, event)
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
    turn = _turn(context, resident)
    given = UserInput.from_event(event)
    # Danger words come before everything, in every state, replies to a check-in included; the
    # message then goes on as usual, so the flow or thread still gets it. Only a check-in's
    # own answer typed (助けて) is left to watch-over: like its button, it gives the numbers,
    # alerts the family and files the emergency, and the resident should not hear it twice.
    safe = safety.NOTHING if watch.is_typed_answer(turn, given) else safety.intercept(turn, given)
    turn.alarmed = safe.said
    # Then watch-over: a check-in answer or a family alert must not wait behind a flow. (A tap
    # on the safety question goes there too: it is a sign of life.)
    if not watch.intercept(turn, given) and not safe.handled:
        respond(turn, given)
    if safe.question:
        # "Do you need help right now?" ends the turn, alone: see handlers/safety.py.
        turn.out = list(safe.question)
    _send(context, event, turn)


def respond(turn: Turn, given: UserInput) -> None:
    """What a resident said or tapped, from any state: commands first, then the active flow."""
    if engine.is_idle(turn):
        if engine.can_resume(turn):
            engine.pause(turn)
        else:
            engine.finish(turn)
            turn.say(replies.started_over(turn))
    command = commands.command_of(given)
    if command == commands.CANCEL:
        engine.finish(turn)
        turn.say(*replies.cancelled(turn))
        return
    if command == commands.MENU:
        engine.finish(turn)
        turn.say(replies.main_menu(turn))
        return
    if command == commands.STAFF:
        ticket_thread.talk_to_person(turn)
        engine.finish(turn)
        return
    chosen = commands.menu_choice(given, _menu_labels(turn))
    if given.kind == "text" and engine.takes_free_text(turn):
        chosen = None  # where they write freely, a message that is a menu word is still theirs
    if chosen == turn.conversation.flow and engine.is_paused(turn):
        chosen = None  # asking again for a flow left halfway offers to continue it
    if chosen is not None:
        flow = turn.flows.get(chosen)
        if flow is None:
            engine.finish(turn)
            turn.say(*replies.not_ready(turn))
        else:
            engine.start(turn, flow)
        return
    if engine.flow_of(turn) is not None:
        if not _worry_typed_in_a_flow(turn, given):
            engine.advance(turn, given)
        return
    # Outside any flow: an open ticket's thread takes what they send, then what they typed is
    # read for what they want (a worry, a salon, watch-over, another language).
    if ticket_thread.take(turn, given):
        return
    if given.kind == "text" and not turn.alarmed and _typed_wish(turn, given):
        return
    engine.finish(turn)
    # After an answer about danger, "please choose from the buttons" would be cold: the menu only.
    sorry = [] if turn.alarmed else [replies.odd_input(turn, given, in_flow=False)]
    turn.say(*sorry, replies.main_menu(turn))


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


def _typed_wish(turn: Turn, given: UserInput) -> bool:
    """Start what a typed message asks for; a worry is offered as a consultation holding its
    words. False if it asks for nothing we can tell."""
    return _start_wish(turn, given, intents.read(given.text))


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
