"""The bot's clock: real time plus an offset that only demos and schedule tests move.

With a database the offset is kept there, so the web process that takes
`POST /simulator/clock` and the worker processes that fire deadlines agree on the time.
Each process re-reads it at most every `refresh` seconds, so a move reaches a worker a moment
later.

A move is bounded, and so is the offset: 3,000,000 days ahead once overflowed every `now()`
past the year 9999, and every webhook after it failed, restart or not. `reset()` (the route's
{"reset": true}, `madoguchi clock reset`) puts the clock back to real time. An offset out of
range found in the database is never used: processes refuse to start on it (`check()`) and a
running one keeps the time it had.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from datetime import UTC, datetime, timedelta

from locales import N_, fill
from storage import deadlines
from storage.db import Database

log = logging.getLogger(__name__)

# One move reaches past the longest thing the product schedules ahead: the salon calendar's
# horizon (400 days; a watch-over pause lasts at most 366, a salon goes stale after 365).
MAX_MOVE = timedelta(days=400)
# The offset stays within three years: room for a few of those longest moves, and thousands of
# years short of datetime's limit. A production bot is never moved at all, so a clock years
# ahead only ever comes from a mistake.
MAX_OFFSET = timedelta(days=3 * 365 + 1)


class ClockOutOfRange(ValueError):
    """A move too large, or an offset beyond MAX_OFFSET; the message says which and the way out.

    `message` is the catalog's msgid and `params` fill it, for callers that translate."""

    def __init__(self, message: str, /, **params: object) -> None:
        super().__init__(fill(message, params))
        self.message = message
        self.params = params


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
        # Counts this process's own moves: a read of the database that began before one is stale.
        self._moves = 0
        self._warned: float | None = None

    @classmethod
    def shared(cls, db: Database, refresh: float = 0.5) -> Clock:
        """A clock whose offset lives in the database, shared by every process using it."""
        return cls(store=db, refresh=refresh)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward by at most MAX_MOVE, to at most MAX_OFFSET ahead."""
        if by < timedelta(0):
            raise ValueError("the clock only moves forward; reset it to go back to real time")
        if by > MAX_MOVE:
            raise ClockOutOfRange(
                N_("One move of the clock is at most {most} days; this one is {days}."),
                most=MAX_MOVE.days,
                days=_days(by.total_seconds()),
            )
        if self._store is None:
            with self._lock:
                self._within_range(self._offset + by)
                self._offset += by
                self._moves += 1
            return self.now()
        with self._store.transaction() as session:
            try:
                stored = deadlines.advance_clock(session, by)
            except (OverflowError, ValueError):
                # What was there already is beyond any timedelta (or no number at all).
                stored = timedelta.max
            # Raised inside the transaction, so the move is rolled back. Stored offsets are
            # bounded both ways: one far behind overflows `now()` as surely as one far ahead.
            self._within_range(abs(stored))
        self._adopt(stored)
        return self.now()

    def reset(self) -> float:
        """Back to real time; returns the seconds it was ahead. What was scheduled while the
        clock was ahead stays at that (now later) time; fired deadlines stay fired."""
        if self._store is None:
            with self._lock:
                seconds = self._offset.total_seconds()
                self._offset = timedelta(0)
                self._moves += 1
        else:
            with self._store.transaction() as session:
                seconds = deadlines.reset_clock(session)
            self._adopt(timedelta(0))
        return seconds

    def check(self) -> None:
        """At start-up: refuse an offset out of range in the database, with the way out."""
        if self._store is None:
            return
        seconds = self._read_stored()
        if _as_offset(seconds) is None:
            raise ClockOutOfRange(
                N_(
                    "The bot's clock is set {days} days ahead in the database, more than the "
                    "{most} allowed: run `madoguchi clock reset` to put it back to real time."
                ),
                days=_days(seconds),
                most=MAX_OFFSET.days,
            )

    @property
    def offset(self) -> timedelta:
        if self._store is not None and time.monotonic() - self._read_at > self._refresh:
            self._reload()
        with self._lock:
            return self._offset

    def _within_range(self, offset: timedelta) -> None:
        if offset > MAX_OFFSET:
            raise ClockOutOfRange(
                N_(
                    "The clock may be at most {most} days ahead; this move would put it {days} "
                    "days ahead. Reset it first."
                ),
                most=MAX_OFFSET.days,
                days=_days(offset.total_seconds()),
            )

    def _adopt(self, stored: timedelta) -> None:
        with self._lock:
            self._offset = stored
            self._moves += 1
            self._read_at = time.monotonic()

    def _reload(self) -> None:
        with self._lock:
            moves = self._moves
        seconds = self._read_stored()
        stored = _as_offset(seconds)
        with self._lock:
            self._read_at = time.monotonic()
            if stored is None:
                self._warn_out_of_range(seconds)
                return
            # A move made here while we read is newer than what we read.
            if self._moves == moves:
                self._offset = stored

    def _read_stored(self) -> float:
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
        return float(row[0]) if row and row[0] is not None else 0.0

    def _warn_out_of_range(self, seconds: float) -> None:
        # Keeps the time it had: a webhook must still be stored, whatever is in that row.
        if self._warned != seconds:
            self._warned = seconds
            log.error(
                "the clock offset in the database (%s days) is out of range and is ignored; "
                "run `madoguchi clock reset`",
                _days(seconds),
            )


def _as_offset(seconds: float) -> timedelta | None:
    """The stored seconds as an offset, or None when out of range (or not a number at all)."""
    if not math.isfinite(seconds) or abs(seconds) > MAX_OFFSET.total_seconds():
        return None
    return timedelta(seconds=seconds)


def _days(seconds: float) -> str:
    return f"{seconds / 86400:,.0f}" if math.isfinite(seconds) else str(seconds)
