"""The sender's token buckets keep calls under LINE's per-endpoint rate limits."""

from __future__ import annotations

from bot.ratelimit import TokenBucket


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_a_burst_then_the_steady_rate() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=100, burst=10, clock=time.clock, sleep=time.sleep)
    for _ in range(10):
        assert bucket.take() == 0.0
    for _ in range(100):
        bucket.take()
    # 110 calls at 100/s with a burst of 10 take one second, no less.
    assert abs(time.now - 1.0) < 1e-9


def test_an_idle_bucket_refills_only_up_to_its_burst() -> None:
    time = FakeTime()
    bucket = TokenBucket(rate=10, burst=2, clock=time.clock, sleep=time.sleep)
    time.now = 60.0
    waits = [bucket.take() for _ in range(3)]
    assert waits[:2] == [0.0, 0.0]
    assert abs(waits[2] - 0.1) < 1e-9
