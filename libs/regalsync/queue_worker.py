"""Drain a durable queue: claim a batch, handle it, settle every item.

The three stages that own a queue (the ingress inbox, the publisher and
the writer) share this loop; each supplies only a handler that turns a
batch of claimed items into one settlement per item.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from regalsync.storage import ClaimedItem
from regalsync.storage._queues import QueueStore

log = structlog.get_logger(__name__)


class Settle(enum.Enum):
    ACK = "ack"
    RETRY = "retry"
    DEAD = "dead"
    # The handler already moved the item on (e.g. with QueueStore.move).
    DONE = "done"


@dataclass(frozen=True)
class Settlement:
    item_id: int
    action: Settle
    reason: str = ""
    delay_seconds: float = 0.0


Handler = Callable[[Sequence[ClaimedItem]], Awaitable[Sequence[Settlement]]]


def worker_name(service: str) -> str:
    """Return a name unique to this process, for leases."""
    return f"{service}@{socket.gethostname()}:{os.getpid()}"


class QueueWorker:
    """Run ``handler`` over a queue until stopped."""

    def __init__(
        self,
        queues: QueueStore,
        queue: str,
        handler: Handler,
        *,
        worker: str,
        batch_size: int = 200,
        lease_seconds: float = 60.0,
        poll_seconds: float = 0.2,
        max_attempts: int = 20,
    ) -> None:
        self._queues = queues
        self._queue = queue
        self._handler = handler
        self._worker = worker
        self._batch_size = batch_size
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and handle batches until ``stop`` is set; finish the batch in hand."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                # Storage unreachable or locked: nothing was settled, the
                # leases expire and the items come back. Keep the loop alive.
                log.exception("queue_worker_failed", queue=self._queue)
                handled = 0
            if handled == 0:
                await self._idle(stop)

    async def run_once(self) -> int:
        """Claim one batch and settle it; return how many items it held."""
        items = await self._queues.claim(self._queue, worker=self._worker,
                                         limit=self._batch_size, lease_seconds=self._lease)
        if not items:
            return 0
        poisoned = [i for i in items if i.attempts > self._max_attempts]
        if poisoned:
            await self._queues.dead_letter(self._queue, [i.id for i in poisoned],
                                           "too_many_attempts")
            items = [i for i in items if i.attempts <= self._max_attempts]
        try:
            settlements = await self._handler(items)
        except Exception:
            # A failing batch is retried whole; idempotency keys make the
            # retry harmless, and max_attempts bounds a poison batch.
            log.exception("queue_batch_failed", queue=self._queue, items=len(items))
            await self._queues.retry(self._queue, [i.id for i in items],
                                     delay_seconds=1.0, error="batch_failed")
            return len(items)
        await self._settle(settlements)
        return len(items)

    async def _settle(self, settlements: Sequence[Settlement]) -> None:
        acks = [s.item_id for s in settlements if s.action is Settle.ACK]
        if acks:
            await self._queues.ack(self._queue, acks)
        for s in settlements:
            if s.action is Settle.RETRY:
                await self._queues.retry(self._queue, [s.item_id],
                                         delay_seconds=s.delay_seconds, error=s.reason)
            elif s.action is Settle.DEAD:
                await self._queues.dead_letter(self._queue, [s.item_id], s.reason)

    async def _idle(self, stop: asyncio.Event) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stopped, woken}, timeout=self._poll,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (stopped, woken):
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        self._wake.clear()
