"""The bot's clock: real time plus an offset that only demos and schedule tests move."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return datetime.now(UTC) + self._offset

    def advance(self, by: timedelta) -> datetime:
        """Move the clock forward (never back: deadlines already fired must stay fired)."""
        if by < timedelta(0):
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += by
        return self.now()

    @property
    def offset(self) -> timedelta:
        with self._lock:
            return self._offset
