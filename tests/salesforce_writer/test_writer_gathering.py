"""Queue workers gather items that arrive one at a time into shared batches."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from regalsync.queue_worker import QueueWorker, Settle, Settlement
from regalsync.storage import ClaimedItem, QueueItem, Storage, open_storage

QUEUE = "gathering"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'regalsync.db'}")
    try:
        yield opened
    finally:
        await opened.close()


class Recorder:
    """A handler that remembers the size of every batch it was given."""

    def __init__(self) -> None:
        self.batches: list[int] = []

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        self.batches.append(len(items))
        return [Settlement(i.id, Settle.ACK) for i in items]


def item(number: int) -> QueueItem:
    return QueueItem(tenant="acme", idempotency_key=f"k{number}",
                     ordering_key=f"k{number}", payload=b"{}")


async def trickle(storage: Storage, count: int, *, every: float) -> None:
    """Queue ``count`` items one at a time, ``every`` seconds apart."""
    for number in range(count):
        await storage.enqueue(QUEUE, [item(number)])
        await asyncio.sleep(every)


async def drain(worker: QueueWorker, recorder: Recorder, count: int) -> None:
    while sum(recorder.batches) < count:
        if await worker.run_once() == 0:
            await asyncio.sleep(0.01)


class TestGathering:
    async def test_items_arriving_one_by_one_share_a_batch(self, storage: Storage) -> None:
        """Ten items queued 20 ms apart are handled in one or two batches."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             gather_seconds=0.3)

        await asyncio.gather(trickle(storage, 10, every=0.02),
                             drain(worker, recorder, 10))

        assert len(recorder.batches) <= 2

    async def test_without_gathering_each_item_is_its_own_batch(
            self, storage: Storage) -> None:
        """The default claims what is there at once (the contrast to the above)."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test")

        await asyncio.gather(trickle(storage, 10, every=0.02),
                             drain(worker, recorder, 10))

        assert len(recorder.batches) >= 5

    async def test_an_item_waits_no_longer_than_the_gathering_time(
            self, storage: Storage) -> None:
        """A lone item is handled about ``gather_seconds`` after it was queued."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             gather_seconds=0.2)
        await storage.enqueue(QUEUE, [item(1)])
        began = asyncio.get_running_loop().time()

        await worker.run_once()

        waited = asyncio.get_running_loop().time() - began
        assert recorder.batches == [1]
        assert 0.1 <= waited < 1.0

    async def test_items_already_old_are_not_held(self, storage: Storage) -> None:
        """Items that waited longer than the gathering time go at once."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             gather_seconds=0.2)
        await storage.enqueue(QUEUE, [item(1)])
        await asyncio.sleep(0.25)
        began = asyncio.get_running_loop().time()

        await worker.run_once()

        assert asyncio.get_running_loop().time() - began < 0.1

    async def test_items_given_no_gathering_time_go_at_once(self, storage: Storage) -> None:
        """A batch whose items may not be held is handled without waiting."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             gather_seconds=lambda i: 0.5 if i.idempotency_key[0] == "w"
                             else 0.0)
        await storage.enqueue(QUEUE, [item(1)])
        began = asyncio.get_running_loop().time()

        await worker.run_once()

        assert asyncio.get_running_loop().time() - began < 0.2
        assert recorder.batches == [1]

    async def test_each_kind_waits_its_own_gathering_time(self, storage: Storage) -> None:
        """An item given a shorter time is held only that long."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             gather_seconds=lambda i: 0.15)
        await storage.enqueue(QUEUE, [item(1)])
        began = asyncio.get_running_loop().time()

        await worker.run_once()

        waited = asyncio.get_running_loop().time() - began
        assert recorder.batches == [1]
        assert 0.08 <= waited < 0.4

    async def test_gathering_ends_once_a_batch_is_full(self, storage: Storage) -> None:
        """Under load the window does not cap throughput: a filled batch goes at once."""
        recorder = Recorder()
        worker = QueueWorker(storage, QUEUE, recorder.handle, worker="test",
                             batch_size=10, gather_seconds=5.0)
        await storage.enqueue(QUEUE, [item(0)])
        began = asyncio.get_running_loop().time()

        async def fill() -> None:
            await asyncio.sleep(0.05)
            await storage.enqueue(QUEUE, [item(n) for n in range(1, 10)])

        await asyncio.gather(fill(), worker.run_once())

        assert recorder.batches == [10]
        assert asyncio.get_running_loop().time() - began < 1.0
