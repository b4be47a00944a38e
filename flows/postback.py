"""Postback data: short query strings that fit LINE's 300-character limit."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

MAX_LENGTH = 300


def encode(**fields: str) -> str:
    data = urlencode(fields)
    if len(data) > MAX_LENGTH:
        raise ValueError("postback data is over LINE's 300-character limit")
    return data


def decode(data: str) -> dict[str, str]:
    """Unknown or malformed data decodes to what it can; the handler then re-asks."""
    return dict(parse_qsl(data, keep_blank_values=True))
