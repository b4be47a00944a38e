"""SQL that differs between SQLite and PostgreSQL, written once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, ScalarSelect, String, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert(session: Session, model: type[Any]) -> Any:
    """An INSERT that knows ON CONFLICT DO NOTHING / DO UPDATE, in the session's dialect."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def among(
    session: Session, column: Any, values: Iterable[int] | Iterable[str] | ScalarSelect[Any]
) -> ColumnElement[bool]:
    """`column IN values` for hundreds of ids or LINE user ids (a list, or a subquery).

    A plain IN list is a parameter per value: the statement's text changes with the count,
    so it is compiled again each time and PostgreSQL's driver re-parses it. One array (a JSON
    list on SQLite) keeps the statement the same whatever the count. On PostgreSQL a
    subquery becomes an array too, taken once and looked up by index: as IN (subquery) the
    planner may rather scan the whole table to join it.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    if isinstance(values, ScalarSelect):
        return column == any_(func.array(values)) if postgres else column.in_(values)
    listed = list(values)
    if postgres:
        kind = String if listed and isinstance(listed[0], str) else Integer
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(kind)))
    rows = func.json_each(json.dumps(listed)).table_valued("value")
    return column.in_(select(rows.c.value))
