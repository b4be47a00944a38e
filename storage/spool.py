"""The webhook's spool on SQLite: acknowledged events in a file of their own, moved into the
inbox by the worker.

SQLite has one write lock per database file. When the webhook stored its events in the inbox
it queued for that lock behind the worker's and the sender's transactions, and LINE waited
for its 200 meanwhile (p99 several times the synchronous SDK pattern's under a burst). The
spool is a second file whose only writer is the web: an acknowledgement costs one short
commit of raw rows, whatever the worker is doing. The worker moves spooled events into the
inbox in its own transaction, then forgets them; a move repeated after a crash changes
nothing, since the inbox keeps each webhookEventId once.

PostgreSQL needs none of this: its writers do not share one lock, and the webhook writes the
inbox itself (`spool_for` gives None).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from storage import inbox
from storage.db import Database, sqlite_file
from storage.inbox import RefusedEvent

# Events moved in one inbox transaction: a burst of a few seconds, kept short enough that a
# worker's turn at the write lock stays a few milliseconds.
MOVE_BATCH = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spooled (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at REAL NOT NULL,
    event TEXT NOT NULL
)
"""


class Spool:
    """One SQLite file beside the database; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection = sqlite3.connect(
            path, timeout=30, check_same_thread=False, isolation_level=None
        )
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            # A moved row's bytes are overwritten, not left in a free page of the file (the
            # write-ahead log's copy goes as the log is reused, as in the main database).
            "PRAGMA secure_delete=ON",
        ):
            self._connection.execute(pragma)
        self._connection.execute(_SCHEMA)

    def append(self, events: list[dict[str, Any]], now: datetime) -> None:
        """Keep the events durably; returns once they are committed."""
        received = now.timestamp()
        rows = [(received, _encode(event)) for event in events]
        with self._lock:
            self._connection.execute("BEGIN IMMEDIATE")
            try:
                self._connection.executemany(
                    "INSERT INTO spooled (received_at, event) VALUES (?, ?)", rows
                )
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            self._connection.execute("COMMIT")

    def move_into_inbox(self, db: Database) -> int:
        """Move what is spooled into the inbox, oldest first; returns how many were moved."""
        moved = 0
        while True:
            with self._lock:
                rows = self._connection.execute(
                    "SELECT seq, received_at, event FROM spooled ORDER BY seq LIMIT ?",
                    (MOVE_BATCH,),
                ).fetchall()
            if not rows:
                return moved
            received = [(_decode(event), datetime.fromtimestamp(at, UTC)) for _, at, event in rows]
            with db.transaction() as session:
                inbox.store_received(session, received)
            # Forgotten only once the inbox holds them: a crash in between moves them again,
            # which the inbox's dedup by webhookEventId makes harmless.
            self._forget(rows[-1][0])
            moved += len(rows)

    def _forget(self, last: int) -> None:
        with self._lock:
            self._connection.execute("DELETE FROM spooled WHERE seq <= ?", (last,))

    def waiting(self) -> int:
        with self._lock:
            (count,) = self._connection.execute("SELECT count(*) FROM spooled").fetchone()
        return int(count)

    def close(self) -> None:
        with self._lock:
            self._connection.close()


def spool_for(db: Database) -> Spool | None:
    """The spool beside a SQLite database file; None for PostgreSQL or a database in memory."""
    path = _path_for(db)
    return Spool(path) if path is not None else None


def move_waiting(db: Database) -> int:
    """Move what the webhook spooled beside `db` into its inbox, as a worker's pass does (a
    backup's too); where the web never spooled, no spool file is made."""
    path = _path_for(db)
    if path is None or not path.exists():
        return 0
    spool = Spool(path)
    try:
        return spool.move_into_inbox(db)
    finally:
        spool.close()


def _path_for(db: Database) -> Path | None:
    database = sqlite_file(db.url)
    return Path(f"{database}.spool") if database is not None else None


def _encode(event: dict[str, Any]) -> str:
    if isinstance(event, RefusedEvent):
        # What the inbox keeps of a refused event, and why: its content never reaches the file.
        return json.dumps({"refused": dict(event), "reason": event.reason, "id": event.event_id})
    # ASCII escapes: a lone surrogate LINE let through cannot break the UTF-8 of the file.
    return json.dumps({"event": event})


def _decode(text: str) -> dict[str, Any]:
    envelope = json.loads(text)
    if "refused" in envelope:
        return RefusedEvent.restored(envelope["refused"], envelope["reason"], envelope["id"])
    return envelope["event"]
