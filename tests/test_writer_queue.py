"""SQLite's one write lock: a webhook storing events goes before the worker and the sender.

Each WriterQueue below stands for a process of its own (its own opened lock files), as
`madoguchi serve` runs the web, the worker and the sender.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from storage.db import WriterQueue


def _hold(queue: WriterQueue, urgent: bool, order: list[str], name: str) -> threading.Thread:
    def run() -> None:
        with queue.turn(urgent=urgent):
            order.append(name)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _until(condition: object, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_waiting_webhook_goes_before_a_worker_that_came_earlier(tmp_path: Path) -> None:
    database = str(tmp_path / "bot.db")
    web, worker, sender = WriterQueue(database), WriterQueue(database), WriterQueue(database)
    order: list[str] = []
    holding = worker.turn()
    holding.__enter__()
    try:
        assert not worker.urgent_waiting()
        webhook = _hold(web, True, order, "webhook")
        _until(worker.urgent_waiting)  # the worker's loop sees it and ends its transaction
        leasing = _hold(sender, False, order, "sender")
        time.sleep(0.05)  # the sender is queued before the lock is released
        assert order == []
    finally:
        holding.__exit__(None, None, None)
    webhook.join(5)
    leasing.join(5)
    assert order == ["webhook", "sender"]
    assert not worker.urgent_waiting()
    for queue in (web, worker, sender):
        queue.close()


def test_a_transaction_nested_in_a_thread_that_writes_does_not_wait(tmp_path: Path) -> None:
    queue = WriterQueue(str(tmp_path / "bot.db"))
    with queue.turn(), queue.turn(urgent=True), queue.turn():
        pass  # would deadlock if the inner turns queued behind the outer one
    other = WriterQueue(str(tmp_path / "bot.db"))
    with other.turn():
        pass  # and the lock was released
    queue.close()
    other.close()
