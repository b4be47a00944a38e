"""`madoguchi backup FILE` (issue #17, Backups): a live SQLite database copied while the bot
writes, restored, and its data found; on PostgreSQL, the pg_dump line printed, and it works."""

from __future__ import annotations

import shlex
import shutil
import sqlite3
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from builders import text_event
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from bot.backup import pg_dump_command
from bot.cli import main
from storage import audit, migrate, sample_town
from storage.db import Database
from storage.models import AuditEntry, InboxEvent, Salon, Team
from storage.spool import spool_for


def run_backup(url: str, target: Path) -> Result:
    return CliRunner().invoke(main, ["backup", str(target)], env={"DATABASE_URL": url})


def counts(db: Database) -> tuple[int, int, int]:
    with db.transaction() as session:
        return (
            session.scalar(select(func.count()).select_from(Team)) or 0,
            session.scalar(select(func.count()).select_from(Salon)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


@pytest.fixture
def town(tmp_path: Path) -> Iterator[tuple[str, Database]]:
    """A migrated SQLite database holding the sample town, as `serve` leaves it."""
    url = f"sqlite:///{tmp_path / 'live' / 'madoguchi.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        sample_town.load(session, datetime.now(UTC))
    yield url, db
    db.dispose()


class Bot:
    """The bot at work: one write transaction after another until stopped."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.writes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write, daemon=True)

    def start(self) -> None:
        self._thread.start()
        self.wait_for_writes(1)

    def wait_for_writes(self, more: int) -> None:
        goal = self.writes + more
        deadline = time.monotonic() + 10
        while self.writes < goal and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.writes >= goal, "the bot stopped writing"

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _write(self) -> None:
        while not self._stop.is_set():
            with self.db.transaction() as session:
                audit.record(session, "backup_test_write", datetime.now(UTC))
            self.writes += 1


@pytest.fixture
def bot(town: tuple[str, Database]) -> Iterator[Bot]:
    running = Bot(town[1])
    running.start()
    yield running
    running.stop()


def test_a_live_sqlite_database_is_backed_up_and_restored_with_its_data(
    town: tuple[str, Database], bot: Bot, tmp_path: Path
) -> None:
    url, db = town
    target = tmp_path / "backups" / "madoguchi-backup.db"
    target.parent.mkdir()

    result = run_backup(url, target)

    assert result.exit_code == 0, result.output
    assert "To restore: stop madoguchi" in result.output
    # Residents' data: readable by its owner only; one file, nothing half-written beside it.
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(path.name for path in target.parent.iterdir()) == [target.name]
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)

    # Restored as the README says: the bot stopped, the file copied over the database.
    bot.wait_for_writes(5)  # after the backup: the restore takes these away again
    bot.stop()
    teams, salons, writes = counts(db)
    assert teams == 8 and salons >= 60
    live = Path(url.removeprefix("sqlite:///"))
    db.dispose()
    for leftover in live.parent.glob(f"{live.name}-*"):
        leftover.unlink()
    shutil.copyfile(target, live)
    restored = Database(url)
    try:
        backed_teams, backed_salons, backed_writes = counts(restored)
        assert (backed_teams, backed_salons) == (teams, salons)
        assert 1 <= backed_writes < writes, "what was written before the backup, not after"
        with restored.transaction() as session:
            audit.record(session, "after_restore", datetime.now(UTC))
    finally:
        restored.dispose()


def test_events_acknowledged_but_still_spooled_are_in_the_copy(
    town: tuple[str, Database], tmp_path: Path
) -> None:
    url, db = town
    spooled = text_event("薬をもらいに行けません")
    spool = spool_for(db)
    assert spool is not None
    spool.append([spooled], datetime.now(UTC))  # the web acknowledged it; the worker is away
    spool.close()
    target = tmp_path / "backup.db"

    result = run_backup(url, target)

    assert result.exit_code == 0, result.output
    copy = Database(f"sqlite:///{target}")
    try:
        with copy.transaction() as session:
            ids = session.scalars(select(InboxEvent.webhook_event_id)).all()
        assert ids == [spooled["webhookEventId"]]
    finally:
        copy.dispose()


def test_an_existing_file_is_never_overwritten(town: tuple[str, Database], tmp_path: Path) -> None:
    url, _ = town
    target = tmp_path / "earlier.db"
    target.write_bytes(b"an earlier backup")
    result = run_backup(url, target)
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert target.read_bytes() == b"an earlier backup"


def test_a_missing_database_is_an_error_and_creates_nothing(tmp_path: Path) -> None:
    result = run_backup(f"sqlite:///{tmp_path / 'nowhere.db'}", tmp_path / "backup.db")
    assert result.exit_code == 1
    assert "there is no database at" in result.output
    assert sorted(tmp_path.iterdir()) == []


def test_the_pg_dump_line_names_no_password() -> None:
    line = pg_dump_command(
        "postgresql+psycopg://madoguchi:s3cret@db.example:5432/madoguchi?sslmode=require",
        Path("/backups/madoguchi 2026-12-01.dump"),
    )
    assert "s3cret" not in line
    assert shlex.split(line) == [
        "pg_dump",
        "--format=custom",
        "--file=/backups/madoguchi 2026-12-01.dump",
        "postgresql://madoguchi@db.example:5432/madoguchi?sslmode=require",
    ]


@pytest.mark.postgres
def test_on_postgresql_the_printed_pg_dump_line_backs_up_and_pg_restore_restores(
    postgres_url: str, tmp_path: Path
) -> None:
    db = Database(postgres_url)
    with db.transaction() as session:
        sample_town.load(session, datetime.now(UTC))
    teams, salons, _ = counts(db)
    db.dispose()
    target = tmp_path / "madoguchi.dump"

    result = run_backup(postgres_url, target)

    assert result.exit_code == 1, "no backup was made here"
    line = next(row.strip() for row in result.output.splitlines() if "pg_dump " in row)
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        pytest.skip("pg_dump and pg_restore are not installed")
    subprocess.run(shlex.split(line), check=True, timeout=120)
    restored_url = sa.engine.make_url(postgres_url).set(database=f"restore_{uuid.uuid4().hex[:8]}")
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{restored_url.database}"')
    try:
        libpq = restored_url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={libpq}", str(target)],
            check=True,
            timeout=120,
        )
        restored = Database(restored_url.render_as_string(hide_password=False))
        try:
            assert counts(restored)[:2] == (teams, salons)
        finally:
            restored.dispose()
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f'DROP DATABASE IF EXISTS "{restored_url.database}" WITH (FORCE)'
            )
        admin.dispose()
