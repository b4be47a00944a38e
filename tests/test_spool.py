"""The webhook's spool on SQLite: what LINE was told is stored reaches the inbox once, in order,
even when a process dies in between, and a refused event's content never reaches the file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import text_event
from sqlalchemy import select

from bot.event_check import unfit
from storage import inbox
from storage.db import Database
from storage.inbox import RefusedEvent
from storage.models import InboxEvent
from storage.spool import Spool, spool_for

T0 = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
WORRY = "借金が470万円あります"


@pytest.fixture
def spool(sqlite_db: Database) -> Any:
    found = spool_for(sqlite_db)
    assert found is not None
    yield found
    found.close()


def in_inbox(db: Database) -> list[tuple[str, str, datetime]]:
    with db.transaction() as session:
        rows = session.scalars(select(InboxEvent).order_by(InboxEvent.id))
        return [(row.webhook_event_id, row.status, _utc(row.received_at)) for row in rows]


def test_what_the_web_spooled_before_it_died_is_moved_by_the_next_worker(
    sqlite_db: Database, spool: Spool
) -> None:
    first, second = text_event("おはよう"), text_event("元気です")
    spool.append([first], T0)
    spool.append([second], T0 + timedelta(seconds=1))
    spool.close()  # the web process is gone; only the file remains

    again = Spool(spool.path)
    try:
        assert again.move_into_inbox(sqlite_db) == 2
        assert again.waiting() == 0
    finally:
        again.close()
    assert in_inbox(sqlite_db) == [
        (first["webhookEventId"], inbox.PENDING, T0),
        (second["webhookEventId"], inbox.PENDING, T0 + timedelta(seconds=1)),
    ]


def test_a_move_cut_short_after_the_inbox_commit_stores_nothing_twice(
    sqlite_db: Database, spool: Spool, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [text_event(f"{n}回目") for n in range(3)]
    spool.append(events, T0)

    def crash(last: int) -> None:
        raise KeyboardInterrupt("killed between the inbox commit and the forget")

    monkeypatch.setattr(spool, "_forget", crash)
    with pytest.raises(KeyboardInterrupt):
        spool.move_into_inbox(sqlite_db)
    monkeypatch.undo()
    assert spool.waiting() == 3  # still spooled: the move runs again

    assert spool.move_into_inbox(sqlite_db) == 3
    assert [event_id for event_id, _, _ in in_inbox(sqlite_db)] == [
        event["webhookEventId"] for event in events
    ]
    assert spool.waiting() == 0


def test_a_refused_events_content_never_reaches_the_spool_file(
    sqlite_db: Database, spool: Spool
) -> None:
    bad = dict(text_event(WORRY), message=WORRY)
    reason = unfit(bad)
    assert reason is not None
    spool.append([RefusedEvent(bad, reason)], T0)

    with sqlite3.connect(spool.path) as raw:
        kept = " ".join(text for (text,) in raw.execute("SELECT event FROM spooled"))
    assert bad["webhookEventId"] in kept
    assert "借金" not in kept and "\\u501f" not in kept  # neither as text nor escaped

    spool.move_into_inbox(sqlite_db)
    with sqlite_db.transaction() as session:
        [refused] = inbox.refused(session)
        assert refused.webhook_event_id == bad["webhookEventId"]
        assert refused.last_error == reason[:200]


def test_postgresql_and_a_database_in_memory_have_no_spool(db: Database) -> None:
    memory = Database("sqlite://")
    try:
        assert spool_for(memory) is None
    finally:
        memory.dispose()
    assert (spool_for(db) is None) == (not db.is_sqlite)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
