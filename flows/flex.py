"""Flex messages: small builders for bubbles and carousels, kept within LINE's limits.

The builders return LINE's wire JSON (the Messaging API's Flex objects). `carousel` and
`single` check what LINE would refuse — more than 12 bubbles, a bubble over 30 KB, a
carousel over 50 KB, an empty or over-long alt text — so a mistake fails in tests, not on a
resident's phone.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from flows import postback
from flows.messages import MAX_LABEL, Message
from flows.postback import Postback

MAX_BUBBLES = 12
MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024
# LINE allows 1,500 characters; notifications and chat lists show far fewer.
MAX_ALT_TEXT = 400
MAX_ACTION_LABEL = 40

Component = dict[str, Any]

MUTED = "#6B6B6B"
ACCENT = "#1B7F5B"
WARNING = "#B35900"


class FlexTooLarge(ValueError):
    """A Flex message LINE would refuse for its size or number of bubbles."""


def text(
    body: str,
    *,
    size: str = "md",
    bold: bool = False,
    color: str | None = None,
    wrap: bool = True,
    flex: int | None = None,
) -> Component:
    """A text component; wrapping is on, since residents read on small screens at large sizes."""
    component: Component = {"type": "text", "text": body or " ", "size": size, "wrap": wrap}
    if bold:
        component["weight"] = "bold"
    if color:
        component["color"] = color
    if flex is not None:
        component["flex"] = flex
    return component


def box(
    contents: Sequence[Component], *, layout: str = "vertical", spacing: str = "sm", **extra: Any
) -> Component:
    return {
        "type": "box",
        "layout": layout,
        "spacing": spacing,
        "contents": list(contents),
        **extra,
    }


def labelled(label: str, value: str) -> Component:
    """A "label  value" line, the label muted and narrow, the value wrapping beside it."""
    return box(
        [text(label, size="sm", color=MUTED, flex=2), text(value, size="sm", flex=5)],
        layout="baseline",
    )


def separator() -> Component:
    return {"type": "separator", "margin": "md"}


def postback_button(
    label: str, tapped: Postback, *, style: str = "primary", display_text: str | None = None
) -> Component:
    """A button that posts `tapped` back; what the person sees as their reply is the label."""
    return {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {
            "type": "postback",
            "label": _label(label),
            "data": postback.encode(tapped),
            "displayText": display_text or label,
        },
    }


def uri_button(label: str, uri: str, *, style: str = "secondary") -> Component:
    """A button that opens a link, a map app, or the phone's dialler (tel:)."""
    return {
        "type": "button",
        "style": style,
        "height": "sm",
        "action": {"type": "uri", "label": _label(label), "uri": uri},
    }


def call_button(label: str, number: str) -> Component:
    """A button that opens the phone's dialler on `number` (as written: 119, #7119, 0570-783-556)."""
    if len(label) > MAX_LABEL:
        raise ValueError(f"call button label over {MAX_LABEL} characters: {label!r}")
    # The digits only, and "#" percent-encoded: in a URI it would start a fragment.
    return uri_button(label, "tel:" + quote(number.replace("-", ""), safe=""), style="primary")


def call_card(
    lines: Sequence[str], calls: Sequence[tuple[str, str]], *, note: str = "", alt_text: str
) -> Message:
    """A card that leads with what to do: the first line stands out, the rest explain, `note`
    closes it in small print, and each (label, number) in `calls` is a button that dials it."""
    first, *rest = lines
    body = [text(first, size="lg", bold=True, color=WARNING), *(text(line) for line in rest)]
    if note:
        body += [separator(), text(note, size="sm", color=MUTED)]
    footer = [call_button(label, number) for label, number in calls]
    return single(bubble(body, footer, size="mega"), alt_text)


def bubble(
    body: Sequence[Component], footer: Sequence[Component] = (), *, size: str = "kilo"
) -> Component:
    container: Component = {"type": "bubble", "size": size, "body": box(body, spacing="md")}
    if footer:
        container["footer"] = box(footer)
    return container


def carousel(bubbles: Sequence[Component], alt_text: str) -> Message:
    """A carousel message; raises FlexTooLarge for what LINE would refuse."""
    if not 1 <= len(bubbles) <= MAX_BUBBLES:
        raise FlexTooLarge(f"a carousel holds 1 to {MAX_BUBBLES} bubbles, not {len(bubbles)}")
    for number, one in enumerate(bubbles):
        if size_of(one) > MAX_BUBBLE_BYTES:
            raise FlexTooLarge(f"bubble {number} is {size_of(one)} bytes")
    contents = {"type": "carousel", "contents": list(bubbles)}
    if size_of(contents) > MAX_CAROUSEL_BYTES:
        raise FlexTooLarge(f"the carousel is {size_of(contents)} bytes")
    return {"type": "flex", "altText": _alt(alt_text), "contents": contents}


def single(container: Component, alt_text: str) -> Message:
    if size_of(container) > MAX_BUBBLE_BYTES:
        raise FlexTooLarge(f"the bubble is {size_of(container)} bytes")
    return {"type": "flex", "altText": _alt(alt_text), "contents": container}


def readable(message: Message) -> str:
    """What a person reads in a message: its text, or every text of a Flex message in order."""
    if message.get("type") != "flex":
        return str(message.get("text", ""))
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text" and node.get("text"):
                found.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("contents"))
    return "\n".join(found)


def size_of(obj: Any) -> int:
    """Bytes of the JSON as it goes over the wire (UTF-8, no padding)."""
    return len(json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _alt(alt_text: str) -> str:
    alt_text = alt_text.strip() or "…"
    return alt_text if len(alt_text) <= MAX_ALT_TEXT else alt_text[: MAX_ALT_TEXT - 1] + "…"


def _label(label: str) -> str:
    if len(label) > MAX_ACTION_LABEL:
        raise ValueError(f"action label over {MAX_ACTION_LABEL} characters: {label!r}")
    return label
