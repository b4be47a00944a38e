"""A small office for casework tests: the sample town's teams, a few staff, tickets on demand."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import deadlines, tickets
from storage.db import Database
from storage.models import Base, Resident, Staff, Team, Ticket
from storage.sample_town import load_town
from storage.watch import enrolments, linking, schedules
from storage.watch.schedules import Schedule

# Tuesday 1 December 2026, 09:30 in Tokyo: the teams are open.
NOW = datetime(2026, 12, 1, 0, 30, tzinfo=UTC)
# Argon2 is slow on purpose; tests that do not sign in skip it with a hash nothing matches.
NO_PASSWORD = "!"
_users = itertools.count(1)
Row = TypeVar("Row", bound=Base)


@dataclass(frozen=True)
class Office:
    """Ids of the teams (by slug) and staff (by short name) the tests use."""

    teams: dict[str, int]
    staff: dict[str, int]


def make_staff(
    session: Session,
    name: str,
    team_slugs: list[str],
    *,
    role: str = "staff",
    available: bool = False,
    line_user_id: str | None = None,
) -> Staff:
    teams = list(session.scalars(select(Team).where(Team.slug.in_(team_slugs))))
    staff = Staff(
        email=f"{name}@example.org",
        name=name,
        password_hash=NO_PASSWORD,
        role=role,
        active=True,
        available=available,
        line_user_id=line_user_id,
        created_at=NOW,
        teams=teams,
    )
    session.add(staff)
    session.flush()
    return staff


def make_office(db: Database) -> Office:
    """The sample town, and: aoki and baba in 福祉まるごと相談, chiba in 高齢・介護, an admin."""
    with db.transaction() as session:
        load_town(session)
        staff = {
            "aoki": make_staff(session, "aoki", ["marugoto"]),
            "baba": make_staff(session, "baba", ["marugoto"]),
            "chiba": make_staff(session, "chiba", ["kourei"]),
            "boss": make_staff(session, "boss", [], role="admin"),
        }
        teams = {team.slug: team.id for team in session.scalars(select(Team))}
        return Office(teams=teams, staff={name: s.id for name, s in staff.items()})


def make_resident(session: Session, name: str = "山田 花子", *, following: bool = True) -> Resident:
    resident = Resident(
        line_user_id=f"U{next(_users):032x}",
        display_name=name,
        language="ja",
        following=following,
        created_at=NOW,
    )
    session.add(resident)
    session.flush()
    return resident


def make_ticket(
    session: Session,
    team_id: int,
    *,
    urgency: str = "soon",
    resident: Resident | None = None,
    categories: tuple[str, ...] = ("elderly",),
    due_in: timedelta | None = timedelta(hours=8),
    kind: str = "consultation",
    now: datetime = NOW,
) -> Ticket:
    team = session.get(Team, team_id)
    assert team is not None
    return tickets.open_ticket(
        session,
        resident=resident or make_resident(session),
        kind=kind,
        team=team,
        now=now,
        urgency=urgency,
        categories=categories,
        sla_due_at=None if due_in is None else now + due_in,
    )


def staff(session: Session, staff_id: int) -> Staff:
    found = session.get(Staff, staff_id)
    assert found is not None
    return found


def ticket(session: Session, reference: str) -> Ticket:
    found = session.scalar(select(Ticket).where(Ticket.reference == reference))
    assert found is not None
    return found


def stored(db: Database, model: type[Row]) -> list[Row]:
    """Every row of `model` in the order they were made, to read after the session has ended."""
    table: Any = model
    with db.transaction() as session:
        found = list(session.scalars(select(model).order_by(table.id)))
        session.expunge_all()
        return found


def enrolled(db: Database, name: str, family_name: str) -> tuple[int, str]:
    """A resident enrolled with one family member; their check-in is due now."""
    with db.transaction() as session:
        resident = make_resident(session, name)
        family = make_resident(session, family_name)
        enrolment = enrolments.enrol(session, resident, Schedule(), NOW)
        link = linking.request_link(
            session, linking.new_invitation(session, enrolment, NOW), family, NOW
        )
        linking.confirm_link(link, NOW)
        deadlines.schedule(
            session,
            kind=schedules.ROUND,
            subject_id=enrolment.id,
            due_at=NOW - timedelta(minutes=5),
            key=schedules.round_key(enrolment.id),
            now=NOW,
        )
        return enrolment.id, family.line_user_id
