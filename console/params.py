"""Numbers and days from URLs, query strings and forms, each checked before it reaches a query.

`str.isdigit` is no check: it takes 「²」 (which `int` then refuses) and other scripts' digits,
and a twenty-digit id overflows the database's integer (a 500 on SQLite and PostgreSQL alike),
as does a date near year 1 or 9999 once it becomes a time in Tokyo. So every id and day the
console reads goes through here: ASCII digits within the column's range, days within bounds.
Path ids use the `id` URL converter (a bad one matches no route: 404); query and form values
use `query_id`, `form_id` and `query_day`, which answer 400 with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from flask import abort, request
from werkzeug.routing import BaseConverter, ValidationError

from storage.storable import storable

# Row ids are INTEGER columns: PostgreSQL's largest (SQLite's is larger).
DB_INT_MAX = 2_147_483_647
# No date the council works with lies outside these; beyond them times overflow in conversion.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)

_DIGITS = re.compile(r"[0-9]{1,10}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def number(raw: object, low: int, high: int) -> int | None:
    """`raw` as a whole number from `low` to `high` (ASCII digits only); None otherwise."""
    if not isinstance(raw, str) or not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if low <= value <= high else None


def positive_id(raw: object) -> int | None:
    """`raw` as a row id: 1 to the database's largest integer; None otherwise."""
    return number(raw, 1, DB_INT_MAX)


def day(raw: object, earliest: date = EARLIEST_DAY, latest: date = LATEST_DAY) -> date | None:
    """`raw` as a yyyy-mm-dd day from `earliest` to `latest`; None otherwise."""
    if not isinstance(raw, str) or not _DAY.fullmatch(raw):
        return None
    try:
        found = date.fromisoformat(raw)
    except ValueError:
        return None
    return found if earliest <= found <= latest else None


def unstorable_field(fields: Iterable[tuple[str, object]]) -> str | None:
    """The name of the first field whose text cannot be stored; None when all can."""
    for name, value in fields:
        if isinstance(value, str) and not storable(value):
            return name
    return None


def refuse_unstorable_input() -> None:
    """A 400 for a query string, form or path that holds text no database takes."""
    fields = [
        *request.args.items(multi=True),
        *request.form.items(multi=True),
        *(request.view_args or {}).items(),
    ]
    name = unstorable_field(fields)
    if name is not None:
        abort(400, description=f"{name} holds a NUL or a broken character")


def query_id(name: str) -> int | None:
    """An optional id in the query string; a present but bad one is a 400."""
    return _id_or_400(request.args.get(name), name)


def form_id(name: str) -> int | None:
    """An optional id in the submitted form; a present but bad one is a 400."""
    return _id_or_400(request.form.get(name), name)


def query_day(name: str) -> date | None:
    """An optional yyyy-mm-dd day in the query string; a present but bad one is a 400."""
    raw = request.args.get(name)
    if not raw:
        return None
    found = day(raw)
    if found is None:
        abort(400, description=f"{name} is a date written yyyy-mm-dd, {_bounds()}")
    return found


def _id_or_400(raw: str | None, name: str) -> int | None:
    if not raw:
        return None
    found = positive_id(raw)
    if found is None:
        abort(400, description=f"{name} is a number from 1 to {DB_INT_MAX}")
    return found


def _bounds() -> str:
    return f"from {EARLIEST_DAY.isoformat()} to {LATEST_DAY.isoformat()}"


class IdConverter(BaseConverter):
    """`<id:name>` in a route: a row id as `positive_id` reads it; anything else matches nothing."""

    regex = r"[0-9]{1,10}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        found = positive_id(value)
        if found is None:
            raise ValidationError()
        return found

    def to_url(self, value: Any) -> str:
        return str(int(value))
