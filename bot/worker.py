"""The worker: handles each chat's inbox events in order, one chat at a time, then sends the outbox."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from sqlalchemy.orm import Session

import locales
from bot import attachment_fetch
from bot.clock import Clock
from bot.gateway import Gateway, Profile
from bot.loading import LoadingAnimation
from bot.scheduler import Scheduler, sweep_interval
from bot.sender import Sender
from bot.settings import Settings
from flows import replies, safety
from flows.watch import checkin, checkin_sweep
from handlers import events
from storage import inbox, outbox, residents
from storage.db import Database
from storage.models import InboxEvent
from storage.spool import spool_for
from storage.watch.schedules import ROUND

log = logging.getLogger(__name__)

# Events handled for one chat before giving the next chat its turn.
FAIR_SHARE = 10
# Seconds of events in one transaction. It holds SQLite's only write lock, which a webhook
# storing its events waits for: past this, the rest of a chat's burst takes the next one.
TRANSACTION_BUDGET = 0.01


class Worker:
    def __init__(self, db: Database, gateway: Gateway, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.gateway = gateway
        self.clock = clock
        self.settings = settings
        self.sender = Sender(
            db, gateway, clock, lease=settings.send_lease, concurrency=settings.send_concurrency
        )
        timings = checkin.Timings(
            settings.checkin_remind_after, settings.checkin_escalate_after, settings.care_net
        )
        every = sweep_interval(settings.checkin_remind_after, settings.checkin_escalate_after)
        self.scheduler = Scheduler(
            db,
            clock,
            every=every,
            handlers=checkin_sweep.handlers(timings),
            batch_sizes=checkin_sweep.BATCH_SIZES,
            ahead={ROUND: checkin_sweep.make_ahead(every)},
            sla_warn_before=settings.sla_warn_before,
            conversation_idle=settings.conversation_idle,
            retention=settings.retention,
        )
        self.loading = LoadingAnimation(gateway)
        # Where the web keeps what it acknowledged, on SQLite (None on PostgreSQL).
        self.spool = spool_for(db)
        self.handled = 0  # events this worker handled since it started
        self.wake = threading.Event()
        # Set when there may be something to send: the sender thread stops waiting.
        self.send_now = threading.Event()

    def run_once(self) -> int:
        """One pass: every chat with due events, the outbox, then the scheduler if its time has come."""
        done = self.process_inbox()
        done += self.sender.send_due()
        if self.scheduler.due():
            self.scheduler.sweep()
            attachment_fetch.fetch_due(self.db, self.gateway, self.clock)
        return done

    def run(self, stop: threading.Event, send: bool = True) -> None:
        """Loop until `stop` is set; `wake` cuts the idle wait short when new events arrive.

        Sending runs in its own thread, so LINE calls go out while the next events are handled
        and the next check-ins are made (100,000 due at 8:00 start leaving at once). With
        `send=False` a separate `madoguchi sender` process sends instead: making 100,000
        check-ins and sending them then no longer take turns at one Python interpreter.
        """
        # "started" is said once the worker can work.
        warm()
        log.info("worker started%s", "" if send else " (a sender process sends)")
        sending = (
            threading.Thread(
                target=self.sender.run_until,
                args=(stop, self.send_now, self.settings.worker_poll_interval),
                name="madoguchi-sender",
                daemon=True,
            )
            if send
            else None
        )
        if sending is not None:
            sending.start()
        while not stop.is_set():
            try:
                busy = self.process_inbox()
                if self.scheduler.due():
                    busy += self.scheduler.sweep()
                    # Photos residents sent: fetched from LINE with no transaction open.
                    busy += attachment_fetch.fetch_due(self.db, self.gateway, self.clock)
            except Exception:
                # A database restart or a network blip must not end the worker; the next pass retries.
                log.exception("worker pass failed")
                busy = 0
            if busy:
                self.send_now.set()
            else:
                self.wake.wait(self.settings.worker_poll_interval)
                self.wake.clear()
        self.send_now.set()
        if sending is not None:
            sending.join(timeout=30)
        log.info(
            "worker stopped: %d events handled, %d outbox rows settled",
            self.handled,
            self.sender.settled if send else 0,
        )

    def process_inbox(self) -> int:
        if self.spool is not None:
            self.spool.move_into_inbox(self.db)
        with self.db.reading() as session:
            chats = inbox.chats_with_work(session, self.clock.now())
        handled = 0
        for key in chats:
            done = self.handle_chat(key)
            if done:
                # Its answers go now, not when the pass over every waiting chat is done.
                self.send_now.set()
            handled += done
        self.handled += handled
        return handled

    def handle_chat(self, key: str) -> int:
        """Handle up to FAIR_SHARE of the chat's due events, oldest first, unless another worker
        holds the chat; returns how many were handled."""
        handled, fetched, profile = 0, False, None
        self._read_ahead(key)
        while handled < FAIR_SHARE:
            done, wants_profile = self._handle_events(key, fetched, profile, FAIR_SHARE - handled)
            handled += done
            if not wants_profile or fetched:
                break
            # Fetched between transactions, so no lock waits on a call to LINE; once per turn
            # (LINE may give none: a blocked or unknown user).
            fetched, profile = True, self.gateway.profile(key)
        return handled

    def _read_ahead(self, key: str) -> None:
        """Read what the chat's waiting messages say (the safety check remembers its readings)
        before the write transaction: that is most of a message's CPU, and webhooks wait for
        SQLite's one write lock while a worker holds it."""
        with self.db.reading() as session:
            texts = inbox.pending_texts(session, key, FAIR_SHARE)
        for text in texts:
            safety.check(text)

    def _handle_events(
        self, key: str, fetched: bool, profile: Profile | None, limit: int
    ) -> tuple[int, bool]:
        """Handle the chat's due events in one transaction, each in a savepoint of its own, so a
        burst from one resident costs one commit. Stops early, with what it did so far, at an
        event that needs the LINE profile (a follow, or a first message) when it is not
        fetched yet: the second value says so."""
        handled = 0
        with self.db.transaction() as session:
            if not inbox.claim_chat(session, key):
                return 0, False
            ends = time.monotonic() + TRANSACTION_BUDGET
            while handled < limit and time.monotonic() < ends:
                event = inbox.oldest_pending(session, key)
                now = self.clock.now()
                if event is None or event.available_at > now:
                    break
                if not fetched and _needs_profile(session, event):
                    return handled, True
                handled += 1
                if not self._handle(session, event, now, profile):
                    break  # it failed: the chat's later events wait for its retry
        return handled, False

    def _handle(
        self, session: Session, event: InboxEvent, now: datetime, profile: Profile | None
    ) -> bool:
        """One event; False if it failed (counted, and parked with an apology after the last try)."""
        context = events.Context(
            session=session,
            now=now,
            idle_after=self.settings.conversation_idle,
            reply_until=event.received_at + self.settings.reply_token_fresh_for,
            profile_language=profile.language if profile else None,
            profile_name=profile.display_name if profile else None,
            basic_id=self.settings.basic_id,
        )
        with self.loading.if_slow(*self._loading_for(event, now)):
            try:
                with session.begin_nested():
                    events.handle(context, event.payload)
            except Exception as error:
                log.exception("event %s (%s) failed", event.id, event.event_type)
                if inbox.mark_failed(event, now, error, self.settings.max_event_attempts):
                    self._apologise(session, event, now)
                return False
        inbox.mark_done(event, now)
        return True

    def _loading_for(self, event: InboxEvent, now: datetime) -> tuple[str | None, float]:
        """Who sees the loading animation if this step runs long, and after how many seconds:
        a resident who wrote or tapped, counting from when LINE gave us the event."""
        wants = event.event_type in ("message", "postback") and event.source_key.startswith("U")
        waited = now - event.received_at
        delay = max(0.0, (self.settings.loading_after - waited).total_seconds())
        return (event.source_key if wants else None), delay

    def _apologise(self, session: Session, event: InboxEvent, now: datetime) -> None:
        if not event.source_key.startswith("U") or event.event_type not in ("message", "postback"):
            return
        resident = residents.find(session, event.source_key)
        language = resident.language if resident else locales.DEFAULT_LANGUAGE
        outbox.enqueue(
            session,
            to=event.source_key,
            messages=[replies.apology(language)],
            now=now,
            reply_token=event.payload.get("replyToken"),
            reply_until=event.received_at + self.settings.reply_token_fresh_for,
        )


def warm() -> None:
    """Load the safety reader's dictionary and model (a second or more) and the message
    catalogs now, not while the first resident waits for an answer (and a webhook for the write
    lock that answer holds). Idempotent: `serve` calls it in a forked worker ahead of `run`."""
    safety.warm()
    locales.warm()


def _needs_profile(session: Session, event: InboxEvent) -> bool:
    """A follow, or the first message from someone we do not know yet: their name and language
    come from LINE's profile."""
    key = event.source_key
    return key.startswith("U") and (
        event.event_type == "follow" or residents.find(session, key) is None
    )


def run_in_thread(worker: Worker, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=worker.run, args=(stop,), name="madoguchi-worker", daemon=True)
    thread.start()
    return thread
