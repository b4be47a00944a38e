"""Message values (storage.messages) as LINE's wire JSON: the Messaging API's message objects.

The one place that knows LINE's format for what the bot says: a text becomes a text message
with quick replies, cards become a Flex bubble (one card) or carousel (several). Plain dicts,
not line-bot-sdk's models (building a model per bubble cost more than the rest of a step);
the simulator and the tests check every message against LINE's published OpenAPI spec. What
LINE measures in bytes is checked here (a bubble up to 30 KB, a carousel up to 50 KB).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from storage.messages import ButtonData, CardData, Message

MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024

LINE = dict[str, Any]

MUTED = "#6B6B6B"
ACCENT = "#1B7F5B"
WARNING = "#B35900"
# A card's line styles as Flex text: size, bold, colour. Wrapping is always on, since
# residents read on small screens at large sizes.
_STYLES: dict[str, tuple[str, bool, str | None]] = {
    "title": ("lg", True, None),
    "tag": ("sm", True, ACCENT),
    "strong": ("md", True, None),
    "plain": ("md", False, None),
    "muted": ("sm", False, MUTED),
    "alert": ("lg", True, WARNING),
    "warning": ("xs", False, WARNING),
}


class MessageTooLarge(ValueError):
    """A message LINE would refuse for its size."""


def line_messages(messages: Sequence[Message | LINE]) -> list[LINE]:
    """Messages as LINE takes them. A row queued before the outbox held values already holds
    LINE's JSON (it has a "type"); it goes as it is."""
    return [dict(message) if "type" in message else _render(message) for message in messages]


def _render(message: Message | LINE) -> LINE:
    if message["kind"] == "text":
        rendered: LINE = {"type": "text", "text": message["body"]}
        if message.get("buttons"):
            items = [{"type": "action", "action": _action(b)} for b in message["buttons"]]
            rendered["quickReply"] = {"items": items}
        return rendered
    bubbles = [_bubble(card) for card in message["cards"]]
    for number, bubble in enumerate(bubbles):
        if size_of(bubble) > MAX_BUBBLE_BYTES:
            raise MessageTooLarge(f"card {number} is {size_of(bubble)} bytes")
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    if size_of(contents) > MAX_CAROUSEL_BYTES:
        raise MessageTooLarge(f"the cards are {size_of(contents)} bytes")
    return {"type": "flex", "altText": message["alt"], "contents": contents}


def _action(button: ButtonData) -> LINE:
    if button.get("location"):
        return {"type": "location", "label": button["label"]}
    if "uri" in button:
        return {"type": "uri", "label": button["label"], "uri": button["uri"]}
    # What the person sees as their own reply is the label they tapped.
    return {
        "type": "postback",
        "label": button["label"],
        "data": button["postback"],
        "displayText": button["label"],
    }


def _bubble(card: CardData) -> LINE:
    bubble: LINE = {
        "type": "bubble",
        "size": "mega" if card.get("wide") else "kilo",
        "body": _box([_component(line) for line in card["lines"]], spacing="md"),
    }
    if card["buttons"]:
        bubble["footer"] = _box([_button(button) for button in card["buttons"]])
    return bubble


def _component(line: dict[str, Any]) -> LINE:
    if line.get("rule"):
        return {"type": "separator", "margin": "md"}
    if "label" in line:
        return _box(
            [_text(line["label"], "sm", color=MUTED, flex=2), _text(line["value"], "sm", flex=5)],
            layout="baseline",
        )
    size, bold, color = _STYLES[line.get("style", "plain")]
    return _text(line["text"], size, bold=bold, color=color)


def _text(
    body: str, size: str, *, bold: bool = False, color: str | None = None, flex: int | None = None
) -> LINE:
    # LINE refuses an empty text component.
    component: LINE = {"type": "text", "text": body or " ", "size": size, "wrap": True}
    if bold:
        component["weight"] = "bold"
    if color:
        component["color"] = color
    if flex is not None:
        component["flex"] = flex
    return component


def _box(contents: list[LINE], *, layout: str = "vertical", spacing: str = "sm") -> LINE:
    return {"type": "box", "layout": layout, "spacing": spacing, "contents": contents}


def _button(button: ButtonData) -> LINE:
    return {
        "type": "button",
        "style": "primary" if button.get("primary") else "secondary",
        "height": "sm",
        "action": _action(button),
    }


def size_of(obj: Any) -> int:
    """Bytes of the JSON as it goes over the wire (UTF-8, no padding)."""
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
