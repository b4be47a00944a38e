"""Twenty supporters tapping 引き受ける on one request at once: exactly one gets it.

Patterned on tests/test_claim_concurrency.py: each thread has its own Database (its own
engine and pool), so the threads meet at the database itself — PostgreSQL's row locks,
SQLite's write lock — not at the in-process lock one Database puts in front of SQLite writers.
Several requests in turn, each raced by all twenty, to give the race more chances to go wrong.
"""

from __future__ import annotations

import threading
from collections import Counter

from casework_data import NOW
from sqlalchemy import select
from supporter_town import make_town

from storage import supporters
from storage.db import Database
from storage.models import HelpOffer, HelpRequest, Resident, Staff, Supporter
from storage.supporters import AcceptOutcome

SUPPORTERS = 20
ROUNDS = 5


def test_twenty_supporters_accepting_one_request_at_once_give_it_to_exactly_one(
    db_url: str, db: Database
) -> None:
    make_town(db, volunteers=SUPPORTERS, offer=False)
    with db.transaction() as session:
        volunteers = list(session.scalars(select(Supporter).order_by(Supporter.id)))
        helped = session.scalars(select(Resident).where(Resident.display_name == "小田 トメ")).one()
        assert session.scalars(select(Staff)).first() is not None
        requests = []
        for _ in range(ROUNDS):
            request = supporters.new_request(session, helped, "shopping", NOW, NOW)
            supporters.offer(session, request, volunteers, NOW)
            requests.append(request.id)
        # Each supporter's offer of each request, by (supporter, request).
        offer_of = {
            (offer.supporter_id, offer.request_id): offer.id
            for offer in session.scalars(select(HelpOffer))
        }
        people = [supporter.id for supporter in volunteers]

    barrier = threading.Barrier(SUPPORTERS)
    got: dict[tuple[int, int], AcceptOutcome] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def tap_accept(person: int) -> None:
        own = Database(db_url)
        try:
            for request_id in requests:
                barrier.wait(timeout=120)
                with own.transaction() as session:
                    offer = session.get_one(HelpOffer, offer_of[(person, request_id)])
                    outcome = supporters.accept(session, offer, NOW)
                with lock:
                    got[(person, request_id)] = outcome
        except BaseException as error:  # reported below, with the thread's own traceback
            errors.append(error)
            barrier.abort()
        finally:
            own.dispose()

    threads = [threading.Thread(target=tap_accept, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a supporter hung"
    if errors:
        raise errors[0]

    with db.transaction() as session:
        for request_id in requests:
            outcomes = Counter(got[(person, request_id)] for person in people)
            assert outcomes == {"accepted": 1, "taken": SUPPORTERS - 1}, outcomes
            winner = next(p for p in people if got[(p, request_id)] == "accepted")
            request = session.get_one(HelpRequest, request_id)
            assert (request.status, request.taken_by_id) == ("taken", winner)
            answers = Counter(
                session.scalars(select(HelpOffer.answer).where(HelpOffer.request_id == request_id))
            )
            assert answers == {"accepted": 1, "too_late": SUPPORTERS - 1}
