"""CSV cells that a spreadsheet shows as text and never runs as a formula.

Offices open exported CSV files in Excel, which takes a cell starting with =, +, - or @ (or a
tab or carriage return before one) as a formula: a salon's name or a team's name typed as
`=HYPERLINK(...)` would run on a colleague's machine (CSV injection). Every CSV writer puts its
cells through `cell`, which prefixes such text with an apostrophe, as OWASP recommends; a file
that is read back (the salon import) takes it off again with `read`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeVar

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
Value = TypeVar("Value")


def cell(value: Value) -> Value | str:
    """Text that would start a formula, with an apostrophe in front; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return QUOTE + value
    return value


def row(values: Iterable[Value]) -> list[Value | str]:
    return [cell(value) for value in values]


def record(values: Mapping[str, Value]) -> dict[str, Value | str]:
    return {key: cell(value) for key, value in values.items()}


def read(text: str) -> str:
    """A cell as it was before `cell`: the apostrophe in front of a formula start taken off."""
    if text.startswith(QUOTE) and text[len(QUOTE) :].startswith(FORMULA_STARTS):
        return text[len(QUOTE) :]
    return text
