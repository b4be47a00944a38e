"""200 check-in rounds that all escalate, while the worker is SIGKILLed at random moments and
the simulated LINE fails sends with 5xx and 429: afterwards the simulator's own record shows
every check-in, reminder and family alert delivered once and only once.

100 residents with one family member each go through two days: nobody answers, so each
round is sent, reminded and escalated. Between the days the shared clock (in the database)
jumps to the next check-in, which the worker processes pick up as they start.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest
from kill_harness import (
    ALERT,
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
from stack import Stack, running

from storage.db import Database
from storage.models import (
    CheckinRound,
    Resident,
    Ticket,
)
from storage.sample_town import load_town

pytestmark = pytest.mark.slow

RESIDENTS = 100
DAYS = 2


def _people(stack: Stack) -> tuple[list[str], list[str]]:
    """Personas who follow the account; their follow events never reach the bot (not needed)."""
    stack.control("POST", "/config", webhookUrl="http://127.0.0.1:9/nowhere", quota=None)
    residents, families = [], []
    for n in range(RESIDENTS):
        for group, prefix in ((residents, "住民"), (families, "家族")):
            user = stack.persona(f"{prefix}{n}")
            stack.http.post(f"{stack.sim_url}/simulator/control/users/{user}/follow", timeout=10)
            group.append(user)
    return residents, families


def _enrol(db: Database, residents: list[str], families: list[str]) -> None:
    now = deadlines_now(db)
    with db.transaction() as session:
        load_town(session)
        for resident_id, family_id in zip(residents, families, strict=True):
            resident = Resident(line_user_id=resident_id, following=True, created_at=now)
            family = Resident(line_user_id=family_id, following=True, created_at=now)
            session.add_all([resident, family])
            session.flush()
            enrolment = enrolled_with_family(session, resident, family, now)
            due_soon(session, enrolment.id, now)


def test_sigkilled_workers_and_a_failing_line_deliver_every_escalation_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    with running(db_url, worker=False) as stack:
        residents, families = _people(stack)
        db = stack.db
        _enrol(db, residents, families)
        kills = faulty_days(stack, tmp_path, rng, 11, RESIDENTS, DAYS)

        assert kills >= DAYS * 3, "too few kills to prove anything"
        faults = Counter(r["status"] for r in stack.api_requests() if r.get("fault"))
        assert faults[500] and faults[429], f"the simulator injected too few failures: {faults}"
        for resident in residents:
            counts = delivered(stack, resident)
            assert counts == {CHECKIN: DAYS, REMINDER: DAYS, NOTICE: DAYS}, (resident, counts)
        for family in families:
            assert delivered(stack, family) == {ALERT: DAYS}, family
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == RESIDENTS * DAYS
            assert session.scalar(select(func.count()).select_from(CheckinRound)) == (
                RESIDENTS * DAYS
            )
