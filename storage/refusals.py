"""Refusals: a step staff asked for that cannot be done, with a reason they can act on.

The reason is an English msgid marked for Babel, so the console and the API show it in the
reader's language (`gettext(language, refusal.message, **refusal.params)`); `str(refusal)`
is the English text, for logs and programs.
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


def fill(message: str, params: Mapping[str, object], separator: str = ", ") -> str:
    """A message's `{placeholders}` filled in; a list or tuple is written out joined by
    `separator`, which is the reader's language's (、 in Japanese)."""
    if not params:
        return message
    values = {
        name: separator.join(map(str, value)) if isinstance(value, list | tuple) else value
        for name, value in params.items()
    }
    for name, value in values.items():
        # A name with its own 「」 inside a quoted placeholder would nest them
        # (「国府津ふれあいサロン「ほほえみ」」): Japanese writes the inner pair as 『』.
        if isinstance(value, str) and "「" in value and f"「{{{name}}}」" in message:
            values[name] = value.replace("「", "『").replace("」", "』")
    return message.format(**values)


class Refused(ValueError):
    """Bad input, or a step the ticket's state does not allow (the API answers 422)."""

    def __init__(self, message: str, /, *, field: str | None = None, **params: object) -> None:
        super().__init__(fill(message, params))
        self.message = message
        self.params = params
        # The input at fault, when one is: the API names it, a form marks it.
        self.field = field


class Conflict(Refused):
    """The ticket changed under the caller, e.g. someone else took it (the API answers 409)."""
