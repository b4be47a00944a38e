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
import signal
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from casework_data import make_staff
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stack import Stack, running
from test_watch_kill import _next_day, _started, deadlines_now

from storage import care_net, deadlines, routing
from storage import supporters as supporter_store
from storage.db import Database
from storage.models import CheckinRound, OutboxMessage, OutboxMulticast, Resident, Ticket
from storage.sample_town import load_town
from storage.supporters import Registration
from storage.watch import enrolments, linking, schedules
from storage.watch.schedules import Schedule

pytestmark = pytest.mark.slow

RESIDENTS = 40
NEIGHBOURS = 2
DAYS = 2
CHECKIN = "お元気ですか？\n下のボタン"
REMINDER = "もう一度お送りしました"
NOTICE = "ご家族と見守りの担当者にお知らせしました"
ALERT = "お返事がありません"
ASK = "お宅の様子を見ていただけますか"


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
            enrolment = enrolments.enrol(session, resident, Schedule(time_of_day="09:00"), now)
            link = linking.request_link(
                session, linking.new_invitation(session, enrolment, now), family, now
            )
            linking.confirm_link(link, now)
            for k in range(NEIGHBOURS):
                user = people["neighbours"][n * NEIGHBOURS + k]
                supporter = supporter_store.register(
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
                supporter_store.approve(session, supporter, staff, now)
                care_net.link(session, enrolment.id, supporter, staff, now, consent=True)
            # Due in a moment rather than at 9:00; the next one falls on the next 9:00.
            deadlines.schedule(
                session,
                kind=schedules.ROUND,
                subject_id=enrolment.id,
                due_at=now + timedelta(seconds=2),
                key=schedules.round_key(enrolment.id),
                now=now,
            )


def _resident(session: Session, user: str, now: datetime) -> Resident:
    person = Resident(line_user_id=user, following=True, created_at=now)
    session.add(person)
    session.flush()
    return person


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


def test_sigkilled_workers_ask_every_neighbour_exactly_once_per_escalation(
    db_url: str, tmp_path: Path
) -> None:
    rng = random.Random(13)
    with running(db_url, worker=False) as stack:
        people = _people(stack)
        db = stack.db
        _enrol(db, people)
        stack.control("POST", "/faults", seed=17, error_rate=0.15, rate_limit_rate=0.1)
        env = stack.process_env(
            tmp_path,
            MADOGUCHI_CHECKIN_REMIND_AFTER="1s",
            MADOGUCHI_CHECKIN_ESCALATE_AFTER="1s",
            MADOGUCHI_OUTBOX_LEASE="2s",
            MADOGUCHI_CARE_NET="beside",
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
        for neighbour in people["neighbours"]:
            assert _delivered(stack, neighbour) == {ASK: DAYS}, neighbour
        for family in people["families"]:
            assert _delivered(stack, family) == {ALERT: DAYS}, family
        for resident in people["residents"]:
            counts = _delivered(stack, resident)
            assert counts == {CHECKIN: DAYS, REMINDER: DAYS, NOTICE: DAYS}, (resident, counts)
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Ticket)) == RESIDENTS * DAYS


def _delivered(stack: Stack, user: str) -> dict[str, int]:
    """How many times each kind of watch-over message reached this person."""
    counts: Counter[str] = Counter()
    for text in stack.bot_texts(user):
        for marker in (CHECKIN, REMINDER, NOTICE, ALERT, ASK):
            if marker in text:
                counts[marker] += 1
    return dict(counts)
