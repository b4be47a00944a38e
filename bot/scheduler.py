"""The scheduler: a periodic sweep for work that is due by time rather than by an event.

Today it keeps storage lean and private: handled inbox events are kept only as long as LINE
may redeliver them, and settled outbox rows only as long as an operator may need to look.
Check-in windows, reminders and SLA deadlines (watch-over and console issues) join this sweep.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete

from bot.clock import Clock
from storage import inbox, outbox
from storage.db import Database
from storage.models import InboxEvent, OutboxMessage

log = logging.getLogger(__name__)

KEEP_HANDLED_EVENTS = timedelta(days=7)
KEEP_SETTLED_MESSAGES = timedelta(days=30)


class Scheduler:
    def __init__(self, db: Database, clock: Clock, every: timedelta = timedelta(minutes=1)) -> None:
        self.db = db
        self.clock = clock
        self.every = every
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
                )
            ).rowcount
        if events or messages:
            log.info("swept %d handled events and %d settled messages", events, messages)
        return events + messages
