"""Group commit for the webhook: requests that arrive together share one inbox transaction.

SQLite has one writer and every commit costs the same whatever it holds, so under a burst
each webhook request used to queue for its own commit, and the slowest waited for all the
others. Here the first request to arrive writes everything waiting at that moment in one
transaction (the leader); requests arriving meanwhile wait and are written together by the
next round. Each request still answers only after the commit that holds its events, so an
acknowledged event is never lost.

On SQLite the round is written to the spool (`storage/spool.py`), a file whose write lock
no worker or sender takes, and the worker moves it into the inbox; on PostgreSQL, into the
inbox itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage import inbox
from storage.db import Database
from storage.spool import Spool


@dataclass
class _Batch:
    events: list[dict[str, Any]]
    done: bool = False
    error: BaseException | None = None


class InboxWriter:
    """One writer at a time; whoever finds none writes every batch waiting, then steps down."""

    def __init__(
        self, db: Database, now: Callable[[], datetime], spool: Spool | None = None
    ) -> None:
        self._db = db
        self._now = now
        self._spool = spool
        self._turn = threading.Condition()
        self._waiting: list[_Batch] = []
        self._writing = False

    def store(self, events: list[dict[str, Any]]) -> None:
        """Store the events durably; returns once they are committed, raises if that failed."""
        batch = _Batch(events)
        with self._turn:
            self._waiting.append(batch)
            while self._writing and not batch.done:
                self._turn.wait()
            if not batch.done:
                # Nobody is writing: this request writes its own batch and all that wait.
                self._writing = True
                batches, self._waiting = self._waiting, []
        if not batch.done:
            self._write(batches)
        if batch.error is not None:
            raise batch.error

    def _write(self, batches: list[_Batch]) -> None:
        error: BaseException | None = None
        try:
            self._keep([event for each in batches for event in each.events])
        except BaseException as failure:  # every request of the round hears of it
            error = failure
        with self._turn:
            for each in batches:
                each.done, each.error = True, error
            self._writing = False
            self._turn.notify_all()

    def _keep(self, events: list[dict[str, Any]]) -> None:
        if self._spool is not None:
            self._spool.append(events, self._now())
            return
        with self._db.transaction() as session:
            inbox.store(session, events, self._now())
