"""The worker on SQLite and PostgreSQL: order per chat, one worker per chat, failures parked."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from builders import make_event, text_event
from fakes import ScriptedGateway
from sqlalchemy import select

from bot.clock import Clock
from bot.settings import Settings
from bot.worker import Worker
from handlers import events
from storage import inbox
from storage.db import Database
from storage.models import InboxEvent

ALICE = "U" + "1" * 32
BOB = "U" + "2" * 32


def deliver(db: Database, clock: Clock, *batch: dict[str, Any]) -> None:
    with db.transaction() as session:
        inbox.store(session, list(batch), clock.now())


def sent_texts(gateway: ScriptedGateway) -> list[str]:
    return [m.get("text", "") for call in gateway.calls for m in call.messages]


def test_events_of_one_chat_are_handled_in_timestamp_order(
    db: Database, clock: Clock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    monkeypatch.setattr(
        events, "handle", lambda context, event: seen.append(event["message"]["text"])
    )
    later, earlier = text_event("2", ALICE), text_event("1", ALICE)
    later["timestamp"], earlier["timestamp"] = 2_000, 1_000
    deliver(db, clock, later, earlier, text_event("b", BOB))
    worker = Worker(db, ScriptedGateway(), clock, settings)
    # A pass may stop a chat's transaction at its time budget on a busy machine: the rest wait
    # for the next pass, still in order.
    while worker.run_once():
        pass
    assert [text for text in seen if text in "12"] == ["1", "2"]
    assert sorted(seen) == ["1", "2", "b"]


def test_a_failing_event_is_retried_then_parked_with_an_apology(
    db: Database, clock: Clock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = events.handle

    def flaky(context: events.Context, event: dict[str, Any]) -> None:
        if event.get("message", {}).get("text") == "boom":
            raise RuntimeError("handler bug")
        real(context, event)

    monkeypatch.setattr(events, "handle", flaky)
    gateway = ScriptedGateway()
    worker = Worker(db, gateway, clock, settings)
    deliver(db, clock, make_event("follow", ALICE), text_event("boom", ALICE))
    for _ in range(settings.max_event_attempts + 1):
        worker.run_once()
        clock.advance(timedelta(seconds=10))
    with db.transaction() as session:
        failed = session.scalars(select(InboxEvent).where(InboxEvent.event_type == "message")).one()
        assert (failed.status, failed.attempts, failed.last_error) == ("parked", 3, "RuntimeError")
        assert [row.id for row in inbox.parked(session)] == [failed.id]
    assert "不具合" in sent_texts(gateway)[-1]
    # The chat is not stuck behind the parked event.
    deliver(db, clock, text_event("メニュー", ALICE))
    worker.run_once()
    assert "ボタンを押してください" in sent_texts(gateway)[-1]


def test_a_handled_event_keeps_no_resident_text(
    db: Database, clock: Clock, settings: Settings
) -> None:
    deliver(db, clock, text_event("持病の薬が切れそうです", ALICE))
    Worker(db, ScriptedGateway(), clock, settings).run_once()
    with db.transaction() as session:
        event = session.scalars(select(InboxEvent)).one()
        assert event.status == "done"
        assert "持病" not in str(event.payload)


def test_unsend_removes_a_waiting_message_from_storage(db: Database, clock: Clock) -> None:
    message = text_event("間違えて送った住所", ALICE)
    deliver(db, clock, message)
    # The worker is behind, and the resident unsends before it gets there.
    with db.transaction() as session:
        assert inbox.forget_message(session, ALICE, message["message"]["id"]) == 1
        stored = session.scalars(select(InboxEvent)).one()
        assert "住所" not in str(stored.payload)
        assert stored.payload["message"]["id"] == message["message"]["id"]


def test_a_slow_step_shows_the_loading_animation(
    db: Database, clock: Clock, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = events.handle
    monkeypatch.setattr(events, "handle", lambda c, e: (threading.Event().wait(0.3), real(c, e)))
    gateway = ScriptedGateway()
    quick = Worker(db, gateway, clock, settings.with_overrides(loading_after=timedelta(seconds=5)))
    deliver(db, clock, text_event("a", ALICE))
    quick.run_once()
    assert gateway.loading == []
    slow = Worker(db, gateway, clock, settings.with_overrides(loading_after=timedelta(seconds=0.1)))
    deliver(db, clock, text_event("b", ALICE))
    slow.run_once()
    assert gateway.loading == [ALICE]


@pytest.mark.postgres
def test_two_workers_never_hold_one_chat_at_once(postgres_url: str, clock: Clock) -> None:
    db = Database(postgres_url)
    with db.transaction() as session:
        inbox.ensure_lock_row(session, ALICE)
    with db.transaction() as first:
        assert inbox.lock_chat(first, ALICE)
        with db.transaction() as second:
            assert not inbox.lock_chat(second, ALICE)
            inbox.ensure_lock_row(second, BOB)
            assert inbox.lock_chat(second, BOB)
    db.dispose()


@pytest.mark.postgres
def test_concurrent_workers_on_postgres_handle_each_event_once_in_order(
    postgres_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(postgres_url)
    with db.transaction() as session:
        session.execute(InboxEvent.__table__.delete())
    settings = Settings(channel_secret="s", channel_access_token="t", database_url=postgres_url)
    handled: list[tuple[str, int]] = []
    active: set[str] = set()
    overlap: list[str] = []
    guard = threading.Lock()

    def record(context: events.Context, event: dict[str, Any]) -> None:
        user = event["source"]["userId"]
        with guard:
            if user in active:
                overlap.append(user)
            active.add(user)
        threading.Event().wait(0.002)
        with guard:
            active.discard(user)
            handled.append((user, event["timestamp"]))

    monkeypatch.setattr(events, "handle", record)
    users = [f"U{n:032d}" for n in range(6)]
    batch = []
    for n in range(20):
        for user in users:
            event = text_event(str(n), user)
            event["timestamp"] = 1_000 + n
            batch.append(event)
    deliver(db, clock, *batch)
    workers = [Worker(db, ScriptedGateway(), clock, settings) for _ in range(4)]
    threads = [
        threading.Thread(target=lambda w=w: [w.process_inbox() for _ in range(40)]) for w in workers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlap == []
    assert len(handled) == len(batch)
    for user in users:
        assert [ts for u, ts in handled if u == user] == sorted(
            ts for u, ts in handled if u == user
        )
    db.dispose()


def test_the_scheduler_forgets_old_handled_events_but_keeps_them_for_redelivery(
    db: Database, clock: Clock, settings: Settings
) -> None:
    worker = Worker(db, ScriptedGateway(), clock, settings)
    old = text_event("a", ALICE)
    deliver(db, clock, old)
    worker.run_once()
    clock.advance(timedelta(days=6))
    worker.scheduler.sweep()
    deliver(db, clock, old)  # redelivered within the window: still a no-op
    assert worker.process_inbox() == 0
    clock.advance(timedelta(days=31))
    assert worker.scheduler.sweep() == 2  # the event and its settled reply
    with db.transaction() as session:
        assert session.scalars(select(InboxEvent)).all() == []
