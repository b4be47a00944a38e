"""The 生活応援隊 coordinator's console: the fixtures `office` and `app` of the test modules that
import them, and API tokens.

    from coordinating_console import coordinating_app, coordinating_office  # noqa: F401

pytest finds the fixtures by those names; ruff sees the imports unused, hence the noqa."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import NOW, Office, make_office, make_staff
from console_client import console_app
from flask import Flask

from storage import staff_accounts, supporters
from storage.db import Database
from storage.models import Staff


@pytest.fixture(name="office")
def coordinating_office(db: Database) -> Office:
    """The sample office, and tanaka, who works in the team that coordinates the supporters."""
    found = make_office(db)
    with db.transaction() as session:
        tanaka = make_staff(session, "tanaka", [supporters.COORDINATING_TEAM])
    return Office(teams=found.teams, staff={**found.staff, "tanaka": tanaka.id})


@pytest.fixture(name="app")
def coordinating_app(db: Database, office: Office) -> Flask:
    """The whole app on that office, its clock a minute after NOW."""
    return console_app(db, NOW + timedelta(minutes=1))


def tokens(db: Database, office: Office) -> dict[str, str]:
    """API tokens for aoki (not of the coordinating team) and tanaka (of it)."""
    with db.transaction() as session:
        return {
            who: staff_accounts.issue_token(session, session.get_one(Staff, office.staff[who]), NOW)
            for who in ("aoki", "tanaka")
        }
