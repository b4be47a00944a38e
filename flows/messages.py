"""Messages the bot sends, built with line-bot-sdk's models and kept as LINE's wire JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from linebot.v3.messaging import (
    LocationAction,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from flows import postback

MAX_QUICK_REPLIES = 13
MAX_LABEL = 20
MAX_TEXT = 5000

Message = dict[str, Any]


@dataclass(frozen=True)
class Button:
    """A one-tap answer: the label is what the person sees and what appears as their reply."""

    label: str
    data: dict[str, str]

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


def text(body: str, buttons: Sequence[Button | LocationButton] = ()) -> Message:
    """A text bubble, with quick-reply buttons under it when there are any."""
    if len(buttons) > MAX_QUICK_REPLIES:
        raise ValueError(f"LINE shows at most {MAX_QUICK_REPLIES} quick replies")
    quick_reply = None
    if buttons:
        quick_reply = QuickReply(items=[QuickReplyItem(action=_action(b)) for b in buttons])
    return TextMessage(text=body[:MAX_TEXT], quick_reply=quick_reply).to_dict()


def _action(button: Button | LocationButton) -> PostbackAction | LocationAction:
    if isinstance(button, LocationButton):
        return LocationAction(label=button.label)
    return PostbackAction(
        label=button.label, data=postback.encode(**button.data), display_text=button.label
    )
