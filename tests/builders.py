"""Webhook events in LINE's shape, for tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

RESIDENT = "U" + "a" * 32
_ids = itertools.count(1)


def make_event(kind: str, user: str = RESIDENT, **fields: Any) -> dict[str, Any]:
    """A webhook event in LINE's shape; `fields` adds or overrides its parts."""
    number = next(_ids)
    event: dict[str, Any] = {
        "type": kind,
        "mode": "active",
        "timestamp": 1_764_000_000_000 + number,
        "source": {"type": "user", "userId": user},
        "webhookEventId": f"01TEST{number:020d}",
        "deliveryContext": {"isRedelivery": False},
    }
    if kind in ("message", "postback", "follow"):
        event["replyToken"] = uuid.uuid4().hex
    if kind == "follow":
        event["follow"] = {"isUnblocked": False}
    event.update(fields)
    return event


def text_event(text: str, user: str = RESIDENT) -> dict[str, Any]:
    return make_event(
        "message",
        user,
        message={"type": "text", "id": str(next(_ids)), "text": text, "quoteToken": "q"},
    )


def postback_event(data: str, user: str = RESIDENT) -> dict[str, Any]:
    return make_event("postback", user, postback={"data": data})
