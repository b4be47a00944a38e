"""A message as the outbox keeps it: plain JSON-ready values, not LINE's wire format.

Flows build them (flows.messages, flows.cards), the outbox stores them as they are, and
`bot.render` turns them into the Messaging API's message objects when the sender calls LINE,
so LINE's format is known in one place. Two kinds:

- a text with its one-tap answers under it:
  ``{"kind": "text", "body": "…", "buttons": [button, …]}``
- one card or a row of cards that slide sideways:
  ``{"kind": "cards", "alt": "…", "cards": [{"lines": [line, …], "buttons": [button, …]}]}``

A button is ``{"label", "postback"}`` (a typed postback, encoded), ``{"label", "uri"}`` (a
page, a map, a ``tel:`` number) or ``{"label", "location": true}`` (the location picker);
``"primary": true`` makes a card's button stand out. A card's line is ``{"text", "style"}``
(one of STYLES), ``{"label", "value"}`` (a muted label beside its value) or ``{"rule": true}``
(a dividing line); ``"wide": true`` gives a card more room.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# How a card's line of text looks: a title, a coloured tag, a bold line, plain text, small
# muted print, an alert that leads (large, bold, warning colour) and a small warning.
Style = Literal["title", "tag", "strong", "plain", "muted", "alert", "warning"]
STYLES: tuple[Style, ...] = ("title", "tag", "strong", "plain", "muted", "alert", "warning")


class ButtonData(TypedDict):
    label: str
    postback: NotRequired[str]
    uri: NotRequired[str]
    location: NotRequired[bool]
    primary: NotRequired[bool]


class CardData(TypedDict):
    lines: list[dict[str, Any]]
    buttons: list[ButtonData]
    wide: NotRequired[bool]


class TextMessage(TypedDict):
    kind: Literal["text"]
    body: str
    buttons: NotRequired[list[ButtonData]]


class CardsMessage(TypedDict):
    kind: Literal["cards"]
    alt: str
    cards: list[CardData]


Message = TextMessage | CardsMessage


def text(body: str) -> TextMessage:
    """A text with no buttons (storage's own notes to a resident: a staff reply, a notice)."""
    return {"kind": "text", "body": body}


def readable(message: Message) -> str:
    """What a person reads in a message: its text, or every line of its cards in order."""
    if message["kind"] == "text":
        return message["body"]
    found: list[str] = []
    for card in message["cards"]:
        for line in card["lines"]:
            if line.get("text"):
                found.append(str(line["text"]))
            elif "value" in line:
                found += [str(line["label"]), str(line["value"])]
    return "\n".join(found)
