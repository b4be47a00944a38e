"""The scheduler: a periodic sweep for work that is due by time rather than by an event.

Today it keeps storage lean and private: handled inbox events are kept only as long as LINE
may redeliver them, and settled outbox rows only as long as an operator may need to look.
Check-in windows, reminders and SLA deadlines (watch-over and console issues) join this sweep.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, exists

from bot import casework_sweep
from bot.clock import Clock
from storage import inbox, outbox
from storage.db import Database
from storage.models import InboxEvent, OutboxMessage, TicketMessage

log = logging.getLogger(__name__)

KEEP_HANDLED_EVENTS = timedelta(days=7)
KEEP_SETTLED_MESSAGES = timedelta(days=30)


class Scheduler:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        every: timedelta = timedelta(minutes=1),
        sla_warn_before: timedelta = timedelta(hours=1),
    ) -> None:
        self.db = db
        self.clock = clock
        self.every = every
        self.sla_warn_before = sla_warn_before
        self._next = clock.now()

    def due(self) -> bool:
        return self.clock.now() >= self._next

    def sweep(self) -> int:
        """Run what is due; returns how many rows it removed."""
        now = self.clock.now()
        self._next = now + self.every
        with self.db.transaction() as session:
            events = session.execute(
                delete(InboxEvent).where(
                    InboxEvent.status == inbox.DONE,
                    InboxEvent.handled_at < now - KEEP_HANDLED_EVENTS,
                )
            ).rowcount
            messages = session.execute(
                delete(OutboxMessage).where(
                    OutboxMessage.status != outbox.PENDING,
                    OutboxMessage.created_at < now - KEEP_SETTLED_MESSAGES,
                    # A staff reply's row stays: the console shows its delivered / failed mark.
                    ~exists().where(TicketMessage.outbox_id == OutboxMessage.id),
                )
            ).rowcount
        if events or messages:
            log.info("swept %d handled events and %d settled messages", events, messages)
        # Auto-assignment and SLA alerts (storage/casework.py): once a minute is soon enough.
        with self.db.transaction() as session:
            casework_sweep.sweep(session, now, self.sla_warn_before)
        return events + messages
