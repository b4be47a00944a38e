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
from stack import Stack

from storage import deadlines
from storage.db import Database
from storage.models import CheckinRound, Deadline, OutboxMessage, OutboxMulticast
from storage.watch import schedules

# What each watch-over message says, to count them in the simulator's record.
CHECKIN = "お元気ですか？\n下のボタン"
REMINDER = "もう一度お送りしました"
NOTICE = "ご家族と見守りの担当者にお知らせしました"
ALERT = "お返事がありません"
ASK = "お宅の様子を見ていただけますか"
# Each day, this long for every round to escalate and every message to go out.
DAY_BUDGET_S = 120


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
        while time.monotonic() < deadline:
            escalated, pending = state(db)
            if escalated == residents * day and pending == 0:
                break
            worker = started(env, log)
            # A random moment once it is working: mid-sweep, mid-send, between the two.
            time.sleep(rng.uniform(0.2, 3.0))
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            kills += 1
        else:
            pytest.fail(f"day {day} did not finish: {state(db)}; see {log}")
        if day < days:
            next_day(db)
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
