"""The moment every piece of the bot acts in: one database transaction and one time.

A resident's turn in a flow (flows.engine.Turn), a step of a check-in round
(flows.watch.checkin.Step) and the handling of one webhook event (handlers.events.Context)
are each a Moment with what their own work adds. Whatever they change, and whatever they queue
for LINE, is written in that one transaction at that one time, so it all happens or none of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from flows import outgoing
from flows.messages import Message
from storage.models import Resident


@dataclass
class Moment:
    session: Session
    now: datetime

    def tell(self, person: Resident, *messages: Message, quiet: bool = False) -> bool:
        """Push to `person`, someone other than whoever's event this is (their answer goes back
        by reply); False when they cannot be reached in LINE (no address, or blocked us).
        `quiet` ones arrive without a sound (a weekly summary, never an alert)."""
        return outgoing.push(self.session, person, list(messages), self.now, quiet=quiet)
