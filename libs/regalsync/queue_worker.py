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
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import structlog

from regalsync.metrics import current_metrics
from regalsync.storage import ClaimedItem
from regalsync.storage._queues import QueueStore
from regalsync.tracing import batch_span

log = structlog.get_logger(__name__)
# How often a gathering batch looks whether enough has arrived to fill it.
_GATHER_CHECK_SECONDS = 0.1


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
        gather_seconds: float | Callable[[ClaimedItem], float] = 0.0,
        batches_in_flight: int = 1,
    ) -> None:
        if batches_in_flight < 1:
            raise ValueError("batches_in_flight must be at least 1")
        self._queues = queues
        self._queue = queue
        self._handler = handler
        self._worker = worker
        self._batch_size = batch_size
        self._lease = lease_seconds
        self._poll = poll_seconds
        self._max_attempts = max_attempts
        # How long an item may be held for company: one time for all, or
        # one per kind of item.
        self._gather_for = gather_seconds if callable(gather_seconds) else \
            lambda _item: gather_seconds
        self._lanes = batches_in_flight
        # One lane claims (and gathers) at a time, so lanes add batches in
        # flight without splitting what would have been one batch in two.
        self._claiming = asyncio.Lock()
        self._wake = asyncio.Event()
        # Inside a service, settlements are counted and the queue's depth
        # is read from storage whenever Prometheus scrapes.
        self._metrics = current_metrics()
        if self._metrics is not None:
            self._metrics.on_scrape(self._report_depth)

    def wake(self) -> None:
        """Look for work now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim and handle batches until ``stop`` is set; finish the batches in hand.

        Up to ``batches_in_flight`` batches are handled at once. Claims
        hand out at most one item per ordering key, so batches in flight
        together never hold two items of one key, as with replicas.
        """
        await asyncio.gather(*(self._lane(stop, polls=lane == 0)
                               for lane in range(self._lanes)))

    async def _lane(self, stop: asyncio.Event, *, polls: bool) -> None:
        """Handle batches; when idle, only the polling lane looks on a timer."""
        while not stop.is_set():
            try:
                handled = await self.run_once()
            except Exception:
                # Storage unreachable or locked: nothing was settled, the
                # leases expire and the items come back. Keep the loop alive.
                log.exception("queue_worker_failed", queue=self._queue)
                handled = 0
            if not handled:
                await self._idle(stop, poll_seconds=self._poll if polls else None)

    async def run_once(self) -> int:
        """Claim one batch and settle it; return how many items it held."""
        async with self._claiming:
            items = await self._queues.claim(self._queue, worker=self._worker,
                                             limit=self._batch_size,
                                             lease_seconds=self._lease)
            if not items:
                return 0
            items = await self._gathered(items)
        if self._lanes > 1 and len(items) >= self._batch_size:
            # A full batch: more may be waiting, so let an idle lane look
            # while this one works. New arrivals wake the lanes themselves.
            self._wake.set()
        poisoned = [i for i in items if i.attempts > self._max_attempts]
        if poisoned:
            await self._queues.dead_letter(self._queue, [i.id for i in poisoned],
                                           "too_many_attempts")
            self._count([Settlement(i.id, Settle.DEAD) for i in poisoned], poisoned)
            items = [i for i in items if i.attempts <= self._max_attempts]
        try:
            # The batch continues the trace its first item was offered in.
            with batch_span(self._queue, len(items), (i.trace_context for i in items)):
                settlements = await self._handler(items)
        except Exception:
            # A failing batch is retried whole; idempotency keys make the
            # retry harmless, and max_attempts bounds a poison batch.
            log.exception("queue_batch_failed", queue=self._queue, items=len(items))
            await self._queues.retry(self._queue, [i.id for i in items],
                                     delay_seconds=1.0, error="batch_failed")
            self._count([Settlement(i.id, Settle.RETRY) for i in items], items)
            return len(items)
        await self._settle(settlements)
        self._count(settlements, items)
        return len(items)

    async def _gathered(self, items: list[ClaimedItem]) -> list[ClaimedItem]:
        """Hold a small, fresh batch briefly and add what arrived meanwhile.

        Items posted one at a time would otherwise each pay for their own
        downstream calls; no item waits longer than its gathering time
        after it was queued, and a full or older batch does not wait.
        The wait also ends as soon as enough has arrived to fill the
        batch: lanes gather one at a time, so under load a full window
        would cap the throughput at one batch per window.
        """
        if len(items) >= self._batch_size:
            return items
        window = max(self._gather_for(item) for item in items)
        if window <= 0:
            return items
        oldest = min(item.enqueued_at for item in items)
        wait = min(window, oldest + window - time.time())
        if wait <= 0:
            return items
        deadline = time.monotonic() + wait
        missing = self._batch_size - len(items)
        while (wait := deadline - time.monotonic()) > 0:
            await asyncio.sleep(min(wait, _GATHER_CHECK_SECONDS))
            if wait > _GATHER_CHECK_SECONDS and await self._queues.has_claimable(
                    self._queue, missing):
                break
        more = await self._queues.claim(self._queue, worker=self._worker, limit=missing,
                                        lease_seconds=self._lease)
        return items + more

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

    def _count(self, settlements: Sequence[Settlement], items: Sequence[ClaimedItem]) -> None:
        if self._metrics is None:
            return
        by_id = {item.id: item for item in items}
        now = time.time()  # enqueued_at is wall-clock time, as storage records it
        for s in settlements:
            item = by_id.get(s.item_id)
            if item is None:
                continue
            self._metrics.settled(self._queue, item.tenant, s.action.value)
            if s.action is Settle.ACK:
                self._metrics.lag(self._queue, now - item.enqueued_at)

    async def _report_depth(self) -> None:
        if self._metrics is None:
            return
        stats = await self._queues.depth(self._queue)
        self._metrics.queue_depth(
            self._queue, pending=stats.pending, in_flight=stats.in_flight, dead=stats.dead,
            oldest_age_seconds=stats.oldest_age_seconds)

    async def _idle(self, stop: asyncio.Event, *, poll_seconds: float | None) -> None:
        stopped = asyncio.ensure_future(stop.wait())
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({stopped, woken}, timeout=poll_seconds,
                               return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (stopped, woken):
                waiter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await waiter
        self._wake.clear()
