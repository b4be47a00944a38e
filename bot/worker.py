"""The worker: handles each chat's inbox events in order, one chat at a time, then sends the outbox."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot import attachment_fetch
from bot.clock import Clock
from bot.gateway import Gateway
from bot.scheduler import Scheduler, sweep_interval
from bot.sender import Sender
from bot.settings import Settings
from flows import checkin, checkin_sweep, i18n, replies, safety
from handlers import events
from storage import inbox, outbox, residents
from storage.db import Database
from storage.models import InboxEvent
from storage.watch import ROUND

log = logging.getLogger(__name__)

# Events handled for one chat before giving the next chat its turn.
FAIR_SHARE = 10


class Worker:
    def __init__(self, db: Database, gateway: Gateway, clock: Clock, settings: Settings) -> None:
        self.db = db
        self.gateway = gateway
        self.clock = clock
        self.settings = settings
        self.sender = Sender(db, gateway, clock, lease=settings.outbox_lease)
        timings = checkin.Timings(settings.checkin_remind_after, settings.checkin_escalate_after)
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
        )
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
        log.info("worker started%s", "" if send else " (a sender process sends)")
        # The safety reader's dictionary and model (about half a second) load now, not
        # while the first resident waits for an answer.
        safety.warm()
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
        log.info("worker stopped")

    def process_inbox(self) -> int:
        with self.db.transaction() as session:
            chats = inbox.chats_with_work(session, self.clock.now())
        handled = 0
        for key in chats:
            for _ in range(FAIR_SHARE):
                if not self.handle_next(key):
                    break
                handled += 1
        return handled

    def handle_next(self, key: str) -> bool:
        """Handle the chat's oldest pending event if it is due and no other worker holds the chat."""
        profile_name, profile_language = self._prepare(key)
        with self.db.transaction() as session:
            if not inbox.lock_chat(session, key):
                return False
            event = inbox.oldest_pending(session, key)
            now = self.clock.now()
            if event is None or event.available_at > now:
                return False
            context = events.Context(
                session=session,
                now=now,
                idle_after=self.settings.conversation_idle,
                reply_until=event.received_at + self.settings.reply_token_fresh_for,
                profile_language=profile_language,
                profile_name=profile_name,
                basic_id=self.settings.basic_id,
            )
            with self._loading_shown_if_slow(event):
                try:
                    with session.begin_nested():
                        events.handle(context, event.payload)
                except Exception as error:
                    log.exception("event %s (%s) failed", event.id, event.event_type)
                    if inbox.mark_failed(event, now, error, self.settings.max_event_attempts):
                        self._apologise(session, event, now)
                    return True
            inbox.mark_done(event, now)
        return True

    def _prepare(self, key: str) -> tuple[str | None, str | None]:
        """Make sure the chat has a lock row, and fetch the LINE profile for a follow or a first
        message; the fetch happens outside any transaction, so no lock waits on HTTP."""
        with self.db.transaction() as session:
            inbox.ensure_lock_row(session, key)
            event = inbox.oldest_pending(session, key)
            needs_profile = (
                event is not None
                and event.source_key.startswith("U")
                and (event.event_type == "follow" or residents.find(session, key) is None)
            )
        if not needs_profile:
            return None, None
        profile = self.gateway.profile(key)
        return (profile.display_name, profile.language) if profile else (None, None)

    def _loading_shown_if_slow(self, event: InboxEvent) -> _LoadingTimer:
        return _LoadingTimer(self.gateway, event, self.settings.loading_after, self.clock)

    def _apologise(self, session: Session, event: InboxEvent, now: datetime) -> None:
        if not event.source_key.startswith("U") or event.event_type not in ("message", "postback"):
            return
        resident = residents.find(session, event.source_key)
        language = resident.language if resident else i18n.DEFAULT_LANGUAGE
        outbox.enqueue(
            session,
            to=event.source_key,
            messages=[replies.apology(language)],
            now=now,
            reply_token=event.payload.get("replyToken"),
            reply_until=event.received_at + self.settings.reply_token_fresh_for,
        )


class _LoadingTimer:
    """Shows LINE's loading animation if a step takes longer than a moment, or started late."""

    def __init__(self, gateway: Gateway, event: InboxEvent, after: timedelta, clock: Clock) -> None:
        self._user = event.source_key if event.source_key.startswith("U") else None
        wants = event.event_type in ("message", "postback")
        waited = clock.now() - event.received_at
        delay = max(0.0, (after - waited).total_seconds())
        self._timer: threading.Timer | None = None
        if self._user and wants:
            self._timer = threading.Timer(delay, gateway.show_loading, args=(self._user,))
            self._timer.daemon = True

    def __enter__(self) -> _LoadingTimer:
        if self._timer:
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer:
            self._timer.cancel()


def run_in_thread(worker: Worker, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=worker.run, args=(stop,), name="madoguchi-worker", daemon=True)
    thread.start()
    return thread
