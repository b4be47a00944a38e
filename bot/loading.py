"""LINE's loading animation for a step that runs long: one timer thread for every step.

A `threading.Timer` per event started a thread for each of them, which under a burst cost
more than some steps; here one thread sleeps until the earliest step that is due a "…".
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bot.gateway import Gateway


class LoadingAnimation:
    def __init__(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._changed = threading.Condition()
        self._due: dict[int, tuple[float, str]] = {}
        self._tickets = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def if_slow(self, user: str | None, after: float) -> Iterator[None]:
        """Shows the animation to `user` if the block is still running `after` seconds from now."""
        if user is None:
            yield
            return
        ticket = self._arm(user, after)
        try:
            yield
        finally:
            with self._changed:
                self._due.pop(ticket, None)

    def _arm(self, user: str, after: float) -> int:
        with self._changed:
            ticket = next(self._tickets)
            self._due[ticket] = (time.monotonic() + after, user)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="madoguchi-loading", daemon=True
                )
                self._thread.start()
            self._changed.notify()
        return ticket

    def _run(self) -> None:
        while True:
            with self._changed:
                now = time.monotonic()
                ready = [ticket for ticket, (at, _) in self._due.items() if at <= now]
                users = [self._due.pop(ticket)[1] for ticket in ready]
                if not users:
                    earliest = min((at for at, _ in self._due.values()), default=None)
                    self._changed.wait(None if earliest is None else earliest - now)
                    continue
            for user in users:
                self._gateway.show_loading(user)
