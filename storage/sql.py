"""SQL that differs between SQLite and PostgreSQL, written once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert(session: Session, model: type[Any]) -> Any:
    """An INSERT that knows ON CONFLICT DO NOTHING / DO UPDATE, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def among(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN ids` for hundreds of ids, as one parameter.

    A plain IN list is a parameter per id: the statement's text changes with the count, so
    it is compiled again each time and PostgreSQL's driver re-parses it. One array (a JSON
    list on SQLite) keeps the statement the same whatever the count.
    """
    values = [int(value) for value in ids]
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    listed = func.json_each(json.dumps(values)).table_valued("value")
    return column.in_(select(listed.c.value))
