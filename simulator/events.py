"""Webhook event objects in exactly the shape LINE posts them (see LINE's webhook.yml).

Builders are pure: the caller passes the ids the simulator must track (message ids, reply
tokens); the rest (event ids, timestamps, quote tokens) is made here.
"""

import copy
import time
from typing import Any

from simulator.ids import new_opaque_token, new_webhook_event_id

Event = dict[str, Any]


def now_ms() -> int:
    """Return the current time in milliseconds, LINE's timestamp unit."""
    return int(time.time() * 1000)


def base_event(event_type: str, user_id: str, reply_token: str | None = None) -> Event:
    """Return the fields of every one-to-one chat event, and a reply token where LINE gives one."""
    timestamp = now_ms()
    event: Event = {
        "type": event_type,
        "mode": "active",
        "timestamp": timestamp,
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": new_webhook_event_id(timestamp),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


def text_content(message_id: str, text: str, mark_as_read_token: str) -> dict[str, Any]:
    """Return a text message object as a person sends it."""
    return {
        "type": "text",
        "id": message_id,
        "text": text,
        "quoteToken": new_opaque_token(),
        "markAsReadToken": mark_as_read_token,
    }


def sticker_content(
    message_id: str, package_id: str, sticker_id: str, mark_as_read_token: str
) -> dict[str, Any]:
    """Return a sticker message object as a person sends it."""
    return {
        "type": "sticker",
        "id": message_id,
        "packageId": package_id,
        "stickerId": sticker_id,
        "stickerResourceType": "STATIC",
        "quoteToken": new_opaque_token(),
        "markAsReadToken": mark_as_read_token,
    }


def image_content(message_id: str, mark_as_read_token: str) -> dict[str, Any]:
    """Return an image message object whose content is held by LINE (fetched via get-content)."""
    return {
        "type": "image",
        "id": message_id,
        "contentProvider": {"type": "line"},
        "quoteToken": new_opaque_token(),
        "markAsReadToken": mark_as_read_token,
    }


def location_content(
    message_id: str,
    title: str,
    address: str,
    latitude: float,
    longitude: float,
    mark_as_read_token: str,
) -> dict[str, Any]:
    """Return a location message object; LINE gives no quote token for locations."""
    return {
        "type": "location",
        "id": message_id,
        "title": title,
        "address": address,
        "latitude": latitude,
        "longitude": longitude,
        "markAsReadToken": mark_as_read_token,
    }


def message_event(user_id: str, reply_token: str, message: dict[str, Any]) -> Event:
    """Return a message event carrying one of the message objects above."""
    event = base_event("message", user_id, reply_token)
    event["message"] = message
    return event


def follow_event(user_id: str, reply_token: str, is_unblocked: bool) -> Event:
    """Return a follow event; `is_unblocked` is true when the person had blocked the account."""
    event = base_event("follow", user_id, reply_token)
    event["follow"] = {"isUnblocked": is_unblocked}
    return event


def unfollow_event(user_id: str) -> Event:
    """Return an unfollow (block) event, which has no reply token."""
    return base_event("unfollow", user_id)


def postback_event(
    user_id: str, reply_token: str, data: str, params: dict[str, str] | None = None
) -> Event:
    """Return a postback event, with `params` for date-time pickers and rich menu switches."""
    event = base_event("postback", user_id, reply_token)
    event["postback"] = {"data": data} if params is None else {"data": data, "params": params}
    return event


def unsend_event(user_id: str, message_id: str) -> Event:
    """Return an unsend event, which has no reply token."""
    event = base_event("unsend", user_id)
    event["unsend"] = {"messageId": message_id}
    return event


def as_redelivery(event: Event) -> Event:
    """Return a copy of `event` marked as LINE marks a redelivered event (same id and token)."""
    again = copy.deepcopy(event)
    again["deliveryContext"] = {"isRedelivery": True}
    return again


def webhook_body(destination: str, events: list[Event]) -> dict[str, Any]:
    """Return the request body LINE posts: the bot's user id and the events."""
    return {"destination": destination, "events": events}
