"""A sliding one-second window of admitted requests per account."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 1.0


class SlidingWindowLimiter:
    """Admit at most ``limit`` requests per key in any one-second window.

    A limit of 0 admits everything. Refused requests do not count, so a
    client that waits ``Retry-After`` gets through.
    """

    def __init__(self, limit: int, clock: Callable[[], float]) -> None:
        self.limit = limit
        self._clock = clock
        self._admitted: dict[str, deque[float]] = {}

    def admit(self, key: str) -> int | None:
        """Count one request for ``key``; return None or whole seconds to wait."""
        if self.limit <= 0:
            return None
        now = self._clock()
        window = self._admitted.setdefault(key, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) < self.limit:
            window.append(now)
            return None
        # Retry-After is whole seconds, and a wait of 0 would invite a retry storm.
        return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))

    def reset(self) -> None:
        """Forget every admitted request."""
        self._admitted.clear()
