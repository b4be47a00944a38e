"""Messages the bot sends, as LINE's wire JSON (the Messaging API's message objects).

Plain dicts, not line-bot-sdk's models: flows know no SDK (the gateway in `bot` is its only
user), and building a model per bubble cost more than the rest of a step. The simulator and
the tests check every message against LINE's published OpenAPI spec.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flows import postback
from flows.postback import Postback

MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_TEXT = 5000

Message = dict[str, Any]


@dataclass(frozen=True)
class Button:
    """A one-tap answer: the label is what the person sees and what appears as their reply."""

    label: str
    postback: Postback

    def __post_init__(self) -> None:
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"button label over {MAX_LABEL} characters: {len(self.label)}")


@dataclass(frozen=True)
class LocationButton:
    """Opens LINE's location picker; what the person picks comes back as a location message."""

    label: str

    def __post_init__(self) -> None:
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"button label over {MAX_LABEL} characters: {len(self.label)}")


@dataclass(frozen=True)
class LinkButton:
    """Opens a link (LINE's URI action): a page, a `tel:` number, LINE's share screen."""

    label: str
    uri: str

    def __post_init__(self) -> None:
        if len(self.label) > MAX_LABEL:
            raise ValueError(f"button label over {MAX_LABEL} characters: {len(self.label)}")


def text(body: str, buttons: Sequence[Button | LocationButton | LinkButton] = ()) -> Message:
    """A text bubble, with quick-reply buttons under it when there are any."""
    if len(buttons) > MAX_QUICK_REPLIES:
        raise ValueError(f"LINE shows at most {MAX_QUICK_REPLIES} quick replies")
    message: Message = {"type": "text", "text": body[:MAX_TEXT]}
    if buttons:
        items = [{"type": "action", "action": _action(button)} for button in buttons]
        message["quickReply"] = {"items": items}
    return message


def _action(button: Button | LocationButton | LinkButton) -> dict[str, str]:
    if isinstance(button, LocationButton):
        return {"type": "location", "label": button.label}
    if isinstance(button, LinkButton):
        return {"type": "uri", "label": button.label, "uri": button.uri}
    return {
        "type": "postback",
        "label": button.label,
        "data": postback.encode(button.postback),
        "displayText": button.label,
    }
