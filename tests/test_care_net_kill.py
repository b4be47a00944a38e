"""The ケアネット step in check-in rounds that all escalate, while the worker is SIGKILLed at
random moments and the simulated LINE fails sends with 5xx and 429: afterwards the
simulator's own record shows every neighbour asked once per round, and everyone else's
messages delivered once, as tests/test_watch_kill.py shows for the rounds without neighbours.

40 residents, each with one family member and two neighbours (MADOGUCHI_CARE_NET=beside, the
default: neighbours are asked in the escalation's transaction), go through two days without
answering.
"""

from __future__ import annotations

import random
from datetime import datetime
from pathlib import Path

import pytest
from casework_data import make_staff
from kill_harness import (
    ALERT,
    ASK,
    CHECKIN,
    NOTICE,
    REMINDER,
    deadlines_now,
    delivered,
    due_soon,
    enrolled_with_family,
    faulty_days,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stack import Stack, running

from storage import care_net, routing, supporters
from storage.db import Database
from storage.models import Resident, Ticket
from storage.sample_town import load_town
from storage.supporters import Registration

pytestmark = pytest.mark.slow

RESIDENTS = 40
NEIGHBOURS = 2
DAYS = 2


def _people(stack: Stack) -> dict[str, list[str]]:
    """Personas who follow the account; their follow events never reach the bot (not needed)."""
    stack.control("POST", "/config", webhookUrl="http://127.0.0.1:9/nowhere", quota=None)
    people: dict[str, list[str]] = {"residents": [], "families": [], "neighbours": []}
    for n in range(RESIDENTS):
        names = [("residents", f"住民{n}"), ("families", f"家族{n}")]
        names += [("neighbours", f"近所{n}-{k}") for k in range(NEIGHBOURS)]
        for group, name in names:
            user = stack.persona(name)
            stack.http.post(f"{stack.sim_url}/simulator/control/users/{user}/follow", timeout=10)
            people[group].append(user)
    return people


def _enrol(db: Database, people: dict[str, list[str]]) -> None:
    now = deadlines_now(db)
    with db.transaction() as session:
        load_town(session)
        staff = make_staff(session, "mimura", [routing.WATCH_TEAM])
        for n in range(RESIDENTS):
            resident, family = (
                _resident(session, people[group][n], now) for group in ("residents", "families")
            )
            enrolment = enrolled_with_family(session, resident, family, now)
            for k in range(NEIGHBOURS):
                user = people["neighbours"][n * NEIGHBOURS + k]
                supporter = supporters.register(
                    session,
                    _resident(session, user, now),
                    Registration(
                        kinds=["rubbish"],
                        district_id=None,
                        weekdays=[0],
                        time_bands=["morning"],
                        first_name=f"近所{n}-{k}",
                        phone="090-0000-0000",
                    ),
                    now,
                )
                supporters.approve(session, supporter, staff, now)
                care_net.link(session, enrolment.id, supporter, staff, now, consent=True)
            due_soon(session, enrolment.id, now)


def _resident(session: Session, user: str, now: datetime) -> Resident:
    person = Resident(line_user_id=user, following=True, created_at=now)
    session.add(person)
    session.flush()
    return person


def test_sigkilled_workers_ask_every_neighbour_exactly_once_per_escalation(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(13)
    with running(db_url, worker=False) as stack:
        people = _people(stack)
        db = stack.db
        _enrol(db, people)
        kills = faulty_days(stack, tmp_path, rng, 17, RESIDENTS, DAYS, MADOGUCHI_CARE_NET="beside")

        assert kills >= DAYS * 3, "too few kills to prove anything"
        for neighbour in people["neighbours"]:
            assert delivered(stack, neighbour) == {ASK: DAYS}, neighbour
        for family in people["families"]:
            assert delivered(stack, family) == {ALERT: DAYS}, family
        for resident in people["residents"]:
            counts = delivered(stack, resident)
            assert counts == {CHECKIN: DAYS, REMINDER: DAYS, NOTICE: DAYS}, (resident, counts)
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == RESIDENTS * DAYS
