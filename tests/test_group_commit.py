"""Group commit: webhook requests arriving together share a transaction, and none is lost."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from builders import text_event
from sqlalchemy import func, select

from bot.group_commit import InboxWriter
from storage.db import Database
from storage.models import InboxEvent

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(InboxEvent)) or 0


def test_every_event_of_concurrent_requests_is_stored_once(db: Database) -> None:
    writer = InboxWriter(db, lambda: NOW)
    events = [text_event(f"hello {n}", user=f"U{n % 7:032d}") for n in range(64)]
    start = threading.Barrier(16)

    def post(share: list[dict]) -> None:
        start.wait()
        for event in share:
            writer.store([event, event])  # LINE may send one event twice; it is kept once

    threads = [threading.Thread(target=post, args=(events[n::16],)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(db) == 64


def test_a_failed_commit_fails_its_request_and_the_writer_keeps_working(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = InboxWriter(db, lambda: NOW)
    real_transaction = db.transaction
    broken = threading.Event()
    broken.set()

    def transaction() -> Any:
        if broken.is_set():
            raise RuntimeError("disk full")
        return real_transaction()

    monkeypatch.setattr(db, "transaction", transaction)
    # The request fails (webhook answers 500), so LINE redelivers; nothing half-stored.
    with pytest.raises(RuntimeError, match="disk full"):
        writer.store([text_event("lost?")])
    broken.clear()
    writer.store([text_event("kept")])
    monkeypatch.setattr(db, "transaction", real_transaction)
    assert _count(db) == 1
