"""Deterministic fault injection for the fake Messaging API (errors, 429s, latency, hangs)."""

import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

FaultKind = Literal["error", "rate_limit", "hang"]


@dataclass(frozen=True)
class FaultConfig:
    """Rates are fractions of faultable requests; their sum must not exceed 1."""

    seed: int = 0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    latency_ms: float = 0.0
    hang_rate: float = 0.0
    hang_seconds: float = 30.0

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.rate_limit_rate, self.hang_rate)
        if any(rate < 0 or rate > 1 for rate in rates) or sum(rates) > 1:
            raise ValueError("fault rates must be between 0 and 1 and sum to at most 1")
        if self.latency_ms < 0 or self.hang_seconds < 0:
            raise ValueError("latency_ms and hang_seconds must not be negative")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "FaultConfig":
        """Build a config from the control API's JSON, rejecting unknown keys."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        return cls(
            seed=int(data.get("seed", 0)),
            error_rate=float(data.get("error_rate", 0.0)),
            rate_limit_rate=float(data.get("rate_limit_rate", 0.0)),
            latency_ms=float(data.get("latency_ms", 0.0)),
            hang_rate=float(data.get("hang_rate", 0.0)),
            hang_seconds=float(data.get("hang_seconds", 30.0)),
        )

    def to_json(self) -> dict[str, Any]:
        """Return the config as the control API shows it."""
        return asdict(self)


@dataclass(frozen=True)
class Fault:
    """One injected fault; `deliver` makes it ambiguous: the work is done, the answer is lost."""

    kind: FaultKind
    deliver: bool


class FaultInjector:
    """Draws faults from a seeded generator; callers hold the state lock while drawing."""

    def __init__(self) -> None:
        self.config = FaultConfig()
        self._rng = random.Random(0)

    def configure(self, config: FaultConfig) -> None:
        """Switch to `config` and restart its random sequence from the seed."""
        self.config = config
        self._rng = random.Random(config.seed)

    def clear(self) -> None:
        """Turn every fault off."""
        self.configure(FaultConfig())

    def restart(self) -> None:
        """Restart the random sequence, so a run after a reset sees the same faults again."""
        self._rng = random.Random(self.config.seed)

    def draw(self) -> Fault | None:
        """Return the fault for the next faultable request, or None."""
        config = self.config
        if not (config.error_rate or config.rate_limit_rate or config.hang_rate):
            return None
        # Two draws per request whatever the outcome, so the sequence depends only on the seed
        # and the number of requests.
        roll, ambiguity = self._rng.random(), self._rng.random()
        deliver = ambiguity < 0.5
        if roll < config.error_rate:
            return Fault("error", deliver)
        if roll < config.error_rate + config.rate_limit_rate:
            return Fault("rate_limit", False)
        if roll < config.error_rate + config.rate_limit_rate + config.hang_rate:
            return Fault("hang", deliver)
        return None
