"""The scheduler: a periodic sweep for work that is due by time rather than by an event.

Each sweep fires every due deadline (check-ins, reminders, escalations, pauses ending, 生活応援隊
offers nobody answered …): a batch is claimed and fired in one transaction with everything
its steps write, so a killed process finds the same rows again and never fires one twice
(storage/deadlines.py). A batch that fails is retried one deadline at a time, so one bad row
cannot hold up the others.

Once a minute it also forgets the answers of a flow a resident left once they can no longer
go on with it (with the outbox's copies of them). Once a day it deletes what is past its
retention period (storage/retention.py: handled inbox events, settled outbox rows,
attachments, closed tickets, audit entries), a batch per transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy.orm import Session

from bot import casework_sweep
from bot.clock import Clock
from flows import catalog, engine, supporter_visits
from storage import deadlines, retention, supporters
from storage.db import Database
from storage.retention import Retention

log = logging.getLogger(__name__)

HOUSEKEEPING_EVERY = timedelta(minutes=1)
RETENTION_EVERY = timedelta(days=1)
# A bound on one kind's deletes per day (a million rows): the rest go the next day.
MAX_RETENTION_BATCHES = 1000
# Deadlines fired per transaction: four multicasts' worth of check-ins. Each statement of a
# batch costs the same whatever its size, and a batch holds SQLite's one write lock for some
# 50 ms, which a webhook's answer can wait.
BATCH = 2000
# A bound on one sweep, so a bug that re-arms a deadline in the past cannot spin forever.
MAX_BATCHES_PER_SWEEP = 1000
# Batches a worker fires before it turns to sending: 100,000 check-ins due at once start
# going out after the first 2,000 are made, not after all of them.
BATCHES_PER_TURN = 1

DeadlineHandler = Callable[[Session, list[deadlines.Due], datetime], None]


def sweep_interval(remind_after: timedelta, escalate_after: timedelta) -> timedelta:
    """Often enough for the shortest wait (a tenth of it), from 0.2 s up to 15 s."""
    shortest = min(remind_after, escalate_after) / 10
    return max(timedelta(seconds=0.2), min(shortest, timedelta(seconds=15)))


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        every: timedelta = timedelta(minutes=1),
        handlers: Mapping[str, DeadlineHandler] | None = None,
        sla_warn_before: timedelta = timedelta(hours=1),
        conversation_idle: timedelta = timedelta(hours=1),
        batch_sizes: Mapping[str, int] | None = None,
        ahead: deadlines.Ahead | None = None,
        retention: Retention | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.every = every
        self.sla_warn_before = sla_warn_before
        self.conversation_idle = conversation_idle
        # 生活応援隊: offers nobody answered in time go back to the coordinator, and taken
        # requests get their reminder and their question afterwards. Kinds of their own that
        # need no settings, so every scheduler fires them.
        self.handlers = {
            supporters.OFFER_EXPIRES: supporters.expire_offers,
            **supporter_visits.HANDLERS,
            **(handlers or {}),
        }
        # Per kind, at most this many in one transaction; kinds not named take BATCH. Kinds
        # handled a row at a time need fewer (an escalation opens a ticket and alerts family,
        # 15-40 ms each): 100 escalations in one transaction held SQLite's lock for seconds,
        # and a process killed every few seconds never committed one.
        self.batch_sizes = dict(batch_sizes or {})
        # Kinds fired up to this long before their time: their work is done early and what
        # they send waits in the outbox until the time (check-ins, so that 100,000 due at 8:00
        # are ready to leave at 8:00 rather than being made then).
        self.ahead = dict(ahead or {})
        self.retention = retention or Retention()
        self._next = clock.now()
        self._next_housekeeping = clock.now()
        # At start-up too: a process restarted daily must not put the deletes off for ever.
        self._next_retention = clock.now()

    def due(self) -> bool:
        now = self.clock.now()
        self._catch_up(now)
        return now >= self._next

    def _catch_up(self, now: datetime) -> None:
        """After the clock was set back (`madoguchi clock reset`), the next sweeps, reckoned in
        the moved time, lie further ahead than their interval: they are due now instead."""
        if self._next - now > self.every:
            self._next = now
        if self._next_housekeeping - now > HOUSEKEEPING_EVERY:
            self._next_housekeeping = now
        if self._next_retention - now > RETENTION_EVERY:
            self._next_retention = now

    def sweep(self) -> int:
        """Fire what is due, tidy up once a minute, and delete what is past its retention period
        once a day; returns how many rows it handled."""
        now = self.clock.now()
        self._catch_up(now)
        self._next = now + self.every
        handled = self.fire_deadlines(BATCHES_PER_TURN)
        if handled:
            # More may be due: the worker sends what this turn queued, then comes straight
            # back (a sweep that finds nothing waits its interval again).
            self._next = now
        if now >= self._next_housekeeping:
            self._next_housekeeping = now + HOUSEKEEPING_EVERY
            handled += self.housekeeping(now)
        if now >= self._next_retention:
            self._next_retention = now + RETENTION_EVERY
            handled += self.expire_records(now)
        return handled

    def fire_deadlines(self, max_batches: int = MAX_BATCHES_PER_SWEEP) -> int:
        """Fire what is due, earliest first, a batch per transaction, up to `max_batches`."""
        fired = 0
        for _ in range(max_batches):
            now = self.clock.now()
            claimed: list[int] = []
            try:
                with self.db.transaction() as session:
                    batch = self._claim(session, now)
                    claimed = [deadline.id for deadline in batch]
                    self._fire(session, batch, now)
                    deadlines.settle(session, batch, now)
            except Exception:
                log.exception("a batch of %d deadlines failed; retrying one by one", len(claimed))
                self._fire_one_by_one(claimed)
            fired += len(claimed)
            # Not "fewer than a batch": firing may have re-armed a deadline that is already
            # due (the next check-in after a clock jump), and it belongs in this sweep too.
            if not claimed:
                break
        return fired

    def _claim(self, session: Session, now: datetime) -> list[deadlines.Due]:
        """A batch sized for the kind due first, cut where another kind would pass its size.

        Rows cut off stay pending (their locks end with the transaction) for the next batch,
        so the order of due times is kept.
        """
        first = deadlines.first_due_kind(session, now, self.ahead)
        if first is None:
            return []
        claimed = deadlines.claim_due(session, now, self.batch_sizes.get(first, BATCH), self.ahead)
        counts: dict[str, int] = {}
        for index, deadline in enumerate(claimed):
            counts[deadline.kind] = counts.get(deadline.kind, 0) + 1
            if counts[deadline.kind] > self.batch_sizes.get(deadline.kind, BATCH):
                return claimed[:index]
        return claimed

    def _fire(self, session: Session, batch: list[deadlines.Due], now: datetime) -> None:
        # Runs of one kind go to its handler together (so check-ins can be multicast); the
        # order of due times is kept across runs.
        for kind, run in groupby(batch, key=lambda deadline: deadline.kind):
            due = list(run)
            handler = self.handlers.get(kind)
            if handler is None:
                raise LookupError(f"no handler for deadlines of kind {kind!r}")
            # In the same transaction as whatever the handler writes, the rows are marked
            # fired afterwards (`settle`), unless the handler set them again: a recurring
            # check-in for its next time, a round's next step.
            handler(session, due, now)

    def _fire_one_by_one(self, ids: list[int]) -> None:
        for deadline_id in ids:
            now = self.clock.now()
            try:
                with self.db.transaction() as session:
                    deadline = deadlines.claim_one(session, deadline_id)
                    if deadline is not None:
                        self._fire(session, [deadline], now)
                        deadlines.settle(session, [deadline], now)
            except Exception as error:
                log.exception("deadline %s failed", deadline_id)
                with self.db.transaction() as session:
                    attempts = deadlines.record_failure(session, deadline_id, now, error)
                if attempts >= 3:
                    # Never dropped: it stays pending and is retried with backoff, but someone
                    # must look, because this may be a family alert that is not going out.
                    log.error("deadline %s has failed %d times", deadline_id, attempts)

    def housekeeping(self, now: datetime) -> int:
        with self.db.transaction() as session:
            answers = engine.forget_left_flows(session, now, self.conversation_idle, catalog.FLOWS)
        if answers:
            log.info("forgot the answers of %d left conversations", answers)
        # Auto-assignment and SLA alerts (storage/casework.py): once a minute is soon enough.
        with self.db.transaction() as session:
            casework_sweep.sweep(session, now, self.sla_warn_before)
        return answers

    def expire_records(self, now: datetime) -> int:
        """Delete every kind of record past its retention period, a batch per transaction."""
        total = 0
        for kind in retention.KINDS:
            before = now - getattr(self.retention, kind)
            deleted = 0
            for _ in range(MAX_RETENTION_BATCHES):
                with self.db.transaction() as session:
                    batch = retention.expire(session, kind, before)
                deleted += batch
                if not batch:
                    break
            if deleted:
                log.info("retention: %d %s past %s", deleted, kind, getattr(self.retention, kind))
            total += deleted
        return total
