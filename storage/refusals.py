"""Refusals: a step staff asked for that cannot be done, with a reason they can act on.

The reason is an English msgid marked for Babel, so the console and the API show it in the
reader's language (`gettext(language, refusal.message, **refusal.params)`); `str(refusal)`
is the English text, for logs and programs.
"""

from __future__ import annotations

from locales import fill


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
