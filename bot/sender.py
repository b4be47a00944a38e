"""The outbox sender: reply while the token is fresh, else push with the row's retry key.

The rules that keep every message delivered exactly once:
- A reply attempt is counted in the database before the call. If the process dies after LINE
  took the reply, the next attempt reuses the same token and LINE answers "Invalid reply
  token": with an earlier attempt on record that means delivered, and we never push it again.
- Only a token never tried while fresh falls back to push.
- A push carries the retry key made with the row; LINE answers 409 to a repeat, which is success.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.gateway import Gateway, Outcome, Result
from storage import outbox, residents
from storage.db import Database
from storage.models import OutboxMessage, OutboxMulticast

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
# LINE keeps a retry key for 24 hours; past that a retry could deliver twice, so we stop.
GIVE_UP_AFTER = timedelta(hours=23)
# Multicast requests in flight at once: one call takes a few ms, LINE allows 200 a second.
MULTICAST_CONCURRENCY = 8
# Multicast rows leased at once. Each turn takes SQLite's write lock twice, and a worker making
# check-ins holds it most of the time: fewer, larger turns keep 100,000 check-ins moving.
MULTICASTS_PER_TURN = 100


class MulticastCall(NamedTuple):
    """A leased multicast row, as the call to LINE needs it (no session while it is made)."""

    row_id: int
    recipients: list[str]
    messages: list[dict[str, Any]]
    retry_key: str


class Sender:
    def __init__(
        self,
        db: Database,
        gateway: Gateway,
        clock: Clock,
        lease: timedelta = timedelta(seconds=60),
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        self.gateway = gateway
        self.clock = clock
        self.rng = rng or random.Random()
        self._next_multicast_at: datetime | None = None

    def run_until(self, stop: threading.Event, wake: threading.Event, poll: float) -> None:
        """Send until `stop` is set; when nothing is due, wait `poll` seconds or for `wake`,
        or less if a multicast's time comes sooner (check-ins made ahead go on the minute)."""
        while not stop.is_set():
            try:
                sent = self.send_due()
                idle = 0.0 if sent else self._until_next_multicast(poll)
            except Exception:
                # A database restart or a network blip must not end the sender.
                log.exception("sending failed")
                idle = poll
            if idle > 0:
                wake.wait(idle)
                wake.clear()

    def _until_next_multicast(self, poll: float) -> float:
        upcoming = self._next_multicast_at
        if upcoming is None:
            return poll
        return min(poll, (upcoming - self.clock.now()).total_seconds())

    def send_due(self, limit: int = 20) -> int:
        """Deliver what is due now; returns how many rows were settled."""
        with self.db.transaction() as session:
            rows = outbox.claim_due(session, self.clock.now(), self.lease, limit)
            claimed = [(row.id, row.to) for row in rows]
        settled = 0
        blocked: set[str] = set()
        for row_id, to in claimed:
            if to in blocked:
                continue  # keep the chat's order: its later rows wait for the earlier one
            if self._deliver(row_id):
                settled += 1
            else:
                blocked.add(to)
        return settled + self.send_due_multicasts(MULTICASTS_PER_TURN)

    def send_due_multicasts(self, limit: int = 20) -> int:
        """Deliver due multicast rows, several requests at once (LINE allows 200 a second).

        Three steps, two transactions: lease and read the rows, call LINE with no transaction
        open, record every answer. A worker making check-ins holds SQLite's write lock for a
        batch at a time, so a transaction per row and step would queue behind it each time.
        """
        with self.db.transaction() as session:
            now = self.clock.now()
            rows = outbox.claim_due_multicasts(session, now, self.lease, limit)
            # With nothing to send, the sender naps until the next one's time (read in this
            # transaction), so check-ins made ahead leave on the minute, not up to a poll later.
            self._next_multicast_at = None if rows else outbox.next_multicast_at(session, now)
            blocked = outbox.unfollowed(session, (user for row in rows for user in row.recipients))
            calls = [self._prepare_multicast(row, blocked, now) for row in rows]
        calls = [call for call in calls if call is not None]
        if len(calls) > 1:
            with ThreadPoolExecutor(max_workers=MULTICAST_CONCURRENCY) as pool:
                results = list(pool.map(self._call_multicast, calls))
        else:
            results = [self._call_multicast(call) for call in calls]
        with self.db.transaction() as session:
            now = self.clock.now()
            backed_off = sum(
                not self._record_multicast(session, call, result, now)
                for call, result in zip(calls, results, strict=True)
            )
        return len(rows) - backed_off

    def _prepare_multicast(
        self, row: OutboxMulticast, blocked: set[str], now: datetime
    ) -> MulticastCall | None:
        # Whoever blocked the account since the row was written is left out; the retry key
        # still dedupes, as LINE keys it on the request, not on its recipients.
        recipients = [user for user in row.recipients if user not in blocked]
        if not recipients:
            outbox.settle_multicast(row, outbox.DROPPED, now, error="blocked")
            return None
        return MulticastCall(row.id, recipients, row.messages, row.retry_key)

    def _call_multicast(self, call: MulticastCall) -> Result:
        return self.gateway.multicast(call.recipients, call.messages, call.retry_key)

    def _record_multicast(
        self, session: Session, call: MulticastCall, result: Result, now: datetime
    ) -> bool:
        """True if the row is settled (sent, or failed for good), False if it will be retried."""
        row = session.get(OutboxMulticast, call.row_id)
        assert row is not None
        if result.outcome in (Outcome.DELIVERED, Outcome.ALREADY_ACCEPTED):
            outbox.settle_multicast(row, outbox.SENT, now)
            return True
        if result.outcome is Outcome.REJECTED:
            # Refused outright, so nobody got it: each person gets their own push instead,
            # which a single bad recipient cannot sink.
            log.warning("multicast %s refused (%s): sent as pushes", call.row_id, result.status)
            for user in call.recipients:
                outbox.enqueue(session, to=user, messages=call.messages, now=now)
            outbox.settle_multicast(row, outbox.FAILED, now, error=f"{result.status} split")
            return True
        if now - row.created_at > GIVE_UP_AFTER:
            outbox.settle_multicast(row, outbox.FAILED, now, error=f"{result.status} gave up")
            return True
        delay = self._backoff(row.attempts, result.retry_after)
        outbox.back_off(row, now, delay, f"{result.status} {result.reason}".strip())
        return False

    def _deliver(self, row_id: int) -> bool:
        """One row; True if settled (sent, dropped or failed), False if it will be retried."""
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            if row is None or row.status != outbox.PENDING:
                return True
            now = self.clock.now()
            use_reply = row.reply_token is not None and (
                row.reply_attempts > 0 or (row.reply_until is not None and now < row.reply_until)
            )
            if use_reply:
                row.reply_attempts += 1
            elif not residents.is_following(session, row.to):
                outbox.settle(row, outbox.DROPPED, now, error="blocked")
                return True
            token, attempts, to, quiet = row.reply_token, row.reply_attempts, row.to, row.quiet
            messages, retry_key = row.messages, row.retry_key

        if use_reply and token:
            result = self.gateway.reply(token, messages)
            if result.outcome is Outcome.INVALID_REPLY_TOKEN and attempts == 1:
                # Refused on its first try: nothing was delivered, so a push is safe.
                pushed = self.gateway.push(to, messages, retry_key, quiet)
                return self._record(row_id, pushed, "push", drop_token=True)
            return self._record(row_id, result, "reply")
        return self._record(row_id, self.gateway.push(to, messages, retry_key, quiet), "push")

    def _record(self, row_id: int, result: Result, via: str, drop_token: bool = False) -> bool:
        with self.db.transaction() as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            now = self.clock.now()
            if drop_token:
                row.reply_token = None
            if result.outcome in (
                Outcome.DELIVERED,
                Outcome.ALREADY_ACCEPTED,
                Outcome.INVALID_REPLY_TOKEN,
            ):
                # INVALID_REPLY_TOKEN here follows an earlier attempt that may have landed.
                outbox.settle(row, outbox.SENT, now, via=via)
                return True
            if result.outcome is Outcome.REJECTED or now - row.created_at > GIVE_UP_AFTER:
                log.warning("outbox %s not delivered: %s %s", row_id, result.status, result.reason)
                outbox.settle(
                    row,
                    outbox.FAILED,
                    now,
                    via=via,
                    error=f"{result.status} {result.reason}".strip(),
                )
                return True
            delay = self._backoff(row.attempts, result.retry_after)
            log.info(
                "outbox %s retry in %.1fs: %s",
                row_id,
                delay.total_seconds(),
                result.status or result.reason,
            )
            outbox.back_off(row, now, delay, f"{result.status} {result.reason}".strip())
            return False

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        exponential = min(timedelta(seconds=0.5 * 2**attempts), MAX_BACKOFF)
        jittered = exponential * (1 + self.rng.random() / 4)
        if retry_after is not None:
            return max(jittered, timedelta(seconds=retry_after))
        return jittered
