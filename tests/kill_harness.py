"""Check-in rounds that all escalate while `madoguchi worker` is SIGKILLed at random moments:
the workers, the shared clock, the loop of kills, and what the simulator says was delivered.
Used by tests/test_watch_kill.py and tests/test_care_net_kill.py."""

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
from sqlalchemy.orm import Session
from stack import Stack

from storage import deadlines
from storage.db import Database
from storage.models import (
    CheckinRound,
    Deadline,
    OutboxMessage,
    OutboxMulticast,
    Resident,
    WatchEnrolment,
)
from storage.watch import enrolments, linking, schedules
from storage.watch.schedules import Schedule

# What each watch-over message says, to count them in the simulator's record.
CHECKIN = "お元気ですか？\n下のボタン"
REMINDER = "もう一度お送りしました"
NOTICE = "ご家族と見守りの担当者にお知らせしました"
ALERT = "お返事がありません"
ASK = "お宅の様子を見ていただけますか"
# Each day, this long for every round to escalate and every message to go out.
DAY_BUDGET_S = 180


def enrolled_with_family(
    session: Session, resident: Resident, family: Resident, now: datetime
) -> WatchEnrolment:
    """The resident enrolled for a check-in at 9:00, the family member linked."""
    enrolment = enrolments.enrol(session, resident, Schedule(time_of_day="09:00"), now)
    link = linking.request_link(
        session, linking.new_invitation(session, enrolment, now), family, now
    )
    linking.confirm_link(link, now)
    return enrolment


def due_soon(session: Session, enrolment_id: int, now: datetime) -> None:
    """Its first round due in a moment rather than at 9:00; the next one falls on the next 9:00."""
    deadlines.schedule(
        session,
        kind=schedules.ROUND,
        subject_id=enrolment_id,
        due_at=now + timedelta(seconds=2),
        key=schedules.round_key(enrolment_id),
        now=now,
    )


def started(env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """A worker that has finished starting (importing takes seconds on a busy machine)."""
    before = log.read_text().count("worker started") if log.exists() else 0
    with log.open("a") as output:
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            env=env,
            text=True,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and log.read_text().count("worker started") == before:
        time.sleep(0.05)
    return worker


def deadlines_now(db: Database) -> datetime:
    """The bot's time as the workers see it: real time plus the shared offset."""
    with db.transaction() as session:
        return datetime.now(UTC) + deadlines.clock_offset(session)


def state(db: Database) -> tuple[int, int]:
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


def next_day(db: Database) -> None:
    """Jump the shared clock to the next check-in (every worker reads it from the database)."""
    with db.transaction() as session:
        due = session.scalar(
            select(func.min(Deadline.due_at)).where(Deadline.kind == schedules.ROUND)
        )
    now = deadlines_now(db)
    with db.transaction() as session:
        deadlines.advance_clock(session, due - now + timedelta(seconds=1))


def kill_through_days(
    db: Database, env: dict[str, str], log: Path, rng: random.Random, residents: int, days: int
) -> int:
    """Start workers and SIGKILL each at a random moment until every round of the day has
    escalated and nothing waits to go out, for `days` days. Returns how many were killed."""
    kills = 0
    for day in range(1, days + 1):
        deadline = time.monotonic() + DAY_BUDGET_S
        while True:
            # Read after every kill, the last one too: a day that finished in the worker
            # killed as the budget ran out has finished.
            escalated, pending = state(db)
            if escalated == residents * day and pending == 0:
                break
            if time.monotonic() >= deadline:
                pytest.fail(f"day {day} did not finish: {(escalated, pending)}; see {log}")
            worker = started(env, log)
            # A random moment once it is working: mid-sweep, mid-send, between the two.
            time.sleep(rng.uniform(0.2, 3.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            kills += 1
        if day < days:
            next_day(db)
    return kills


def faulty_days(
    stack: Stack,
    tmp_path: Path,
    rng: random.Random,
    seed: int,
    residents: int,
    days: int,
    **settings: str,
) -> int:
    """Rounds reminded and escalated a second apart, the simulated LINE failing sends with 5xx
    and 429 (seeded with `seed`) while workers are SIGKILLed through `days` days
    (`kill_through_days`); then the faults stop and a last worker has a clean run. `settings`
    are more of the workers' environment. Returns how many were killed."""
    stack.control("POST", "/faults", seed=seed, error_rate=0.15, rate_limit_rate=0.1)
    env = stack.process_env(
        tmp_path,
        MADOGUCHI_CHECKIN_REMIND_AFTER="1s",
        MADOGUCHI_CHECKIN_ESCALATE_AFTER="1s",
        MADOGUCHI_OUTBOX_LEASE="2s",
        **settings,
    )
    log = tmp_path / "worker.log"
    kills = kill_through_days(stack.db, env, log, rng, residents, days)
    stack.control("DELETE", "/faults")
    clean_run(env, log)
    return kills


def clean_run(env: dict[str, str], log: Path) -> None:
    """A last worker, stopped with SIGTERM: anything a killed one left leased goes out, once."""
    worker = started(env, log)
    time.sleep(4.0)
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=10)


def delivered(stack: Stack, user: str) -> dict[str, int]:
    """How many times each kind of watch-over message reached this person."""
    counts: Counter[str] = Counter()
    for text in stack.bot_texts(user):
        for marker in (CHECKIN, REMINDER, NOTICE, ALERT, ASK):
            if marker in text:
                counts[marker] += 1
    return dict(counts)
