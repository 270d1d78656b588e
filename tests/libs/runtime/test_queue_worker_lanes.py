"""Queue workers keep several batches in flight without breaking key order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from regalsync.queue_worker import QueueWorker, Settle, Settlement
from regalsync.storage import ClaimedItem, QueueItem, Storage, open_storage

QUEUE = "lanes"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'regalsync.db'}")
    try:
        yield opened
    finally:
        await opened.close()


class SlowHandler:
    """Takes ``seconds`` per batch, as a batch waiting on Salesforce would.

    It records which ordering keys are in its hands at every moment, and
    the order in which each key's items were handled.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.in_flight: set[str] = set()
        self.most_batches_at_once = 0
        self.batches_now = 0
        self.key_clash = False
        self.handled: list[str] = []
        self.count_reached = asyncio.Event()
        self.expected = 0

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        keys = {i.ordering_key for i in items}
        if keys & self.in_flight or len(keys) < len(items):
            self.key_clash = True
        self.in_flight |= keys
        self.batches_now += 1
        self.most_batches_at_once = max(self.most_batches_at_once, self.batches_now)
        await asyncio.sleep(self.seconds)
        self.batches_now -= 1
        self.in_flight -= keys
        self.handled.extend(i.idempotency_key for i in items)
        if self.expected and len(self.handled) >= self.expected:
            self.count_reached.set()
        return [Settlement(i.id, Settle.ACK) for i in items]


def items(count: int, *, keys: int, start: int = 0) -> list[QueueItem]:
    """``count`` items spread over ``keys`` ordering keys, numbered in order."""
    return [QueueItem(tenant="acme", idempotency_key=f"item-{n}",
                      ordering_key=f"key-{n % keys}", payload=b"{}")
            for n in range(start, start + count)]


async def run_until_drained(worker: QueueWorker, handler: SlowHandler,
                            count: int) -> float:
    """Run the worker until ``count`` items were handled; return the seconds."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handler.expected = count
    began = loop.time()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(handler.count_reached.wait(), timeout=20)
    elapsed = loop.time() - began
    stop.set()
    worker.wake()
    await asyncio.wait_for(task, timeout=5)
    return elapsed


class TestBatchesInFlight:
    async def test_slow_batches_overlap(self, storage: Storage) -> None:
        """Four full batches of 0.5 s each finish in about one batch's time."""
        handler = SlowHandler(seconds=0.5)
        worker = QueueWorker(storage, QUEUE, handler.handle, worker="test",
                             batch_size=10, batches_in_flight=4)
        await storage.enqueue(QUEUE, items(40, keys=40))

        elapsed = await run_until_drained(worker, handler, 40)

        assert handler.most_batches_at_once == 4
        assert elapsed < 1.5

    async def test_one_lane_handles_one_batch_at_a_time(self, storage: Storage) -> None:
        """The default keeps the old behaviour: batches one after another."""
        handler = SlowHandler(seconds=0.2)
        worker = QueueWorker(storage, QUEUE, handler.handle, worker="test",
                             batch_size=10)
        await storage.enqueue(QUEUE, items(30, keys=30))

        elapsed = await run_until_drained(worker, handler, 30)

        assert handler.most_batches_at_once == 1
        assert elapsed >= 0.6

    async def test_a_key_is_never_in_two_batches_at_once(self, storage: Storage) -> None:
        """Items sharing a key are handled one at a time, in queue order."""
        handler = SlowHandler(seconds=0.05)
        worker = QueueWorker(storage, QUEUE, handler.handle, worker="test",
                             batch_size=4, batches_in_flight=4)
        await storage.enqueue(QUEUE, items(48, keys=6))

        await run_until_drained(worker, handler, 48)

        assert not handler.key_clash
        for key in range(6):
            numbers = [int(k.split("-")[1]) for k in handler.handled
                       if int(k.split("-")[1]) % 6 == key]
            assert numbers == sorted(numbers)
        assert len(handler.handled) == 48

    async def test_arrivals_wake_an_idle_lane_while_another_works(
            self, storage: Storage) -> None:
        """Items queued while a slow batch is in hand start before it ends."""
        handler = SlowHandler(seconds=1.0)
        worker = QueueWorker(storage, QUEUE, handler.handle, worker="test",
                             batch_size=10, batches_in_flight=2, poll_seconds=5.0)
        stop = asyncio.Event()
        await storage.enqueue(QUEUE, items(1, keys=100))
        task = asyncio.create_task(worker.run(stop))
        await asyncio.sleep(0.1)
        await storage.enqueue(QUEUE, items(1, keys=100, start=1))
        worker.wake()
        await asyncio.sleep(0.3)

        assert handler.batches_now == 2
        stop.set()
        worker.wake()
        await asyncio.wait_for(task, timeout=5)
        assert sorted(handler.handled) == ["item-0", "item-1"]

    def test_no_lanes_is_refused(self, storage: Storage) -> None:
        with pytest.raises(ValueError, match="batches_in_flight"):
            QueueWorker(storage, QUEUE, SlowHandler(0).handle, worker="test",
                        batches_in_flight=0)
