"""What a simulated person does in LINE: each action becomes a webhook event posted to the bot.

The person's side is written to the transcript before the post, as LINE shows a message in
the person's chat whether or not the bot is up.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator import events
from simulator.events import Event
from simulator.ids import USER_ID_PATTERN, new_user_id
from simulator.state import Entry, Persona, ReplyToken, SimulatorState
from simulator.webhook import WebhookResult, post_events

DEFAULT_STICKER = ("446", "1988")


class ActionError(Exception):
    """An action that cannot happen, with the HTTP status the control API answers."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class ActionResult:
    """The events posted and what the bot answered."""

    events: list[Event]
    webhook: WebhookResult


def create_persona(
    state: SimulatorState,
    display_name: str,
    *,
    user_id: str | None = None,
    language: str = "ja",
    picture_url: str | None = None,
    status_message: str | None = None,
) -> Persona:
    """Add a person who has not followed the account yet."""
    if not display_name:
        raise ActionError(400, "displayName is required")
    if user_id is not None and not USER_ID_PATTERN.match(user_id):
        raise ActionError(400, "userId must be U followed by 32 lowercase hex digits")
    persona = Persona(user_id or new_user_id(), display_name, language, picture_url, status_message)
    try:
        return state.add_persona(persona)
    except ValueError as error:
        raise ActionError(409, str(error)) from error


def follow(state: SimulatorState, user_id: str) -> ActionResult:
    """Add the account as a friend, or unblock it."""
    with state.lock:
        persona = require_persona(state, user_id)
        if persona.status == "friend":
            raise ActionError(409, "already a friend")
        event = events.follow_event(
            user_id, state.issue_reply_token(user_id), is_unblocked=persona.has_blocked
        )
        persona.status = "friend"
        state.save_personas()
        entry = _record(state, event, {"kind": "event", "event": {"type": "follow"}})
    return _post(state, event, entry)


def unfollow(state: SimulatorState, user_id: str) -> ActionResult:
    """Block the account."""
    with state.lock:
        persona = require_persona(state, user_id)
        if persona.status != "friend":
            raise ActionError(409, "not a friend")
        event = events.unfollow_event(user_id)
        persona.status, persona.has_blocked = "blocked", True
        state.save_personas()
        entry = _record(state, event, {"kind": "event", "event": {"type": "unfollow"}})
    return _post(state, event, entry)


def send_text(state: SimulatorState, user_id: str, text: str) -> ActionResult:
    """Send a text message."""
    if not isinstance(text, str) or not text:
        raise ActionError(400, "text is required")
    return _send_message(
        state, user_id, lambda message_id, read: events.text_content(message_id, text, read)
    )


def send_sticker(
    state: SimulatorState,
    user_id: str,
    package_id: str = DEFAULT_STICKER[0],
    sticker_id: str = DEFAULT_STICKER[1],
) -> ActionResult:
    """Send a sticker (by default one of LINE's basic ones)."""
    return _send_message(
        state,
        user_id,
        lambda message_id, read: events.sticker_content(message_id, package_id, sticker_id, read),
    )


def send_image(state: SimulatorState, user_id: str) -> ActionResult:
    """Send a photo; the bot can fetch a placeholder PNG as its content."""
    return _send_message(state, user_id, events.image_content)


def send_location(
    state: SimulatorState,
    user_id: str,
    title: str,
    address: str,
    latitude: float,
    longitude: float,
) -> ActionResult:
    """Share a location."""
    return _send_message(
        state,
        user_id,
        lambda message_id, read: events.location_content(
            message_id, title, address, latitude, longitude, read
        ),
    )


def send_postback(
    state: SimulatorState,
    user_id: str,
    data: str,
    display_text: str | None = None,
    params: dict[str, str] | None = None,
) -> ActionResult:
    """Tap a postback button; `display_text`, like LINE's, appears as the person's own bubble."""
    if not isinstance(data, str):
        raise ActionError(400, "data is required")
    if params is not None and not (
        isinstance(params, dict) and all(isinstance(v, str) for v in params.values())
    ):
        raise ActionError(400, "params must map names to strings")
    with state.lock:
        _speaker(state, user_id)
        event = events.postback_event(user_id, state.issue_reply_token(user_id), data, params)
        if display_text:
            shown: Entry = {"kind": "message", "message": {"type": "text", "text": display_text}}
        else:
            shown = {"kind": "event", "event": {"type": "postback"}}
        entry = _record(state, event, shown)
    return _post(state, event, entry)


def unsend(state: SimulatorState, user_id: str, message_id: str | None = None) -> ActionResult:
    """Take back a message, by default the person's last one."""
    with state.lock:
        persona = _speaker(state, user_id)
        target = message_id or persona.last_message_id
        sent = next(
            (
                entry
                for entry in state.transcripts[user_id]
                if entry["from"] == "user" and entry.get("messageId") == target
            ),
            None,
        )
        if target is None or sent is None or sent.get("unsent"):
            raise ActionError(404, "no message of this person to unsend")
        sent["unsent"] = True
        event = events.unsend_event(user_id, target)
        entry = _record(
            state, event, {"kind": "event", "event": {"type": "unsend", "messageId": target}}
        )
    return _post(state, event, entry)


def redeliver(state: SimulatorState, webhook_event_id: str) -> ActionResult:
    """Send an event again, as LINE's redelivery does: same event id and reply token."""
    with state.lock:
        event = state.sent_events.get(webhook_event_id)
        if event is None:
            raise ActionError(404, "no event with this webhookEventId was sent")
    again = events.as_redelivery(event)
    return ActionResult([again], post_events(state, [again]))


def send_raw(
    state: SimulatorState, raw_events: list[Event], *, signature: str | None = None
) -> ActionResult:
    """Post events as given, for odd or unknown event types; their reply tokens become valid."""
    if not isinstance(raw_events, list) or not all(isinstance(e, dict) for e in raw_events):
        raise ActionError(400, "events must be a list of objects")
    with state.lock:
        for event in raw_events:
            token = event.get("replyToken")
            source = event.get("source")
            user_id = source.get("userId") if isinstance(source, dict) else None
            if isinstance(token, str) and user_id in state.personas:
                state.reply_tokens.setdefault(token, ReplyToken(user_id, time.time()))
            if isinstance(event.get("webhookEventId"), str):
                state.sent_events[event["webhookEventId"]] = event
    return ActionResult(raw_events, post_events(state, raw_events, signature=signature))


def _send_message(
    state: SimulatorState,
    user_id: str,
    build: Callable[[str, str], dict[str, Any]],
) -> ActionResult:
    """Build a message event (content from `build(message_id, markAsReadToken)`) and send it."""
    with state.lock:
        persona = _speaker(state, user_id)
        message_id = state.next_message_id()
        content = build(message_id, state.issue_mark_as_read_token(user_id, message_id))
        event = events.message_event(user_id, state.issue_reply_token(user_id), content)
        persona.last_message_id = message_id
        if content["type"] == "image":
            state.images.add(message_id)
        entry = _record(
            state, event, {"kind": "message", "message": content, "messageId": message_id}
        )
    return _post(state, event, entry)


def require_persona(state: SimulatorState, user_id: str) -> Persona:
    """Return the person with this id, or raise a 404 ActionError."""
    persona = state.personas.get(user_id)
    if persona is None:
        raise ActionError(404, "no such user")
    return persona


def _speaker(state: SimulatorState, user_id: str) -> Persona:
    """Return a person who can write to the account: anyone who has not blocked it."""
    persona = require_persona(state, user_id)
    if persona.status == "blocked":
        raise ActionError(409, "this user has blocked the account")
    return persona


def _record(state: SimulatorState, event: Event, shown: Entry) -> Entry:
    """Remember an event for redelivery and show the person's side in the transcript."""
    state.sent_events[event["webhookEventId"]] = event
    user_id = event["source"]["userId"]
    # `delivered`: it is in the person's own chat; whether the bot got it is `webhookStatus`.
    return state.append(
        user_id,
        {
            "from": "user",
            **shown,
            "delivered": True,
            "webhookEventId": event["webhookEventId"],
            "webhookStatus": None,
        },
    )


def _post(state: SimulatorState, event: Event, entry: Entry) -> ActionResult:
    result = post_events(state, [event])
    with state.lock:
        entry["webhookStatus"] = result.status
    return ActionResult([event], result)
