"""A tenant's share of the org's daily Salesforce calls (SPEC L4)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from regalsync.errors import BudgetExhausted
from regalsync.salesforce.budget import API_CALLS_COUNTER, ApiBudget, OrgLimit
from regalsync.storage import ManualClock, Storage, open_storage

DAY = 86_400.0


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def storage(tmp_path: Path, clock: ManualClock) -> AsyncIterator[Storage]:
    async with await open_storage(f"sqlite:///{tmp_path}/budget.db", clock=clock) as opened:
        yield opened


def budget(storage: Storage, clock: ManualClock) -> ApiBudget:
    return ApiBudget(storage, clock=clock, cache_seconds=0)


class TestApiBudget:
    async def test_calls_reach_the_daily_counter(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Recorded calls are written to the tenant's counter for today."""
        meter = budget(storage, clock)
        meter.record("acme", 3, OrgLimit(3, 1000))
        await meter.close()

        assert await meter.used_today("acme") == 3

    async def test_spent_share_refuses_the_batch(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """At 10% of a 100-call allowance, the tenth call spends the share."""
        meter = budget(storage, clock)
        meter.record("acme", 10, OrgLimit(10, 100))

        with pytest.raises(BudgetExhausted, match="10 of 10 calls"):
            await meter.check("acme", 10)

    async def test_share_left_lets_the_batch_go(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Below the share the check passes."""
        meter = budget(storage, clock)
        meter.record("acme", 9, OrgLimit(9, 100))

        await meter.check("acme", 10)

    async def test_next_day_starts_from_zero(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """A spent share is available again the next UTC day."""
        meter = budget(storage, clock)
        meter.record("acme", 10, OrgLimit(10, 100))
        await meter.close()
        clock.advance(DAY)

        await meter.check("acme", 10)

    async def test_other_replicas_calls_count(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Calls another process wrote to storage count against the share."""
        meter = budget(storage, clock)
        meter.record("acme", 1, OrgLimit(1, 100))
        await meter.close()
        day = dt.datetime.fromtimestamp(clock(), dt.UTC).date()
        await storage.add_usage("acme", API_CALLS_COUNTER, day, 9)

        with pytest.raises(BudgetExhausted, match="10 of 10 calls"):
            await meter.check("acme", 10)

    async def test_unknown_allowance_is_not_enforced(
        self, storage: Storage, clock: ManualClock
    ) -> None:
        """Before the org's allowance is seen, nothing is refused."""
        meter = budget(storage, clock)
        meter.record("acme", 500)

        await meter.check("acme", 10)
