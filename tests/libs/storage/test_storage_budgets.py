"""Daily API usage counters and token buckets shared by replicas."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from regalsync.storage import ManualClock, Storage

DAY = dt.date(2024, 5, 1)


class TestUsage:
    async def test_usage_accumulates(self, storage: Storage) -> None:
        """Each addition returns the running total for the day."""
        assert await storage.add_usage("acme", "sf_api", DAY, 3) == 3
        assert await storage.add_usage("acme", "sf_api", DAY, 4) == 7
        assert await storage.get_usage("acme", "sf_api", DAY) == 7

    async def test_days_and_tenants_are_separate(self, storage: Storage) -> None:
        """A new day or another tenant starts from zero."""
        await storage.add_usage("acme", "sf_api", DAY, 3)

        next_day = DAY + dt.timedelta(days=1)
        assert await storage.get_usage("acme", "sf_api", next_day) == 0
        assert await storage.get_usage("globex", "sf_api", DAY) == 0

    async def test_concurrent_additions_all_count(
        self, storage: Storage, second_storage: Storage
    ) -> None:
        """Replicas adding at once lose no increment."""
        await asyncio.gather(*(
            (storage if n % 2 else second_storage).add_usage(
                "acme", "sf_api", DAY, 1
            )
            for n in range(20)
        ))

        assert await storage.get_usage("acme", "sf_api", DAY) == 20


class TestTokenBucket:
    async def test_burst_is_free(self, storage: Storage) -> None:
        """Calls within the burst need no wait."""
        waits = [
            await storage.take_tokens("regal:acme", 1, rate_per_second=10, burst=3)
            for _ in range(3)
        ]

        assert waits == [0, 0, 0]

    async def test_beyond_burst_waits_for_refill(self, storage: Storage) -> None:
        """A call past the burst is told how long to wait for its tokens."""
        await storage.take_tokens("regal:acme", 3, rate_per_second=10, burst=3)

        wait = await storage.take_tokens(
            "regal:acme", 2, rate_per_second=10, burst=3
        )

        assert wait == pytest.approx(0.2)

    async def test_waiting_callers_queue_behind_each_other(
        self, storage: Storage
    ) -> None:
        """Reservations add up, so a later caller waits longer."""
        await storage.take_tokens("k", 1, rate_per_second=1, burst=1)

        first = await storage.take_tokens("k", 1, rate_per_second=1, burst=1)
        second = await storage.take_tokens("k", 1, rate_per_second=1, burst=1)

        assert (first, second) == (pytest.approx(1), pytest.approx(2))

    async def test_bucket_refills_with_time(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """After idling, the bucket is full again but never above burst."""
        await storage.take_tokens("k", 3, rate_per_second=10, burst=3)
        clock.advance(60)

        assert await storage.take_tokens("k", 3, rate_per_second=10, burst=3) == 0
        assert await storage.take_tokens(
            "k", 1, rate_per_second=10, burst=3
        ) == pytest.approx(0.1)
