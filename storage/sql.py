"""SQL that differs between SQLite and PostgreSQL, written once."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, ScalarSelect, any_, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert(session: Session, model: type[Any]) -> Any:
    """An INSERT that knows ON CONFLICT DO NOTHING / DO UPDATE, in the session's dialect."""
    return insert_in(dialect_of(session), model)


def insert_in(dialect: str, model: type[Any]) -> Any:
    """The same for a dialect named ahead, to build a statement once for each."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def dialect_of(session: Session) -> str:
    return session.get_bind().dialect.name


def among(
    session: Session, column: Any, ids: Iterable[int] | ScalarSelect[Any]
) -> ColumnElement[bool]:
    """`column IN ids` for hundreds of ids (a list, or a subquery that picks them).

    A plain IN list is a parameter per id: the statement's text changes with the count, so
    it is compiled again each time and PostgreSQL's driver re-parses it. One array (a JSON
    list on SQLite) keeps the statement the same whatever the count. On PostgreSQL a
    subquery becomes an array too, taken once and looked up by index: as IN (subquery) the
    planner may rather scan the whole table to join it.
    """
    postgres = dialect_of(session) == "postgresql"
    if isinstance(ids, ScalarSelect):
        return column == any_(func.array(ids)) if postgres else column.in_(ids)
    values = [int(value) for value in ids]
    if postgres:
        return column == any_(bindparam(None, values, type_=postgresql.ARRAY(Integer)))
    listed = func.json_each(json.dumps(values)).table_valued("value")
    return column.in_(select(listed.c.value))
