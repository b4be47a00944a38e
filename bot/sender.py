"""The outbox sender: many calls to LINE in flight, each chat's messages in order, each once.

The rules that keep every message delivered exactly once:
- A reply attempt is counted in the database before the call. If the process dies after LINE
  took the reply, the next attempt reuses the same token and LINE answers "Invalid reply
  token": with an earlier attempt on record that means delivered, and we never push it again.
- Only a token never tried while fresh falls back to push.
- A push carries the retry key made with the row; LINE answers 409 to a repeat, which is success.

How it keeps LINE's pace (LINE takes 2,000 replies or pushes a second): up to `concurrency`
calls are in flight at once, each on a thread of its own with the gateway's timeout, so a slow
or failing call holds its own slot and nobody else's. Rows are leased only when a slot is free
for them, one per chat (the chat's next row waits until this one is settled), for about as long
as their calls may take. The answers that came back are recorded in one transaction, which
also leases the next rows: SQLite has one writer, so fewer, fuller transactions go faster.
"""

from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from bot import owners, render
from bot.clock import Clock
from bot.gateway import Gateway, Outcome, Result
from storage import outbox
from storage.db import Database
from storage.models import OutboxMessage, OutboxMulticast

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=5)
# LINE keeps a retry key for 24 hours; past that a retry could deliver twice, so we stop.
GIVE_UP_AFTER = timedelta(hours=23)
# Calls in flight at once. With LINE answering in about 100 ms this is some 300 a second,
# well under its limit; the token buckets in the gateway keep each endpoint under its own.
CONCURRENCY = 32
# Multicast rows leased in one pass of `send_due` (the loop leases as slots free up).
MULTICASTS_PER_TURN = 100


@dataclass(frozen=True)
class MessageCall:
    """A leased outbox row, as its call to LINE needs it (no session is open during the call)."""

    row_id: int
    to: str
    messages: list[dict[str, Any]]
    retry_key: str
    quiet: bool
    # Set when this attempt replies; `first_reply` when it is the token's first try.
    reply_token: str | None
    first_reply: bool


@dataclass(frozen=True)
class MulticastCall:
    """A leased multicast row, as its call to LINE needs it."""

    row_id: int
    recipients: list[str]
    messages: list[dict[str, Any]]
    retry_key: str


Call = MessageCall | MulticastCall


@dataclass(frozen=True)
class Answer:
    """What LINE said, and by which way the row went."""

    result: Result
    via: str
    # A reply refused on its first try was pushed instead: the token is used up.
    token_refused: bool = False


# Another sender on this machine may be killed while this one runs (two of them share the
# load): the leases of stopped processes are looked at again this often, not only at start.
RELEASE_EVERY = timedelta(seconds=5)


class Sender:
    def __init__(
        self,
        db: Database,
        gateway: Gateway,
        clock: Clock,
        lease: timedelta = timedelta(seconds=25),
        rng: random.Random | None = None,
        concurrency: int = CONCURRENCY,
        owner: str | None = None,
    ) -> None:
        self.db = db
        self.lease = lease
        self.gateway = gateway
        self.clock = clock
        self.rng = rng or random.Random()
        self.concurrency = concurrency
        self.owner = owner or owners.this_process()
        self._pool: ThreadPoolExecutor | None = None
        self._next_multicast_at: datetime | None = None
        self.settled = 0  # rows this sender settled since it started (sent, dropped, failed)

    # --- the two ways to run: a loop that keeps slots full, and one pass for tests and scripts

    def run_until(self, stop: threading.Event, wake: threading.Event, poll: float) -> None:
        """Send until `stop` is set, then finish what is in flight and return.

        When nothing is due, wait `poll` seconds or for `wake` (set by the worker when it queued
        something, and by every call that comes back), or less if a multicast's time comes
        sooner (check-ins made ahead go on the minute).
        """
        self.release_dead()
        next_release = self.clock.now() + RELEASE_EVERY
        in_flight: dict[Future[Answer], Call] = {}
        while True:
            wake.clear()
            if self.clock.now() >= next_release:
                self.release_dead()
                next_release = self.clock.now() + RELEASE_EVERY
            finished = [future for future in in_flight if future.done()]
            answers = [(in_flight.pop(future), future.result()) for future in finished]
            free = 0 if stop.is_set() else self.concurrency - len(in_flight)
            try:
                _, calls = self._record_and_lease(answers, free)
            except Exception:
                # A database restart or a network blip must not end the sender. Answers not
                # recorded leave their rows leased: they are tried again when the lease ends,
                # and the reply token or retry key keeps that from delivering twice.
                log.exception("sending failed")
                calls = []
            for call in calls:
                future = self._executor().submit(self._call, call)
                in_flight[future] = call
                future.add_done_callback(lambda _: wake.set())
            if stop.is_set() and not in_flight:
                break
            # Every free slot was offered to what is due, so there is nothing to do until a
            # call comes back, the worker queues more, or the poll or a multicast's time is up.
            wake.wait(poll if in_flight else self._until_next_multicast(poll))
        self.close()

    def send_due(self, limit: int = 20) -> int:
        """One pass: lease the next row of up to `limit` chats and the due multicasts, call LINE
        for all of them at once, record every answer. Returns how many rows were settled."""
        _, calls = self._record_and_lease([], limit, MULTICASTS_PER_TURN)
        if not calls:
            return 0
        # One call goes on this thread; more go out together.
        many = len(calls) > 1
        answers = list(self._executor().map(self._call, calls)) if many else [self._call(calls[0])]
        settled, _ = self._record_and_lease(list(zip(calls, answers, strict=True)), 0, 0)
        return settled

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="madoguchi-send")
        return self._pool

    def release_dead(self) -> None:
        """Rows a killed process was sending go out now, not when its leases run out."""
        try:
            with self.db.transaction() as session:
                released = outbox.release_dead(session, owners.is_dead)
        except Exception:
            log.exception("could not release the leases of stopped processes")
            return
        if released:
            log.info("took over %d rows a stopped process was sending", released)

    def _until_next_multicast(self, poll: float) -> float:
        upcoming = self._next_multicast_at
        if upcoming is None:
            return poll
        return max(0.0, min(poll, (upcoming - self.clock.now()).total_seconds()))

    # --- one transaction: record what came back, lease what fits in the free slots ----------

    def _record_and_lease(
        self, answers: list[tuple[Call, Answer]], free: int, multicasts: int | None = None
    ) -> tuple[int, list[Call]]:
        """Record `answers`, then lease the next row of up to `free` chats and up to `multicasts`
        multicast rows (by default, as many as the chats left of `free`). Returns how many
        answered rows were settled, and the calls to make next."""
        if not answers and free <= 0 and not multicasts:
            return 0, []
        with self.db.transaction() as session:
            now = self.clock.now()
            # One SELECT for the whole batch, not one per answer (each flushing the last).
            answered = outbox.by_id(
                session, [call.row_id for call, _ in answers if isinstance(call, MessageCall)]
            )
            settled = sum(
                self._record(session, call, answer, now, answered) for call, answer in answers
            )
            calls: list[Call] = []
            if free > 0:
                rows = outbox.claim_due(session, now, self.lease, free, self.owner)
                calls += self._prepare_messages(session, rows, now)
                free -= len(rows)
            if multicasts is None:
                multicasts = free
            if multicasts > 0:
                due = outbox.claim_due_multicasts(session, now, self.lease, multicasts, self.owner)
                # With nothing to send, the loop naps until the next one's time, so check-ins
                # made ahead leave on the minute, not up to a poll later.
                self._next_multicast_at = None if due else outbox.next_multicast_at(session, now)
                calls += self._prepare_multicasts(session, due, now)
        self.settled += settled  # counted once committed
        return settled, calls

    def _prepare_messages(
        self, session: Session, rows: list[OutboxMessage], now: datetime
    ) -> list[Call]:
        replies = {
            row.id
            for row in rows
            if row.reply_token is not None
            and (row.reply_attempts > 0 or (row.reply_until is not None and now < row.reply_until))
        }
        blocked = outbox.unfollowed(session, (row.to for row in rows if row.id not in replies))
        calls: list[Call] = []
        for row in rows:
            if row.id in replies:
                # Counted before the call: if we die after LINE took it, it is never pushed.
                row.reply_attempts += 1
            elif row.to in blocked:
                outbox.settle(row, outbox.DROPPED, now, error="blocked")
                continue
            calls.append(
                MessageCall(
                    row_id=row.id,
                    to=row.to,
                    messages=row.messages,
                    retry_key=row.retry_key,
                    quiet=row.quiet,
                    reply_token=row.reply_token if row.id in replies else None,
                    first_reply=row.reply_attempts == 1,
                )
            )
        return calls

    def _prepare_multicasts(
        self, session: Session, rows: list[OutboxMulticast], now: datetime
    ) -> list[Call]:
        blocked = outbox.unfollowed(session, (user for row in rows for user in row.recipients))
        calls: list[Call] = []
        for row in rows:
            # Whoever blocked the account since the row was written is left out; the retry key
            # still dedupes, as LINE keys it on the request, not on its recipients.
            recipients = [user for user in row.recipients if user not in blocked]
            if not recipients:
                outbox.settle_multicast(row, outbox.DROPPED, now, error="blocked")
                continue
            calls.append(MulticastCall(row.id, recipients, row.messages, row.retry_key))
        return calls

    # --- the call, on a sending thread -------------------------------------------------------

    def _call(self, call: Call) -> Answer:
        try:
            return self._make(call)
        except render.MessageTooLarge as error:
            # LINE would refuse it every time: failed, as a 400 would be (the size only).
            log.error("outbox row %s not sent: %s", call.row_id, error)
            return Answer(Result(Outcome.REJECTED, reason="too large"), "error")
        except Exception as error:
            # A bug, not LINE: try again later rather than lose the message. The class only,
            # as an error's text could quote what the resident was sent.
            log.error("sending outbox row %s failed: %s", call.row_id, type(error).__name__)
            return Answer(Result(Outcome.RETRY, reason=type(error).__name__), "error")

    def _make(self, call: Call) -> Answer:
        messages = render.line_messages(call.messages)
        if isinstance(call, MulticastCall):
            result = self.gateway.multicast(call.recipients, messages, call.retry_key)
            return Answer(result, "multicast")
        if call.reply_token is not None:
            result = self.gateway.reply(call.reply_token, messages)
            if result.outcome is Outcome.INVALID_REPLY_TOKEN and call.first_reply:
                # Refused on its first try: nothing was delivered, so a push is safe.
                pushed = self.gateway.push(call.to, messages, call.retry_key, call.quiet)
                return Answer(pushed, "push", token_refused=True)
            return Answer(result, "reply")
        return Answer(self.gateway.push(call.to, messages, call.retry_key, call.quiet), "push")

    # --- recording an answer -----------------------------------------------------------------

    def _record(
        self,
        session: Session,
        call: Call,
        answer: Answer,
        now: datetime,
        rows: dict[int, OutboxMessage],
    ) -> bool:
        """True if the row is settled (sent, dropped or failed), False if it will be retried.
        `rows`: the answered message rows, loaded at once (missing: deleted meanwhile)."""
        if isinstance(call, MulticastCall):
            return self._record_multicast(session, call, answer.result, now)
        row = rows.get(call.row_id)
        if row is None or row.status != outbox.PENDING:
            return True  # withdrawn meanwhile (the resident unsent what it answered)
        result = answer.result
        if answer.token_refused:
            row.reply_token = None
        if result.outcome in (
            Outcome.DELIVERED,
            Outcome.ALREADY_ACCEPTED,
            Outcome.INVALID_REPLY_TOKEN,
        ):
            # INVALID_REPLY_TOKEN here follows an earlier attempt that may have landed.
            outbox.settle(row, outbox.SENT, now, via=answer.via)
            return True
        error = " ".join(str(part) for part in (result.status, result.reason) if part)
        if result.outcome is Outcome.REJECTED or now - row.created_at > GIVE_UP_AFTER:
            log.warning("outbox %s not delivered: %s", call.row_id, error)
            outbox.settle(row, outbox.FAILED, now, via=answer.via, error=error)
            return True
        delay = self._backoff(row.attempts, result.retry_after)
        log.info("outbox %s retry in %.1fs: %s", call.row_id, delay.total_seconds(), error)
        outbox.back_off(row, now, delay, error)
        return False

    def _record_multicast(
        self, session: Session, call: MulticastCall, result: Result, now: datetime
    ) -> bool:
        row = session.get(OutboxMulticast, call.row_id)
        if row is None or row.status != outbox.PENDING:
            return True
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

    def _backoff(self, attempts: int, retry_after: float | None) -> timedelta:
        exponential = min(timedelta(seconds=0.5 * 2**attempts), MAX_BACKOFF)
        jittered = exponential * (1 + self.rng.random() / 4)
        if retry_after is not None:
            return max(jittered, timedelta(seconds=retry_after))
        return jittered
