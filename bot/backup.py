"""`madoguchi backup FILE`: a copy of the database, taken while the bot runs.

On SQLite (the embedded default) the copy is made here with SQLite's online backup API
(`storage.db.backup_sqlite`). PostgreSQL has its own tool for a consistent copy of a live
database, `pg_dump`; we print the line to run rather than wrap it, so the operator's usual
PostgreSQL tooling, credentials and schedules apply (README: "Backups").
"""

from __future__ import annotations

import shlex
import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from storage.db import Database, backup_sqlite, normalise_url, sqlite_file
from storage.spool import move_waiting


class UsePgDump(Exception):
    """The database is PostgreSQL: `command` is the pg_dump line to run instead."""

    def __init__(self, command: str) -> None:
        super().__init__(command)
        self.command = command


class BackupFailed(Exception):
    """No backup was made; the message says why (and the target was left as it was)."""


def backup(database_url: str, target: Path) -> str:
    """Back up the SQLite database to `target`; returns the line to tell the operator."""
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() == "postgresql":
        raise UsePgDump(pg_dump_command(database_url, target))
    database = sqlite_file(normalise_url(database_url))
    if database is None:
        raise BackupFailed(f"cannot back up {url.render_as_string()}: not a database file")
    source = Path(database)
    if not source.is_file():
        raise BackupFailed(f"there is no database at {source}")
    if target.exists():
        # An earlier backup is worth more than a typo: never overwritten.
        raise BackupFailed(f"{target} exists already; name a new file")
    if target.resolve() == source.resolve():
        raise BackupFailed("the backup must be another file than the database itself")
    try:
        _move_spooled_events(database_url)
        backup_sqlite(str(source), target)
    except (OSError, sqlite3.Error) as error:
        raise BackupFailed(f"the backup failed: {error}") from None
    size = target.stat().st_size
    return (
        f"backed up {source} to {target} ({size:,} bytes). To restore: stop madoguchi, "
        f"then copy {target} over {source} (and delete any {source.name}-wal and -shm beside it)."
    )


def _move_spooled_events(database_url: str) -> None:
    """Webhooks acknowledged but still in the web's spool (storage/spool.py) go into the inbox
    first, as the worker's next pass would move them, so the copy holds every message LINE was
    told is stored before the backup began."""
    database = Database(database_url)
    try:
        move_waiting(database)
    finally:
        database.dispose()


def pg_dump_command(database_url: str, target: Path) -> str:
    """The documented pg_dump line: custom format (compressed, restorable table by table with
    pg_restore), the URL as libpq reads it, and no password in it."""
    # `set(password=None)` would keep it (None there means "unchanged"); a URL is a named tuple.
    url = make_url(database_url)._replace(drivername="postgresql", password=None)
    address = url.render_as_string(hide_password=False)
    return f"pg_dump --format=custom --file={shlex.quote(str(target))} {shlex.quote(address)}"
