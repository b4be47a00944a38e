"""Per-endpoint rate limits, as LINE applies them per channel."""

import time

# LINE's published limits in requests per second, keyed by the spec's operationId;
# "default" covers every endpoint not listed.
DEFAULT_RATE_LIMITS: dict[str, float] = {"default": 2000.0, "multicast": 200.0}


class RateLimiter:
    """Token buckets holding one second's worth of requests; callers hold the state lock."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, operation: str, limits: dict[str, float]) -> bool:
        """Take one token for `operation` and tell whether there was one."""
        rate = limits.get(operation, limits.get("default", DEFAULT_RATE_LIMITS["default"]))
        capacity = max(rate, 1.0)
        now = time.monotonic()
        tokens, last = self._buckets.get(operation, (capacity, now))
        tokens = min(capacity, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[operation] = (tokens, now)
            return False
        self._buckets[operation] = (tokens - 1.0, now)
        return True

    def clear(self) -> None:
        """Refill every bucket."""
        self._buckets.clear()
