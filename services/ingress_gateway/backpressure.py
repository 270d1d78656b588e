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

import structlog

from regalsync.storage._queues import QueueStore

log = structlog.get_logger(__name__)


class InboxLimit:
    """Tell whether the inbox is full, reading its depth at most once a second.

    Only the first answer waits for a reading. After that a stale reading
    is refreshed in the background while webhooks are answered from the
    last one: the limit is a soft bound, and no webhook's acknowledgement
    should wait for a count of the inbox.
    """

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
        self._first_reading = asyncio.Lock()
        self._refreshing: asyncio.Task[None] | None = None

    async def full(self) -> bool:
        """Return True while the inbox holds ``max_pending`` items or more (0: no limit)."""
        if self._max_pending <= 0:
            return False
        if self._read_at is None:
            async with self._first_reading:
                if self._read_at is None:
                    await self._read()
        elif self._clock() - self._read_at >= self._refresh and \
                (self._refreshing is None or self._refreshing.done()):
            self._refreshing = asyncio.create_task(self._read_in_background())
        return self._pending >= self._max_pending

    async def _read(self) -> None:
        read_at = self._clock()
        stats = await self._queues.depth(self._queue)
        self._pending = stats.pending + stats.in_flight
        self._read_at = read_at

    async def _read_in_background(self) -> None:
        try:
            await self._read()
        except Exception:  # storage trouble: keep the last reading, try again later
            log.warning("inbox_depth_unreadable", queue=self._queue, exc_info=True)
