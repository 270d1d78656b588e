"""Time as storage sees it, injectable so tests need not sleep."""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["Clock", "ManualClock", "system_clock"]

Clock = Callable[[], float]
"""A source of the current time in seconds since the Unix epoch."""


def system_clock() -> float:
    """Return the wall-clock time; replicas must keep it in sync (NTP)."""
    return time.time()


class ManualClock:
    """A clock that moves only when told to, for tests."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def __call__(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds`."""
        self._now += seconds
