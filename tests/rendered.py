"""The bot's messages as a phone gets them: the values flows wrote, rendered into LINE's JSON
the way the sender renders them (bot.render), and read back as a person reads them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.render import line_messages


def rendered(values: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return line_messages(values)  # type: ignore[arg-type]


def readable(message: dict[str, Any]) -> str:
    """What a person reads in a LINE message: its text, or every text of a Flex message."""
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
