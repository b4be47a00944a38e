"""Reading submitted forms: each field checked, a FormError with a reason a person can act on."""

from __future__ import annotations

import re
from collections.abc import Iterable

from flask import request

from console.i18n import _


class FormError(ValueError):
    """A field was missing or wrong; the message is already in the staff member's language."""


def text(name: str, limit: int, *, required: str | None = None) -> str:
    """The trimmed value; `required` is the message when it is empty."""
    value = request.form.get(name, "").strip()
    if len(value) > limit:
        raise FormError(_("Too long: at most {limit} characters.", limit=limit))
    if required and not value:
        raise FormError(required)
    return value


def optional(name: str, limit: int) -> str | None:
    return text(name, limit) or None


def checkbox(name: str) -> bool:
    return request.form.get(name) in ("1", "on", "yes", "true")


def integer(name: str, low: int, high: int, message: str) -> int:
    value = request.form.get(name, "").strip()
    # [0-9], not \d: \d also matches other scripts' digits (int() reads them).
    if not re.fullmatch(r"-?[0-9]{1,9}", value) or not low <= int(value) <= high:
        raise FormError(message)
    return int(value)


def optional_integer(name: str, low: int, high: int, message: str) -> int | None:
    if not request.form.get(name, "").strip():
        return None
    return integer(name, low, high, message)


def choice(name: str, options: Iterable[str], message: str, *, blank: bool = False) -> str | None:
    value = request.form.get(name, "").strip()
    if blank and not value:
        return None
    if value not in set(options):
        raise FormError(message)
    return value


def choices(name: str, options: Iterable[str], message: str) -> list[str]:
    allowed = set(options)
    picked = request.form.getlist(name)
    if not set(picked) <= allowed:
        raise FormError(message)
    return picked
