"""Staff accounts: `madoguchi staff create` and `staff token`, passwords, tokens, the demo login."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import NOW
from click.testing import CliRunner
from sqlalchemy import select

from bot.app import create_app
from bot.cli import main
from bot.clock import Clock
from bot.settings import Settings
from bot.staff_cli import demo_login
from storage import staff_accounts
from storage.db import Database
from storage.models import ApiToken, Staff
from storage.sample_town import load_town

PASSWORD = "correct horse battery"


def _cli(db_url: str, args: list[str], given: str = "") -> object:
    return CliRunner().invoke(main, args, input=given, env={"DATABASE_URL": db_url})


def _create(db_url: str, *extra: str, email: str = "kanri@example.org") -> object:
    role = [] if "--role" in extra else ["--role", "admin"]
    args = ["staff", "create", "--email", email, "--name", "管理 花子", *role, *extra]
    return _cli(db_url, args, f"{PASSWORD}\n{PASSWORD}\n")


def test_create_makes_the_first_admin_with_a_hashed_password(db_url: str, db: Database) -> None:
    result = _create(db_url, "--role", "admin")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "created admin kanri@example.org" in result.output  # type: ignore[attr-defined]
    # The password was asked for, hidden, twice; it is not echoed.
    assert PASSWORD not in result.output  # type: ignore[attr-defined]
    with db.transaction() as session:
        admin = staff_accounts.find_by_email(session, "KANRI@example.org ")
        assert admin is not None and admin.role == "admin" and admin.name == "管理 花子"
        assert admin.password_hash.startswith("$argon2id$")
        assert staff_accounts.authenticate(session, "kanri@example.org", PASSWORD, NOW) is admin
        assert staff_accounts.authenticate(session, "kanri@example.org", "wrong", NOW) is None
        assert admin.last_login_at == NOW


def test_create_puts_staff_in_their_teams(db_url: str, db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
    result = _create(db_url, "--role", "staff", "--teams", "marugoto, kourei")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    with db.transaction() as session:
        staff = staff_accounts.find_by_email(session, "kanri@example.org")
        assert staff is not None
        assert sorted(team.slug for team in staff.teams) == ["kourei", "marugoto"]
    listed = _cli(db_url, ["staff", "list"])
    assert "kanri@example.org\tstaff\tmarugoto,kourei\tactive" in listed.output  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "given", "complaint"),
    [
        (["--teams", "nosuchteam"], f"{PASSWORD}\n{PASSWORD}\n", "There is no team nosuchteam."),
        ([], "short\nshort\n", "at least 10 characters"),
        (["--role", "boss"], f"{PASSWORD}\n{PASSWORD}\n", "'boss' is not one of"),
        ([], f"{PASSWORD}\nsomething else\n", "Aborted"),
    ],
)
def test_create_refuses_bad_input_with_a_reason(
    db_url: str, db: Database, extra: list[str], given: str, complaint: str
) -> None:
    role = [] if "--role" in extra else ["--role", "staff"]
    args = ["staff", "create", "--email", "a@example.org", "--name", "A", *role, *extra]
    result = _cli(db_url, args, given)
    assert result.exit_code != 0  # type: ignore[attr-defined]
    assert complaint in result.output  # type: ignore[attr-defined]
    with db.transaction() as session:
        assert session.scalars(select(Staff)).all() == []


def test_an_email_is_one_account(db_url: str, db: Database) -> None:
    assert _create(db_url).exit_code == 0  # type: ignore[attr-defined]
    again = _create(db_url, email="Kanri@Example.org")
    assert again.exit_code == 1  # type: ignore[attr-defined]
    assert "already exists" in again.output  # type: ignore[attr-defined]


def test_token_prints_a_token_the_api_accepts(
    db_url: str, db: Database, settings: Settings
) -> None:
    assert _create(db_url).exit_code == 0  # type: ignore[attr-defined]
    result = _cli(db_url, ["staff", "token", "kanri@example.org"])
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    token = result.output.strip()  # type: ignore[attr-defined]
    assert token.startswith("mdg_") and len(token) > 40
    with db.transaction() as session:
        # Only its hash is stored.
        stored = session.scalars(select(ApiToken.token_hash)).one()
        assert token not in stored
    client = create_app(settings, db=db, clock=Clock()).test_client()
    answer = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    revoked = _cli(db_url, ["staff", "revoke-tokens", "kanri@example.org"])
    assert "1 tokens revoked" in revoked.output  # type: ignore[attr-defined]
    answer = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_no_token_for_an_unknown_or_inactive_account(db_url: str, db: Database) -> None:
    result = _cli(db_url, ["staff", "token", "nobody@example.org"])
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "no active account" in result.output  # type: ignore[attr-defined]


def test_the_demo_login_works_and_changes_at_each_start(db: Database) -> None:
    clock = Clock()
    first = demo_login(db, clock)
    assert first is not None and first[0] == staff_accounts.DEMO_ADMIN
    second = demo_login(db, clock)
    assert second is not None and second[1] != first[1]
    with db.transaction() as session:
        assert staff_accounts.authenticate(session, first[0], first[1], NOW) is None
        admin = staff_accounts.authenticate(session, second[0], second[1], NOW)
        assert admin is not None and admin.role == "admin"
        admin.active = False
    assert demo_login(db, clock) is None


def test_passwords_and_tokens(db: Database) -> None:
    hashed = staff_accounts.hash_password("pässwörd with ユニコード")
    assert staff_accounts.verify_password(hashed, "pässwörd with ユニコード")
    assert not staff_accounts.verify_password(hashed, "pässwörd with ユニコード ")
    assert not staff_accounts.verify_password("", "")
    assert not staff_accounts.verify_password("not a hash", "x")
    assert hashed != staff_accounts.hash_password("pässwörd with ユニコード")  # salted
    with db.transaction() as session:
        staff = staff_accounts.create_staff(
            session,
            email="t@example.org",
            name="T",
            password=PASSWORD,
            role="staff",
            team_slugs=[],
            now=NOW,
        )
        token = staff_accounts.issue_token(session, staff, NOW)
        assert staff_accounts.staff_for_token(session, token, NOW) is staff
        assert staff_accounts.staff_for_token(session, token + "x", NOW) is None
        assert staff_accounts.staff_for_token(session, "", NOW) is None
        row = session.scalars(select(ApiToken)).one()
        assert row.last_used_at == NOW
        # Used again within the minute: no write for it.
        staff_accounts.staff_for_token(session, token, NOW + timedelta(seconds=30))
        assert row.last_used_at == NOW


def test_create_asks_for_everything_it_is_not_given(db_url: str, db: Database) -> None:
    answers = f"first@example.org\n最初の管理者\n\n{PASSWORD}\n{PASSWORD}\n"
    result = _cli(db_url, ["staff", "create"], answers)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    with db.transaction() as session:
        admin = staff_accounts.find_by_email(session, "first@example.org")
        assert admin is not None and admin.role == "admin"
