"""Deadlines and the shared clock, on SQLite and PostgreSQL: every due step fires exactly once,
in order, whatever fails, crashes or jumps meanwhile."""

from __future__ import annotations

import itertools
import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.scheduler import Scheduler, sweep_interval
from storage import deadlines
from storage.db import Database
from storage.models import Deadline


def plan(db: Database, clock: Clock, *items: tuple[str, timedelta]) -> None:
    """Schedule `key` at now + offset for each item, kind "test"."""
    with db.transaction() as session:
        for number, (key, offset) in enumerate(items):
            deadlines.schedule(
                session,
                kind="test",
                subject_id=number,
                due_at=clock.now() + offset,
                key=key,
                now=clock.now(),
            )


def rows(db: Database) -> dict[str, Deadline]:
    with db.transaction() as session:
        return {row.key: row for row in session.scalars(select(Deadline))}


class Recorder:
    """A deadline handler that remembers what it fired, and can be told to fail."""

    def __init__(self) -> None:
        self.fired: list[str] = []
        self.fail_on: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, session: Session, batch: list[Deadline], now: datetime) -> None:
        for deadline in batch:
            if deadline.key in self.fail_on:
                raise RuntimeError("handler bug")
        with self.lock:
            self.fired.extend(deadline.key for deadline in batch)


def test_scheduling_a_key_twice_keeps_one_row_and_rearms_a_cancelled_one(
    db: Database, clock: Clock
) -> None:
    plan(db, clock, ("a", timedelta(hours=1)), ("a", timedelta(hours=2)))
    assert len(rows(db)) == 1
    assert rows(db)["a"].due_at == pytest.approx(
        clock.now() + timedelta(hours=2), abs=timedelta(seconds=5)
    )
    with db.transaction() as session:
        deadlines.cancel(session, "a")
    assert rows(db)["a"].status == "cancelled"
    plan(db, clock, ("a", timedelta(hours=3)))
    assert rows(db)["a"].status == "pending"


def test_only_due_rows_are_claimed_earliest_first(db: Database, clock: Clock) -> None:
    plan(
        db,
        clock,
        ("later", timedelta(seconds=-1)),
        ("earlier", timedelta(seconds=-5)),
        ("future", timedelta(minutes=5)),
    )
    with db.transaction() as session:
        claimed = [row.key for row in deadlines.claim_due(session, clock.now())]
    assert claimed == ["earlier", "later"]


def test_a_sweep_fires_each_due_deadline_once(db: Database, clock: Clock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(db, clock, handlers={"test": recorder})
    plan(db, clock, ("a", timedelta(0)), ("b", timedelta(0)), ("c", timedelta(minutes=1)))
    scheduler.sweep()
    scheduler.sweep()
    assert recorder.fired == ["a", "b"]
    assert {key: row.status for key, row in rows(db).items()} == {
        "a": "fired",
        "b": "fired",
        "c": "pending",
    }


def test_a_kind_allowed_ahead_fires_early_after_everything_due_and_others_wait(
    db: Database, clock: Clock
) -> None:
    fired: list[tuple[str, str]] = []

    def record(session: Session, batch: list[deadlines.Due], now: datetime) -> None:
        fired.extend((deadline.kind, deadline.key) for deadline in batch)

    with db.transaction() as session:
        for number, (kind, key, offset) in enumerate(
            [
                ("early", "soon", 30),
                ("early", "too-far", 90),
                ("test", "not-early", 10),
                ("test", "overdue", -5),
            ]
        ):
            deadlines.schedule(
                session,
                kind=kind,
                subject_id=number,
                due_at=clock.now() + timedelta(seconds=offset),
                key=key,
                now=clock.now(),
            )
    scheduler = Scheduler(
        db,
        clock,
        handlers={"test": record, "early": record},
        ahead={"early": timedelta(minutes=1)},
    )
    assert scheduler.fire_deadlines() == 2
    assert fired == [("test", "overdue"), ("early", "soon")]
    assert {key: row.status for key, row in rows(db).items()} == {
        "soon": "fired",
        "too-far": "pending",
        "not-early": "pending",
        "overdue": "fired",
    }


def test_a_kind_handled_row_by_row_goes_a_few_to_a_transaction_in_due_order(
    db: Database, clock: Clock
) -> None:
    fired: dict[int, list[str]] = {}
    transactions = itertools.count()

    def record(session: Session, batch: list[deadlines.Due], now: datetime) -> None:
        transaction = session.info.setdefault("test.transaction", next(transactions))
        fired.setdefault(transaction, []).extend(deadline.key for deadline in batch)

    with db.transaction() as session:
        for number, key in enumerate(["a", "heavy1", "heavy2", "heavy3", "heavy4", "heavy5", "b"]):
            deadlines.schedule(
                session,
                kind="heavy" if key.startswith("heavy") else "test",
                subject_id=number,
                due_at=clock.now() - timedelta(seconds=10 - number),
                key=key,
                now=clock.now(),
            )
    scheduler = Scheduler(
        db, clock, handlers={"test": record, "heavy": record}, batch_sizes={"heavy": 2}
    )
    assert scheduler.fire_deadlines() == 7
    assert list(fired.values()) == [
        ["a", "heavy1", "heavy2"],
        ["heavy3", "heavy4"],
        ["heavy5", "b"],
    ]
    assert {row.status for row in rows(db).values()} == {"fired"}


def test_a_clock_jump_fires_every_overdue_step_once_in_order(db: Database, clock: Clock) -> None:
    recorder = Recorder()
    scheduler = Scheduler(db, clock, handlers={"test": recorder})
    plan(db, clock, *[(f"step{n}", timedelta(hours=n)) for n in range(1, 8)])
    clock.advance(timedelta(days=1))
    scheduler.sweep()
    scheduler.sweep()
    assert recorder.fired == [f"step{n}" for n in range(1, 8)]


def test_a_crash_before_commit_leaves_the_deadline_to_be_found_again(
    db: Database, clock: Clock
) -> None:
    plan(db, clock, ("a", timedelta(0)))

    class Killed(BaseException):
        """Stands for SIGKILL: nothing after it runs, nothing is committed."""

    def dies(session: Session, batch: list[Deadline], now: datetime) -> None:
        raise Killed

    with pytest.raises(Killed):
        Scheduler(db, clock, handlers={"test": dies}).sweep()
    assert rows(db)["a"].status == "pending"
    recorder = Recorder()
    Scheduler(db, clock, handlers={"test": recorder}).sweep()
    assert recorder.fired == ["a"]


def test_a_failing_deadline_backs_off_and_does_not_hold_up_the_others(
    db: Database, clock: Clock
) -> None:
    recorder = Recorder()
    recorder.fail_on = {"bad"}
    scheduler = Scheduler(db, clock, handlers={"test": recorder})
    plan(db, clock, ("good1", timedelta(0)), ("bad", timedelta(0)), ("good2", timedelta(0)))
    scheduler.sweep()
    assert recorder.fired == ["good1", "good2"]
    bad = rows(db)["bad"]
    assert (bad.status, bad.attempts, bad.last_error) == ("pending", 1, "RuntimeError")
    scheduler.sweep()
    assert recorder.fired == ["good1", "good2"], "retried before its backoff ran out"
    recorder.fail_on = set()
    clock.advance(timedelta(seconds=3))
    scheduler.sweep()
    assert recorder.fired == ["good1", "good2", "bad"]


def test_two_workers_sweeping_together_fire_each_deadline_once(db: Database, clock: Clock) -> None:
    recorder = Recorder()
    plan(db, clock, *[(f"d{n}", timedelta(seconds=-n)) for n in range(1200)])
    schedulers = [Scheduler(db, clock, handlers={"test": recorder}) for _ in range(3)]
    threads = [threading.Thread(target=s.fire_deadlines) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(recorder.fired) == sorted(f"d{n}" for n in range(1200))


def test_a_deadline_of_an_unknown_kind_waits_for_its_handler(db: Database, clock: Clock) -> None:
    with db.transaction() as session:
        deadlines.schedule(
            session, kind="sla.warn", subject_id=1, due_at=clock.now(), key="x", now=clock.now()
        )
    Scheduler(db, clock, handlers={}).sweep()
    assert (rows(db)["x"].status, rows(db)["x"].last_error) == ("pending", "LookupError")


def test_the_clock_offset_is_shared_through_the_database(db: Database) -> None:
    web, worker = Clock.shared(db, refresh=0.0), Clock.shared(db, refresh=0.0)
    before = worker.now()
    web.advance(timedelta(hours=3))
    assert worker.now() - before >= timedelta(hours=3)
    with pytest.raises(ValueError):
        worker.advance(timedelta(seconds=-1))


def test_reading_the_shared_clock_inside_a_write_transaction_does_not_wait(db: Database) -> None:
    clock = Clock.shared(db, refresh=0.0)
    clock.advance(timedelta(minutes=1))
    with db.transaction() as session:
        deadlines.schedule(
            session, kind="t", subject_id=1, due_at=clock.now(), key="k", now=clock.now()
        )
        assert clock.offset >= timedelta(minutes=1)


def test_the_sweep_runs_often_enough_for_the_shortest_wait() -> None:
    assert sweep_interval(timedelta(hours=3), timedelta(hours=3)) == timedelta(seconds=15)
    assert sweep_interval(timedelta(seconds=2), timedelta(seconds=5)) == timedelta(seconds=0.2)
    assert sweep_interval(timedelta(seconds=30), timedelta(minutes=1)) == timedelta(seconds=3)
