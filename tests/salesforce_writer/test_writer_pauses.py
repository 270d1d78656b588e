"""A REQUEST_LIMIT_EXCEEDED pause holds on every writer replica (SPEC L4)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import cast

import pytest

from regalsync.queue_worker import Settle
from regalsync.salesforce.registry import SalesforceClients
from regalsync.storage import ClaimedItem, QueueItem, Storage, open_storage
from salesforce_writer.pauses import TenantPauses
from salesforce_writer.writing import Writer


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    opened = await open_storage(f"sqlite:///{tmp_path / 'regalsync.db'}")
    try:
        yield opened
    finally:
        await opened.close()


class Unreachable:
    """Salesforce clients a paused writer must not ask for."""

    async def get(self, tenant: str) -> None:
        raise AssertionError(f"a paused writer reached Salesforce for {tenant}")


def claimed(item_id: int) -> ClaimedItem:
    return ClaimedItem(id=item_id, queue="salesforce_writes", tenant="acme",
                       idempotency_key=f"w{item_id}", ordering_key=f"r{item_id}",
                       payload=b"", attempts=1, enqueued_at=0.0, lease_until=0.0,
                       last_error=None)


class TestPausesAcrossReplicas:
    async def test_pause_set_by_one_replica_is_seen_by_another(
            self, storage: Storage) -> None:
        """A second replica reads the pause the first one stored."""
        await TenantPauses(storage).pause("acme", 60)

        remaining = await TenantPauses(storage).remaining("acme")

        assert 55 < remaining <= 60
        assert await TenantPauses(storage).remaining("other") == 0

    async def test_shorter_pause_never_cuts_a_longer_one(self, storage: Storage) -> None:
        """A later, shorter pause leaves the stored resume time alone."""
        first, second = TenantPauses(storage), TenantPauses(storage)
        await first.pause("acme", 300)
        await second.pause("acme", 1)

        assert await TenantPauses(storage).remaining("acme") > 290

    async def test_writer_of_another_replica_holds_the_batch(self, storage: Storage) -> None:
        """Writes claimed while another replica's pause runs are retried after it."""
        await TenantPauses(storage).pause("acme", 30)
        writer = Writer(cast(SalesforceClients, Unreachable()),
                        pauses=TenantPauses(storage))

        settlements = await writer.handle([claimed(1), claimed(2)])

        assert {s.action for s in settlements} == {Settle.RETRY}
        assert all(25 < s.delay_seconds <= 30 for s in settlements)

    async def test_pause_ends_when_its_time_is_up(self, storage: Storage) -> None:
        """After the resume time the tenant writes again."""
        now = [1000.0]
        pauses = TenantPauses(storage, clock=lambda: now[0])
        await pauses.pause("acme", 5)
        now[0] += 6

        assert await pauses.remaining("acme") == 0

    async def test_writes_held_by_a_pause_keep_their_attempts(
            self, storage: Storage) -> None:
        """Waiting out a long limit pause never pushes writes toward dead letters."""
        await storage.enqueue("salesforce_writes", [QueueItem(
            tenant="acme", idempotency_key="w1", ordering_key="r1", payload=b"")])
        [item] = await storage.claim("salesforce_writes", worker="test", limit=1,
                                     lease_seconds=30)
        await TenantPauses(storage).pause("acme", 0.05)
        writer = Writer(cast(SalesforceClients, Unreachable()), pauses=TenantPauses(storage),
                        postpone=lambda ids, seconds, reason: storage.postpone(
                            "salesforce_writes", ids, delay_seconds=seconds, reason=reason))

        [settlement] = await writer.handle([item])
        await asyncio.sleep(0.1)
        [again] = await storage.claim("salesforce_writes", worker="test", limit=1,
                                      lease_seconds=30)

        assert settlement.action is Settle.DONE
        assert again.attempts == item.attempts
