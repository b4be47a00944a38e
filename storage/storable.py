"""Text a database can hold as it is, on SQLite and PostgreSQL alike.

PostgreSQL's text refuses NUL, and a lone surrogate (JSON may spell one: "\\udb79", and
`json.loads` lets it through) is no UTF-8 at all: either fails in the driver, a 500 once it
reaches a row or a query. Everything taken from outside (webhook events, console forms, API
bodies and query strings) is checked with this before it gets that far.
"""

from __future__ import annotations


def storable(text: str) -> bool:
    """Whether `text` can be written to a row or used in a query as it is."""
    if "\x00" in text:
        return False
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
