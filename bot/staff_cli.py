"""`madoguchi staff …`: console accounts and API tokens from the command line; and
`madoguchi residents erase LINE_USER_ID`, a resident's data erased on request.

`staff create` makes the first admin (and any account later); `staff token EMAIL` prints a new
API token for /api/v1, shown this once; `staff reset-two-factor EMAIL` is for a lost phone when
no admin can sign in to the console to reset it there. Passwords are prompted, hidden, twice, so they stay
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
from locales import DEFAULT_LANGUAGE, gettext
from storage import erasure, migrate, staff_accounts
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


@staff_group.command("reset-two-factor")
@click.argument("email")
def reset_two_factor(email: str) -> None:
    """Remove EMAIL's authenticator and recovery codes (a lost phone); set up again at sign-in."""
    with _transaction() as (session, clock):
        staff = _active(session, email)
        staff_accounts.turn_off_two_factor(session, staff, clock.now())
    click.echo(f"two-factor reset for {email}")


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


@click.group("residents")
def residents_group() -> None:
    """Residents' data: erasing it on request."""


@residents_group.command("erase")
@click.argument("line_user_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def erase(line_user_id: str, yes: bool) -> None:
    """Erase everything of the resident LINE_USER_ID on their request (see README, "Retention").

    Their tickets stay, anonymous and closed; the audit log names the erasure by an opaque id.
    """
    with _transaction() as (session, clock):
        resident = erasure.find_resident(session, line_user_id)
        if resident is None:
            raise click.ClickException(f"no resident with the LINE user id {line_user_id}")
        if not yes:
            click.confirm("Erase this resident's data? This cannot be undone.", abort=True)
        done = erasure.erase_resident(
            session,
            resident,
            clock.now(),
            note=gettext(
                DEFAULT_LANGUAGE,
                "The resident's words and attachments in this ticket were erased at their request.",
            ),
        )
    click.echo(
        f"erased: erasure id {done.erasure_id}, {done.tickets} tickets made anonymous, "
        f"{done.outbox_rows} outbox rows and {done.family_links} family links removed"
    )


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
