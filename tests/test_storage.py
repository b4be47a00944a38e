"""The schema: migrations build exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from storage.db import Database
from storage.models import Base


def test_migrations_match_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, Base.metadata) == []


def test_the_migrations_form_one_line_that_goes_down_and_up_again(tmp_path: Path) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage import migrate

    url = f"sqlite:///{tmp_path / 'chain.db'}"
    config = migrate.alembic_config(url)
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
    migrate.upgrade(url)
    command.downgrade(config, "base")
    migrate.upgrade(url)
    database = Database(url)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    database.dispose()


def test_sqlite_writers_of_two_processes_take_turns(tmp_path: Path) -> None:
    """A process that writes waits for another's transaction to end, not in growing sleeps."""
    db = Database(f"sqlite:///{tmp_path / 'turns.db'}")
    marker = tmp_path / "child-wrote"
    child_code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from storage.db import Database\n"
        f"db = Database('sqlite:///{tmp_path / 'turns.db'}')\n"
        "with db.transaction():\n"
        f"    Path({str(marker)!r}).write_text('yes')\n"
        "db.dispose()\n"
    )
    with db.transaction():
        child = subprocess.Popen([sys.executable, "-c", child_code])
        time.sleep(1.0)
        assert not marker.exists(), "the other process wrote while this one held the lock"
    assert child.wait(timeout=30) == 0
    assert marker.read_text() == "yes"
    db.dispose()
