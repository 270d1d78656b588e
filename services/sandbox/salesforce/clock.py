"""The sandbox's clock: wall time plus an offset tests can advance."""

from __future__ import annotations

import time


class SandboxClock:
    """Tell the time, shifted by however far a test moved it forward."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> float:
        """Return seconds since the epoch on the sandbox's clock."""
        return time.time() + self.offset_seconds

    def advance(self, seconds: float) -> float:
        """Move the clock forward and return the new time."""
        self.offset_seconds += seconds
        return self.now()
