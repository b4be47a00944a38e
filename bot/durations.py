"""Durations as the settings write them: 90s, 15m, 3h, 1d."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_duration(text: str) -> timedelta:
    """`parse_duration("3h")` is three hours; anything else raises ValueError with the reason."""
    match = _PATTERN.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a duration; write it like 90s, 15m, 3h or 1d")
    amount, unit = match.groups()
    return timedelta(seconds=float(amount) * _UNITS[unit])
