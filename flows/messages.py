"""What the bot says, as plain message values: a text with one-tap answers under it.

Flows build these (and cards, in flows.cards) and know nothing of LINE's wire format: the
outbox keeps the values (storage.messages) and `bot.render` turns them into LINE's JSON at
send time. The limits LINE sets on what a resident sees (13 quick replies, labels of 20
characters, 5,000 characters a bubble) are checked here, so a mistake fails in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows import postback
from flows.postback import Postback
from storage.messages import ButtonData, Message, TextMessage

MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_TEXT = 5000

__all__ = ["Button", "LinkButton", "LocationButton", "Message", "button_data", "text"]


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


def text(body: str, buttons: Sequence[Button | LocationButton | LinkButton] = ()) -> TextMessage:
    """A text bubble, with quick-reply buttons under it when there are any."""
    if len(buttons) > MAX_QUICK_REPLIES:
        raise ValueError(f"LINE shows at most {MAX_QUICK_REPLIES} quick replies")
    message: TextMessage = {"kind": "text", "body": body[:MAX_TEXT]}
    if buttons:
        message["buttons"] = [button_data(button) for button in buttons]
    return message


def button_data(button: Button | LocationButton | LinkButton) -> ButtonData:
    """A button as a message value holds it (its postback encoded)."""
    if isinstance(button, LocationButton):
        return {"label": button.label, "location": True}
    if isinstance(button, LinkButton):
        return {"label": button.label, "uri": button.uri}
    return {"label": button.label, "postback": postback.encode(button.postback)}
