"""`madoguchi staff …`: console accounts and API tokens from the command line.

`staff create` makes the first admin (and any account later); `staff token EMAIL` prints a new
API token for /api/v1, shown this once. Passwords are prompted, hidden, twice, so they stay
out of shell history and process lists (`--password` exists for scripts that must).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.clock import Clock
from bot.settings import Settings
from storage import migrate, staff_accounts
from storage.db import Database
from storage.models import Staff
from storage.refusals import Refused


@click.group("staff")
def staff_group() -> None:
    """Console accounts and API tokens."""


@staff_group.command("create")
@click.option("--email", prompt=True, help="Sign-in address.")
@click.option("--name", prompt=True, help="Name shown to colleagues.")
@click.option(
    "--role",
    type=click.Choice(staff_accounts.ROLES),
    default="admin",
    show_default=True,
    prompt=True,
    help="admin: everything; supervisor: their teams and reports; staff: their teams.",
)
@click.option(
    "--teams",
    default="",
    help="Team slugs, comma-separated (e.g. marugoto,kourei); admins see every team anyway.",
)
@click.password_option(help="Prompted (hidden, twice) when not given.")
def create(email: str, name: str, role: str, teams: str, password: str) -> None:
    """Make a console account (the first one: an admin)."""
    with _transaction(migrate_first=True) as (session, clock):
        try:
            staff = staff_accounts.create_staff(
                session,
                email=email,
                name=name,
                password=password,
                role=role,
                team_slugs=teams.split(","),
                now=clock.now(),
            )
        except Refused as refused:
            raise click.ClickException(str(refused)) from refused
        click.echo(f"created {staff.role} {staff.email}")


@staff_group.command("token")
@click.argument("email")
def token(email: str) -> None:
    """Print a new API token for EMAIL (shown once; keep it like a password)."""
    with _transaction() as (session, clock):
        staff = _active(session, email)
        click.echo(staff_accounts.issue_token(session, staff, clock.now()))


@staff_group.command("revoke-tokens")
@click.argument("email")
def revoke_tokens(email: str) -> None:
    """Revoke every API token of EMAIL."""
    with _transaction() as (session, clock):
        count = staff_accounts.revoke_tokens(session, _active(session, email), clock.now())
    click.echo(f"{count} tokens revoked")


@staff_group.command("list")
def list_staff() -> None:
    """Every account: email, role, teams, whether active."""
    with _transaction() as (session, _clock):
        accounts = session.scalars(
            select(Staff).options(selectinload(Staff.teams)).order_by(Staff.id)
        ).all()
        for staff in accounts:
            teams = ",".join(team.slug for team in staff.teams) or "-"
            state = "active" if staff.active else "inactive"
            click.echo(f"{staff.email}\t{staff.role}\t{teams}\t{state}")
        click.echo(f"{len(accounts)} accounts")


def demo_login(db: Database, clock: Clock) -> tuple[str, str] | None:
    """Simulator mode: the demo admin's email and a fresh password, for `serve` to print."""
    with db.transaction() as session:
        return staff_accounts.ensure_demo_admin(session, clock.now())


def _active(session: Session, email: str) -> Staff:
    staff = staff_accounts.find_by_email(session, email)
    if staff is None or not staff.active:
        raise click.ClickException(f"no active account for {email}")
    return staff


@contextmanager
def _transaction(migrate_first: bool = False) -> Iterator[tuple[Session, Clock]]:
    settings = Settings.from_env()
    if migrate_first:
        migrate.upgrade(settings.database_url)
    database = Database(settings.database_url)
    try:
        with database.transaction() as session:
            yield session, Clock()
    finally:
        database.dispose()
