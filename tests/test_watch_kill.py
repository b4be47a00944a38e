"""200 check-in rounds that all escalate, while the worker is SIGKILLed at random moments and
the simulated LINE fails sends with 5xx and 429: afterwards the simulator's own record shows
every check-in, reminder and family alert delivered once and only once.

100 residents with one family member each go through two days: nobody answers, so each
round is sent, reminded and escalated. Between the days the shared clock (in the database)
jumps to the next check-in, which the worker processes pick up as they start.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from stack import Stack, running

from storage import deadlines
from storage.db import Database
from storage.models import (
    CheckinRound,
    Deadline,
    OutboxMessage,
    OutboxMulticast,
    Resident,
    Ticket,
)
from storage.sample_town import load_town
from storage.watch import enrolments, linking, schedules
from storage.watch.schedules import Schedule

pytestmark = pytest.mark.slow

RESIDENTS = 100
DAYS = 2
CHECKIN = "お元気ですか？\n下のボタン"
REMINDER = "もう一度お送りしました"
NOTICE = "ご家族と見守りの担当者にお知らせしました"
ALERT = "お返事がありません"


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    with log.open("a") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=env,
            text=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def _started(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """A worker that has finished starting (importing takes seconds on a busy machine)."""
    before = log.read_text().count("worker started") if log.exists() else 0
    worker = _worker(env, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and log.read_text().count("worker started") == before:
        time.sleep(0.05)
    return worker


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
            enrolment = enrolments.enrol(session, resident, Schedule(time_of_day="09:00"), now)
            link = linking.request_link(
                session, linking.new_invitation(session, enrolment, now), family, now
            )
            linking.confirm_link(link, now)
            # Due in a moment rather than at 9:00; the next one falls on the next 9:00.
            deadlines.schedule(
                session,
                kind=schedules.ROUND,
                subject_id=enrolment.id,
                due_at=now + timedelta(seconds=2),
                key=schedules.round_key(enrolment.id),
                now=now,
            )


def deadlines_now(db: Database) -> datetime:
    """The bot's time as the workers see it: real time plus the shared offset."""
    with db.transaction() as session:
        return datetime.now(UTC) + deadlines.clock_offset(session)


def _state(db: Database) -> tuple[int, int]:
    """Rounds escalated, and messages still waiting to go out."""
    with db.transaction() as session:
        escalated = session.scalar(
            select(func.count()).select_from(CheckinRound).where(CheckinRound.state == "escalated")
        )
        pending = session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        ) + session.scalar(
            select(func.count())
            .select_from(OutboxMulticast)
            .where(OutboxMulticast.status == "pending")
        )
    return escalated or 0, pending or 0


def _next_day(db: Database) -> None:
    """Jump the shared clock to the next check-in (every worker reads it from the database)."""
    with db.transaction() as session:
        due = session.scalar(
            select(func.min(Deadline.due_at)).where(Deadline.kind == schedules.ROUND)
        )
    now = deadlines_now(db)
    with db.transaction() as session:
        deadlines.advance_clock(session, due - now + timedelta(seconds=1))


def test_sigkilled_workers_and_a_failing_line_deliver_every_escalation_exactly_once(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(7)
    with running(db_url, worker=False) as stack:
        residents, families = _people(stack)
        db = stack.db
        _enrol(db, residents, families)
        stack.control("POST", "/faults", seed=11, error_rate=0.15, rate_limit_rate=0.1)
        env = stack.process_env(
            tmp_path,
            MADOGUCHI_CHECKIN_REMIND_AFTER="1s",
            MADOGUCHI_CHECKIN_ESCALATE_AFTER="1s",
            MADOGUCHI_OUTBOX_LEASE="2s",
        )
        log = tmp_path / "worker.log"
        kills = 0
        for day in range(1, DAYS + 1):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                escalated, pending = _state(db)
                if escalated == RESIDENTS * day and pending == 0:
                    break
                worker = _started(env, log)
                # A random moment once it is working: mid-sweep, mid-send, between the two.
                time.sleep(rng.uniform(0.2, 3.0))
                worker.send_signal(signal.SIGKILL)
                worker.wait(timeout=10)
                kills += 1
            else:
                pytest.fail(f"day {day} did not finish: {_state(db)}; see {log}")
            if day < DAYS:
                _next_day(db)
        stack.control("DELETE", "/faults")
        # A last, clean run: anything still leased by a killed worker goes out now, once.
        worker = _started(env, log)
        time.sleep(4.0)
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)

        assert kills >= DAYS * 3, "too few kills to prove anything"
        faults = Counter(r["status"] for r in stack.api_requests() if r.get("fault"))
        assert faults[500] and faults[429], f"the simulator injected too few failures: {faults}"
        for resident in residents:
            counts = _delivered(stack, resident)
            assert counts == {CHECKIN: DAYS, REMINDER: DAYS, NOTICE: DAYS}, (resident, counts)
        for family in families:
            assert _delivered(stack, family) == {ALERT: DAYS}, family
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == RESIDENTS * DAYS
            assert session.scalar(select(func.count()).select_from(CheckinRound)) == (
                RESIDENTS * DAYS
            )


def _delivered(stack: Stack, user: str) -> dict[str, int]:
    """How many times each kind of watch-over message reached this person."""
    counts: Counter[str] = Counter()
    for text in stack.bot_texts(user):
        for marker in (CHECKIN, REMINDER, NOTICE, ALERT):
            if marker in text:
                counts[marker] += 1
    return dict(counts)
