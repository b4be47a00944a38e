"""Engines and transactions for SQLite (embedded default) and PostgreSQL (scale-out)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

try:
    import fcntl
except ImportError:  # Windows: only the threads of one process queue
    fcntl = None  # type: ignore[assignment]


def normalise_url(url: str) -> str:
    """Pick the psycopg 3 driver for plain postgres:// URLs, as hosting platforms hand them out."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def sqlite_file(url: str) -> str | None:
    """The file a SQLite URL names; None for another engine or a database in memory."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return database


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine whose write transactions never deadlock on SQLite and never hang on PostgreSQL."""
    url = normalise_url(url)
    # A failed statement's error carries its parameters, and those can be a resident's words
    # or name: errors are logged, so they must not.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        path = sqlite_file(url)
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )
        _use_begin_immediate(engine)
        return engine
    # No server-side prepared statements: after five runs psycopg would prepare one, and
    # PostgreSQL may then keep a generic plan that cannot see how short an id array is or use
    # a partial index, and scans tables the sweep should look rows up in.
    # The planner's defaults price a lookup by index as a read from a spinning disk, so for a
    # batch of 2,000 ids it scans whole tables instead; our rows live in memory or on SSD.
    # JIT compiling pays off for long reports, never for the short statements we run.
    connect_args = {
        "prepare_threshold": None,
        "options": "-c random_page_cost=1.1 -c jit=off",
        **kwargs.pop("connect_args", {}),
    }
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **kwargs)


def _use_begin_immediate(engine: Engine) -> None:
    # SQLAlchemy's documented recipe: pysqlite's own transaction handling starts a deferred
    # transaction, which upgrades to a write lock mid-way and fails with "database is locked"
    # under concurrency. Taking the write lock at BEGIN makes writers queue on busy_timeout.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Database.reading(): a reader in WAL mode runs beside the writer, so it takes no lock.
        read_only = connection.get_execution_options().get(_READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


_READ_ONLY = "madoguchi_read_only"


class WriterQueue:
    """The queue for SQLite's one write lock: this process's threads on a lock, and processes
    on an OS lock on a file beside the database, whose waiters are woken the moment it is
    released (where there is no such file, or no `fcntl`, only the threads queue).
    """

    def __init__(self, database: str | None) -> None:
        self._threads = threading.RLock()
        self._path = (
            Path(f"{database}.writer-lock") if database is not None and fcntl is not None else None
        )
        self._file: Any = None
        self._pid = 0
        self._depth = 0  # nested transactions of the thread holding the queue
        # Two threads opening the file at once would leave one open for ever.
        self._opening = threading.Lock()

    def __enter__(self) -> WriterQueue:
        self._threads.acquire()
        if self._depth == 0 and self._path is not None:
            fcntl.flock(self._lock_file(), fcntl.LOCK_EX)
        self._depth += 1
        return self

    def __exit__(self, *_: object) -> None:
        self._depth -= 1
        if self._depth == 0 and self._path is not None:
            fcntl.flock(self._lock_file(), fcntl.LOCK_UN)
        self._threads.release()

    def close(self) -> None:
        with self._opening:
            if self._file is not None:
                self._file.close()
                self._file = None

    def __del__(self) -> None:
        # A Database dropped without dispose() (a test's app) must not leave its file open.
        self.close()

    def _lock_file(self) -> Any:
        # Opened in each process that uses it: a file inherited across fork() would share
        # one lock between parent and child.
        with self._opening:
            if self._file is None or self._pid != os.getpid():
                assert self._path is not None
                self._file = self._path.open("a+b")
                self._pid = os.getpid()
            return self._file


class Database:
    """The engine and a session factory; every unit of work is one `transaction()`."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = make_engine(self.url, **engine_kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._reader = self.engine.execution_options(**{_READ_ONLY: True})
        # SQLite has one writer. Writers that find its lock taken sleep in growing steps
        # (busy_timeout, up to 100 ms) while newcomers overtake them: a few webhook answers
        # waited close to a second, and a sender process waited a second at a time behind a
        # worker making 100,000 check-ins. So writers queue before they begin.
        self._writer: AbstractContextManager[object] = (
            WriterQueue(sqlite_file(self.url)) if self.is_sqlite else nullcontext()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits on success and rolls back on any exception."""
        with self._writer, self.sessions() as session, session.begin():
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A session for reads only, which on SQLite neither queues for the write lock nor takes
        it: looking for work must not hold up a webhook storing events. What it writes is
        rolled back."""
        # Closing the session rolls its transaction back.
        with self.sessions(bind=self._reader) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._writer, WriterQueue):
            self._writer.close()


def backup_sqlite(source: str, target: Path) -> None:
    """Copy the SQLite database file `source` to `target` while the bot writes to it.

    SQLite's online backup API copies one consistent snapshot (in WAL mode, writers go on
    meanwhile). The copy is a single file (journal mode DELETE, no -wal beside it), readable by
    its owner only (it holds residents' data), and has its name only once it is whole and
    passes SQLite's quick check: a failed backup never looks like a good one.
    """
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        # Read-only: a mistyped path is an error here, never a new empty database.
        uri = f"{Path(source).resolve().as_uri()}?mode=ro"
        with (
            closing(sqlite3.connect(uri, uri=True, timeout=30)) as origin,
            closing(sqlite3.connect(partial)) as copy,
        ):
            origin.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")
            (verdict,) = copy.execute("PRAGMA quick_check").fetchone()
        if verdict != "ok":
            raise sqlite3.DatabaseError(f"the copy failed SQLite's quick check: {verdict}")
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
