"""A small watch-over town for in-process tests: a resident, two family members, the scheduler.

People talk through the real handlers (tests/dialogue.py); what the bot sends anyone is read
back from the outbox, multicasts included, so a test sees exactly what each person would get.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from builders import postback_event
from dialogue import Dialogue
from rendered import readable, rendered
from sqlalchemy import select

from bot.clock import Clock
from bot.scheduler import Scheduler, sweep_interval
from flows.watch import checkin, checkin_sweep
from storage.db import Database
from storage.models import (
    CheckinRound,
    OutboxMessage,
    OutboxMulticast,
    Resident,
    Ticket,
    WatchEnrolment,
)
from storage.sample_town import load_town
from storage.watch import enrolments, linking, schedules
from storage.watch.schedules import Schedule

RESIDENT = "U" + "a1" * 16
FAMILY_A = "U" + "b2" * 16
FAMILY_B = "U" + "c3" * 16
WAIT = timedelta(seconds=2)


class Person:
    """Someone in LINE: what they send, and everything the bot sent them since the last look."""

    def __init__(self, town: Town, user: str, name: str) -> None:
        self.town = town
        self.user = user
        self.name = name
        self.chat = Dialogue(town.db, town.clock, user=user, basic_id=town.basic_id)
        # Which messages were read, by row and place: a check-in made ahead becomes visible
        # at its time, which may sort before a reply read a moment earlier.
        self.seen: set[tuple[int, int]] = set()

    def follow(self) -> None:
        self.chat.follow()
        with self.town.db.transaction() as session:
            resident = session.scalars(select(Resident).where(Resident.line_user_id == self.user))
            resident.one().display_name = self.name
        self.inbox()

    def say(self, text: str) -> list[dict[str, Any]]:
        self.chat.say(text)
        return self.inbox()

    def tap(self, label: str) -> list[dict[str, Any]]:
        """Tap a button under the newest message that has it."""
        for message in reversed(self.town.messages_to(self.user)):
            for item in (message.get("quickReply") or {}).get("items", []):
                action = item["action"]
                if action["label"] == label and action["type"] == "postback":
                    self.chat.send(postback_event(action["data"], self.user))
                    return self.inbox()
        raise AssertionError(f"{self.name} has no button {label!r}")

    def postback(self, data: str) -> list[dict[str, Any]]:
        self.chat.send(postback_event(data, self.user))
        return self.inbox()

    def inbox(self) -> list[dict[str, Any]]:
        """Messages that arrived since the last call."""
        keyed = self.town.keyed_messages_to(self.user)
        new = [message for key, message in keyed if key not in self.seen]
        self.seen.update(key for key, _ in keyed)
        return new

    def texts(self) -> list[str]:
        return [message.get("text", "") for message in self.inbox()]


class Town:
    def __init__(
        self, db: Database, clock: Clock, wait: timedelta = WAIT, basic_id: str = ""
    ) -> None:
        self.db = db
        self.clock = clock
        self.basic_id = basic_id
        with db.transaction() as session:
            load_town(session)
        self.scheduler = Scheduler(
            db,
            clock,
            handlers=checkin_sweep.handlers(checkin.Timings(wait, wait)),
            batch_sizes=checkin_sweep.BATCH_SIZES,
            # As the worker runs it: check-ins made ahead of their time.
            ahead={schedules.ROUND: checkin_sweep.make_ahead(sweep_interval(wait, wait))},
        )
        self.resident = Person(self, RESIDENT, "山田花子")
        self.family_a = Person(self, FAMILY_A, "山田太郎")
        self.family_b = Person(self, FAMILY_B, "佐藤幸子")
        for person in (self.resident, self.family_a, self.family_b):
            person.follow()

    def enrol(
        self, schedule: Schedule | None = None, summaries: tuple[str, str] = ("none", "none")
    ) -> int:
        """Enrol the resident (daily 8:00) with both family members linked."""
        with self.db.transaction() as session:
            people = {r.line_user_id: r for r in session.scalars(select(Resident))}
            enrolment = enrolments.enrol(
                session, people[RESIDENT], schedule or Schedule(), self.clock.now()
            )
            for user, summary in zip((FAMILY_A, FAMILY_B), summaries, strict=True):
                invitation = linking.new_invitation(session, enrolment, self.clock.now())
                link = linking.request_link(session, invitation, people[user], self.clock.now())
                linking.confirm_link(link, self.clock.now())
                linking.set_summary(session, link, summary, self.clock.now())
            return enrolment.id

    def sweep(self) -> int:
        return self.scheduler.fire_deadlines()

    def next_checkin(self) -> datetime:
        with self.db.transaction() as session:
            enrolment = session.scalars(select(WatchEnrolment)).one()
            due = enrolments.next_checkin(session, enrolment, self.clock.now())
        assert due is not None
        return due

    def until_next_checkin(self) -> None:
        """Move the clock to the next scheduled check-in and let the scheduler run."""
        due = self.next_checkin()
        self.clock.advance(max(due - self.clock.now(), timedelta(0)) + timedelta(seconds=1))
        self.sweep()

    def just_before_next_checkin(self) -> datetime:
        """Move the clock to half a second before the next check-in and let the scheduler run
        (it makes check-ins 0.8 s ahead with these waits); returns the check-in's time."""
        due = self.next_checkin()
        self.clock.advance(due - self.clock.now() - timedelta(seconds=0.5))
        self.sweep()
        return due

    def wait(self, seconds: float) -> None:
        self.clock.advance(timedelta(seconds=seconds))
        self.sweep()

    def messages_to(self, user: str) -> list[dict[str, Any]]:
        """Everything queued for `user`, pushes, replies and multicasts, in the order written;
        a multicast made ahead (a check-in) once its time has come."""
        return [message for _, message in self.keyed_messages_to(user)]

    def keyed_messages_to(self, user: str) -> list[tuple[tuple[int, int], dict[str, Any]]]:
        """`messages_to`, each with a key of its own (its row and place in it)."""
        now = self.clock.now()
        with self.db.transaction() as session:
            rows: list[tuple[datetime, int, list[Any]]] = [
                (row.created_at, row.id * 2, row.messages)
                for row in session.scalars(select(OutboxMessage).where(OutboxMessage.to == user))
            ]
            rows += [
                (row.available_at, row.id * 2 + 1, row.messages)
                for row in session.scalars(
                    select(OutboxMulticast).where(OutboxMulticast.available_at <= now)
                )
                if user in row.recipients
            ]
        return [
            ((key, place), message)
            for _, key, messages in sorted(rows, key=lambda r: (r[0], r[1]))
            for place, message in enumerate(rendered(messages))
        ]

    def rounds(self) -> list[CheckinRound]:
        with self.db.transaction() as session:
            return list(session.scalars(select(CheckinRound).order_by(CheckinRound.due_at)))

    def tickets(self) -> list[Ticket]:
        with self.db.transaction() as session:
            found = list(session.scalars(select(Ticket).order_by(Ticket.id)))
            for ticket in found:
                _ = ([message.body for message in ticket.messages], ticket.team.slug)
            return found

    def enrolment(self) -> WatchEnrolment:
        with self.db.transaction() as session:
            return session.scalars(select(WatchEnrolment)).one()


def texts(messages: list[dict[str, Any]]) -> str:
    return "\n".join(readable(message) for message in messages)


def buttons(messages: list[dict[str, Any]]) -> list[str]:
    last = messages[-1] if messages else {}
    return [item["action"]["label"] for item in (last.get("quickReply") or {}).get("items", [])]
