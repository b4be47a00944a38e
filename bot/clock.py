"""The bot's clock: real time plus an offset that only demos and schedule tests move.

With a database the offset is kept there, so the web process that takes
`POST /simulator/clock` and the worker processes that fire deadlines agree on the time.
Each process re-reads it at most every `refresh` seconds: a clock jump reaches a worker a
moment later, and since the offset only grows, a late reader is only ever behind, never ahead.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from storage import deadlines
from storage.db import Database


class Clock:
    def __init__(
        self,
        offset: timedelta = timedelta(0),
        store: Database | None = None,
        refresh: float = 0.5,
    ) -> None:
        self._offset = offset
        self._store = store
        self._refresh = refresh
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, db: Database, refresh: float = 0.5) -> Clock:
        """A clock whose offset lives in the database, shared by every process using it."""
        return cls(store=db, refresh=refresh)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward (never back: deadlines already fired must stay fired)."""
        if by < timedelta(0):
            raise ValueError("the clock only moves forward")
        if self._store is not None:
            with self._store.transaction() as session:
                stored = deadlines.advance_clock(session, by)
            with self._lock:
                self._offset = stored
                self._read_at = time.monotonic()
        else:
            with self._lock:
                self._offset += by
        return self.now()

    @property
    def offset(self) -> timedelta:
        if self._store is not None and time.monotonic() - self._read_at > self._refresh:
            self._reload()
        with self._lock:
            return self._offset

    def _reload(self) -> None:
        assert self._store is not None
        # A bare read outside any transaction: `now()` is called inside write transactions,
        # and on SQLite a second BEGIN IMMEDIATE there would wait on our own lock.
        connection = self._store.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(deadlines.CLOCK_QUERY)
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()
        stored = timedelta(seconds=float(row[0]) if row else 0.0)
        with self._lock:
            # Only forward: another thread may have advanced it after our read began.
            self._offset = max(self._offset, stored)
            self._read_at = time.monotonic()
