"""Token buckets that keep the bot under LINE's per-endpoint rate limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class TokenBucket:
    """`take()` waits until a request may go out at `rate` per second, allowing short bursts."""

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate / 10)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def take(self) -> float:
        """Take one token, sleeping if none is left; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1
            wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
        if wait:
            self._sleep(wait)
        return wait


# LINE's published limits (requests per second) for the endpoints the bot calls.
LINE_LIMITS: dict[str, float] = {
    "reply": 2000,
    "push": 2000,
    "multicast": 200,
    "profile": 2000,
    "loading": 100,
}
