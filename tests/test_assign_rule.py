"""Assigning a ticket to a named colleague (issue #16): only to someone active in the ticket's
team, enforced in storage (casework.assign) even when the colleague changed after the caller
read them, and refused in the console with words that say what to do. On SQLite and
PostgreSQL (the `db` fixture); the API's 422 is in tests/test_api.py."""

from __future__ import annotations

import re

import pytest
from casework_data import NOW, Office, make_office, make_ticket, staff, ticket
from console_client import Browser, console_app, give_password
from flask import Flask
from sqlalchemy import delete, select, update

from storage import casework
from storage.db import Database
from storage.models import AuditEntry, Staff
from storage.models.staff import staff_teams
from storage.refusals import Conflict, Refused


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def _open(db: Database, office: Office) -> str:
    with db.transaction() as session:
        return make_ticket(session, office.teams["marugoto"]).reference


def _assignments(db: Database) -> int:
    with db.transaction() as session:
        return len(session.scalars(select(AuditEntry).where(AuditEntry.action == "assign")).all())


@pytest.mark.parametrize("change", ["left the team", "deactivated"])
def test_a_colleague_who_changed_after_being_read_is_refused_by_the_update_itself(
    db: Database, office: Office, change: str
) -> None:
    """The caller's copy of the colleague still says "active member"; the database no longer
    does. The conditional UPDATE's own guard refuses it, naming the colleague, not the ticket."""
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert baba.active and [team.id for team in baba.teams] == [office.teams["marugoto"]]
        # Changed behind the loaded objects' back, as another request would.
        if change == "left the team":
            session.execute(delete(staff_teams).where(staff_teams.c.staff_id == baba.id))
        else:
            session.execute(
                update(Staff)
                .where(Staff.id == baba.id)
                .values(active=False)
                .execution_options(synchronize_session=False)
            )
        with pytest.raises(Refused) as refused:
            casework.assign(session, aoki, found, baba, "地区の担当", NOW)
        assert not isinstance(refused.value, Conflict)
        assert refused.value.field == "assignee" and "baba" in str(refused.value)
        assert found.assignee_id is None and found.status == "new"
    assert _assignments(db) == 0


def test_a_ticket_taken_meanwhile_is_still_a_conflict(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert casework.claim(session, baba, found, NOW)
        with pytest.raises(Conflict):
            casework.assign(session, aoki, found, aoki, "私が", NOW, held_by=None)


def test_the_console_refuses_a_colleague_who_left_or_was_deactivated(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    app: Flask = console_app(db, NOW)
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, office.staff["aoki"])).status_code == 302
    baba = office.staff["baba"]
    with db.transaction() as session:
        staff(session, baba).active = False
    page = browser.get(f"/console/tickets/{reference}").text
    picker = re.search(r'<select name="assignee" id="assign-to">(.*?)</select>', page, re.S)
    assert picker is not None
    assert re.findall(r">([^<]+)</option>", picker.group(1)) == ["aoki"], "baba is not offered"
    refused = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": baba, "reason": "地区の担当", "held_by": ""},
        )
    )
    assert "このチケットのチームの職員を選んでください" in refused.text
    with db.transaction() as session:
        moved = staff(session, baba)
        moved.active = True
        moved.teams = []
    refused = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": baba, "reason": "地区の担当", "held_by": ""},
        )
    )
    assert "このチケットのチームの職員を選んでください" in refused.text
    with db.transaction() as session:
        assert ticket(session, reference).assignee_id is None
    assert _assignments(db) == 0
