"""Refuse new webhooks while the inbox holds more than it should.

The inbox is on disk, so a backlog costs storage rather than memory, but
a backlog that keeps growing means the pipeline cannot keep up and every
new event will wait longer. Past ``max_pending`` the ingress answers 429
with ``Retry-After`` (Regal retries when its support enables retries), so
an overload shows at the edge instead of as hours of lag.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from regalsync.storage._queues import QueueStore


class InboxLimit:
    """Tell whether the inbox is full, reading its depth at most once a second."""

    def __init__(self, queues: QueueStore, queue: str, *, max_pending: int,
                 refresh_seconds: float = 1.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._queues = queues
        self._queue = queue
        self._max_pending = max_pending
        self._refresh = refresh_seconds
        self._clock = clock
        self._pending = 0
        self._read_at: float | None = None
        self._lock = asyncio.Lock()

    async def full(self) -> bool:
        """Return True while the inbox holds ``max_pending`` items or more (0: no limit)."""
        if self._max_pending <= 0:
            return False
        async with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self._refresh:
                stats = await self._queues.depth(self._queue)
                self._pending = stats.pending + stats.in_flight
                self._read_at = now
        return self._pending >= self._max_pending
