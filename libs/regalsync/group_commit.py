"""Write many small, concurrent enqueues as one transaction.

Every accepted webhook must be durable before it is acknowledged; done one
by one, that is one commit (and one fsync) per request, and concurrent
requests queue behind each other's commits. Requests that arrive while a
commit is in flight wait for the next one, which takes them all: the
commit rate stays constant while the requests per commit grow with load.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from regalsync.storage import QueueItem
from regalsync.storage._queues import QueueStore

_Waiter = tuple[Sequence[QueueItem], "asyncio.Future[list[bool]]"]


class GroupCommit:
    """``enqueue`` that shares commits between concurrent callers."""

    def __init__(self, queues: QueueStore, queue: str, *, max_items: int = 1000) -> None:
        self._queues = queues
        self._queue = queue
        self._max_items = max_items
        self._waiting: list[_Waiter] = []
        self._flusher: asyncio.Task[None] | None = None

    async def enqueue(self, items: Sequence[QueueItem]) -> list[bool]:
        """Store ``items`` durably; return per item whether it was new."""
        future: asyncio.Future[list[bool]] = asyncio.get_running_loop().create_future()
        self._waiting.append((items, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._waiting:
            batch = self._take_batch()
            items = [item for waiter_items, _ in batch for item in waiter_items]
            try:
                accepted = await self._queues.enqueue(self._queue, items)
            except Exception as error:  # every waiter learns of the failure
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            start = 0
            for waiter_items, future in batch:
                end = start + len(waiter_items)
                if not future.done():
                    future.set_result(accepted[start:end])
                start = end

    def _take_batch(self) -> list[_Waiter]:
        batch: list[_Waiter] = []
        count = 0
        while self._waiting and (not batch or count + len(self._waiting[0][0])
                                 <= self._max_items):
            waiter = self._waiting.pop(0)
            batch.append(waiter)
            count += len(waiter[0])
        return batch
