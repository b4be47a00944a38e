"""Twenty people taking tickets from one queue of a hundred at once: each ticket goes to one person.

Each thread has its own Database (its own engine and pool), so the threads meet at the
database itself — PostgreSQL's row locks, SQLite's write lock — not at the in-process lock one
Database puts in front of SQLite writers.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable

import pytest
from casework_data import NOW, make_office, make_staff, make_ticket
from sqlalchemy import func, select

from storage import casework
from storage.db import Database
from storage.models import AuditEntry, Ticket
from storage.refusals import Conflict, Refused

THREADS = 20
TICKETS = 100


def _queue_of_a_hundred(db: Database) -> tuple[int, list[int], list[str]]:
    office = make_office(db)
    team_id = office.teams["marugoto"]
    with db.transaction() as session:
        people = [make_staff(session, f"worker{n}", ["marugoto"]).id for n in range(THREADS)]
        urgencies = ["emergency", "today", "soon", "anytime"]
        references = [
            make_ticket(session, team_id, urgency=urgencies[n % 4]).reference
            for n in range(TICKETS)
        ]
    return team_id, people, references


def _run_together(
    db_url: str, people: list[int], work: Callable[[Database, int], list[str]]
) -> dict[int, list[str]]:
    """Run `work` for each person in its own thread, all starting at once; what each one got."""
    barrier = threading.Barrier(len(people))
    got: dict[int, list[str]] = {}
    errors: list[BaseException] = []

    def run(person: int) -> None:
        own = Database(db_url)
        try:
            barrier.wait()
            got[person] = work(own, person)
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)
        finally:
            own.dispose()

    threads = [threading.Thread(target=run, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a claimer hung"
    if errors:
        raise errors[0]
    return got


def _assert_each_claimed_once(
    db: Database, got: dict[int, list[str]], references: list[str]
) -> None:
    everything = [reference for taken in got.values() for reference in taken]
    counted = Counter(everything)
    assert sorted(counted) == sorted(references), "some ticket was never claimed"
    assert max(counted.values()) == 1, f"claimed twice: {[r for r, n in counted.items() if n > 1]}"
    with db.transaction() as session:
        holders = dict(session.execute(select(Ticket.reference, Ticket.assignee_id)).all())
        claims = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "claim")
        )
    assert claims == TICKETS
    for person, taken in got.items():
        assert all(holders[reference] == person for reference in taken)


def test_next_ticket_from_twenty_at_once(db_url: str, db: Database) -> None:
    team_id, people, references = _queue_of_a_hundred(db)

    def take_until_empty(own: Database, person: int) -> list[str]:
        taken: list[str] = []
        while True:
            with own.transaction() as session:
                member = session.get_one(casework.Staff, person)
                ticket = casework.claim_next(session, member, team_id, NOW)
                if ticket is None:
                    return taken
                taken.append(ticket.reference)
            # A person looks at the ticket before taking the next. Without a pause, on a fast
            # machine one thread re-took SQLite's lock before a waiting one woke, a hundred
            # times over, and drained the queue alone.
            time.sleep(0.002)

    got = _run_together(db_url, people, take_until_empty)
    _assert_each_claimed_once(db, got, references)
    # More than one person got work: the queue was really shared, not drained by one.
    assert sum(1 for taken in got.values() if taken) > 1


@pytest.mark.parametrize("order", ["same", "shuffled"])
def test_take_clicked_by_twenty_at_once(db_url: str, db: Database, order: str) -> None:
    _team_id, people, references = _queue_of_a_hundred(db)

    def click_take_on_everything(own: Database, person: int) -> list[str]:
        mine = list(references)
        if order == "shuffled":
            random.Random(person).shuffle(mine)
        taken: list[str] = []
        for reference in mine:
            with own.transaction() as session:
                member = session.get_one(casework.Staff, person)
                ticket = casework.get_visible(session, member, reference)
                assert ticket is not None
                if casework.claim(session, member, ticket, NOW):
                    taken.append(reference)
        return taken

    got = _run_together(db_url, people, click_take_on_everything)
    _assert_each_claimed_once(db, got, references)


def test_take_and_assign_to_a_colleague_at_once_give_each_ticket_to_one_person(
    db_url: str, db: Database
) -> None:
    """Half click "Take", half assign each ticket to the colleague beside them, all from pages
    that showed it unassigned: one conditional update decides, so every ticket changes hands
    once, to the one person whose step won, and the losers are told (Conflict)."""
    _team_id, people, references = _queue_of_a_hundred(db)
    partner = {person: people[(n + 1) % len(people)] for n, person in enumerate(people)}
    won: dict[str, int] = {}
    lock = threading.Lock()

    def take_or_assign(own: Database, person: int) -> list[str]:
        mine = list(references)
        random.Random(person).shuffle(mine)
        changed: list[str] = []
        for reference in mine:
            try:
                with own.transaction() as session:
                    member = session.get_one(casework.Staff, person)
                    ticket = casework.get_visible(session, member, reference)
                    assert ticket is not None
                    if person % 2:
                        colleague = session.get_one(casework.Staff, partner[person])
                        casework.assign(
                            session, member, ticket, colleague, "地区の担当", NOW, held_by=None
                        )
                        holder = colleague.id
                    elif casework.claim(session, member, ticket, NOW):
                        holder = person
                    else:
                        continue
            except Conflict:
                continue
            except Refused as refused:
                # Only ever "has it already": it went to that colleague first.
                assert refused.field == "assignee", refused
                continue
            with lock:
                assert reference not in won, f"{reference} changed hands twice"
                won[reference] = holder
            changed.append(reference)
        return changed

    _run_together(db_url, people, take_or_assign)
    assert sorted(won) == sorted(references), "some ticket was never taken"
    with db.transaction() as session:
        holders = dict(session.execute(select(Ticket.reference, Ticket.assignee_id)).all())
        steps = session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(("claim", "assign")))
        )
    assert steps == TICKETS
    assert {reference: holders[reference] for reference in references} == won
