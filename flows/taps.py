"""A resident's answer to one of a flow's buttons, tapped or typed, read as the event that
button fires with its value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flows import postback
from flows.inputs import UserInput, normalise
from flows.messages import Message
from flows.postback import FlowAnswer


def flow_event(given: UserInput, flow: str) -> tuple[str, dict[str, Any]] | None:
    """The event a tap on one of `flow`'s buttons fires, with the button's value; None for a
    tap on anything else (another flow's old button, data no button of ours sends), which
    the flow then ignores."""
    tapped = given.answer_to(flow)
    return (tapped.event, {"value": tapped.value}) if tapped is not None else None


def typed_button(
    messages: Sequence[Message], given: UserInput, flow: str, tick: str = ""
) -> tuple[str, dict[str, Any]] | None:
    """Typing the label of one of `flow`'s quick-reply buttons in `messages` (the question
    just asked) works as tapping it. A flow that marks a chosen choice with `tick` at the
    start of its label lets the resident type the label without it."""
    for message in messages:
        for button in message.get("buttons", []):
            if "postback" not in button:
                continue
            if normalise(button["label"].removeprefix(tick)) != given.normalised:
                continue
            meant = postback.parse(button["postback"])
            if isinstance(meant, FlowAnswer) and meant.flow == flow:
                return meant.event, {"value": meant.value}
    return None
