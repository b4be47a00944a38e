"""The schema: migrations build exactly what the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

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
