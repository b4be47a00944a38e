"""Looking a resident up by LINE id, which a transaction remembers: what it remembers must
never outlive an erasure or a rolled-back first contact."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import erasure, residents
from storage.db import Database

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
LINE_ID = "U" + "a" * 32


def test_an_erased_resident_is_not_found_by_their_old_id_in_the_same_transaction(
    db: Database,
) -> None:
    with db.transaction() as session:
        resident, _ = residents.get_or_create(session, LINE_ID, NOW)
    with db.transaction() as session:
        found = residents.find(session, LINE_ID)
        assert found is not None and found.id == resident.id
        erasure.erase_resident(session, found, NOW)
        assert residents.find(session, LINE_ID) is None
        again, created = residents.get_or_create(session, LINE_ID, NOW)
        assert created and again.id != resident.id


def test_a_first_contact_rolled_back_is_not_remembered(db: Database) -> None:
    with db.transaction() as session:
        try:
            with session.begin_nested():
                residents.get_or_create(session, LINE_ID, NOW)
                assert residents.find(session, LINE_ID) is not None
                raise RuntimeError("the step failed")
        except RuntimeError:
            pass
        assert residents.find(session, LINE_ID) is None
        _, created = residents.get_or_create(session, LINE_ID, NOW)
        assert created
    with db.transaction() as session:
        assert residents.find(session, LINE_ID) is not None
