"""Fixtures: a migrated database on SQLite and on PostgreSQL, a clock, handy event builders."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from bot.clock import Clock
from bot.settings import Settings
from storage import migrate
from storage.db import Database
from storage.models import Base

POSTGRES_ADMIN_URL = os.environ.get(
    "MADOGUCHI_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI") == "true"


def _postgres_available() -> bool:
    try:
        engine = sa.create_engine(POSTGRES_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test run, dropped at the end."""
    if not _postgres_available():
        if IN_CI:
            pytest.fail(
                f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}; CI must run these tests"
            )
        pytest.skip("PostgreSQL is not reachable (set CI=true to make this a failure)")
    name = f"madoguchi_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)
    migrate.upgrade(url)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def _truncate(database: Database) -> None:
    with database.transaction() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """The URL of an empty, migrated database: each storage test runs on both engines."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'madoguchi.db'}"
        migrate.upgrade(url)
        return url
    url = request.getfixturevalue("postgres_url")
    database = Database(url)
    _truncate(database)
    database.dispose()
    return url


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(tmp_path: Any) -> Iterator[Database]:
    """SQLite only, for tests of behaviour that does not depend on the engine."""
    url = f"sqlite:///{tmp_path / 'madoguchi.db'}"
    migrate.upgrade(url)
    database = Database(url)
    yield database
    database.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        channel_secret="test-secret",
        channel_access_token="test-token",
        database_url=db_url,
        conversation_idle=timedelta(minutes=30),
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for a test module's browser tests (tests/chromium.py)."""
    import chromium

    with chromium.launched() as launched:
        yield launched
