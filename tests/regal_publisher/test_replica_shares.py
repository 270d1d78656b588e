"""Publisher replicas share each tenant's Regal rate through storage (ADR 0003).

Each replica here is what app.py builds: its windows and its membership,
on its own connection to one SQLite file. Clocks are manual and refreshes
are called by hand, so a test moves time instead of waiting for it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from publisher_support import KEY, StaticTenants, items, requests_allowed_now, tenant
from structlog.testing import capture_logs

from regal_publisher.delivery import Backoff
from regal_publisher.publishing import Publisher
from regal_publisher.rate_limit import RequestWindow, TenantRateLimits
from regal_publisher.replicas import MembershipTiming, ReplicaMembership
from regalsync.queue_worker import Settle
from regalsync.storage import ManualClock, Storage, StorageUnavailable, open_storage
from sandbox.regal.app import running_regal_sandbox
from sandbox.regal.settings import SandboxSettings

RATE = 40.0
TIMING = MembershipTiming()  # refresh 2 s, lease 10 s, drain 2 s: join wait 4 s, hold after 6 s


class FlakyLeases:
    """Storage's leases, failing while ``broken`` as an unreachable database would."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.broken = False

    def _check(self) -> None:
        if self.broken:
            raise StorageUnavailable("PostgreSQL unavailable")

    async def acquire_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        self._check()
        return await self.storage.acquire_lease(name, holder, ttl_seconds)

    async def renew_lease(self, name: str, holder: str, ttl_seconds: float) -> bool:
        self._check()
        return await self.storage.renew_lease(name, holder, ttl_seconds)

    async def release_lease(self, name: str, holder: str) -> bool:
        self._check()
        return await self.storage.release_lease(name, holder)

    async def count_live_leases(self, prefix: str) -> int:
        self._check()
        return await self.storage.count_live_leases(prefix)


@dataclass
class Replica:
    """One publisher process's windows and membership."""

    leases: FlakyLeases
    limits: TenantRateLimits
    membership: ReplicaMembership

    def window(self) -> RequestWindow:
        return self.limits.window("acme", RATE)


@pytest.fixture
def clock() -> ManualClock:
    """Both replicas' monotonic clock."""
    return ManualClock(0.0)


@pytest.fixture
def storage_clock() -> ManualClock:
    """The wall clock storage writes lease expiries with."""
    return ManualClock()


@pytest.fixture
async def replicas(tmp_path: Path, clock: ManualClock,
                   storage_clock: ManualClock) -> AsyncIterator[list[Replica]]:
    """Return two replicas on one SQLite file, not yet registered."""
    url = f"sqlite:///{tmp_path}/regalsync.db"
    opened = [await open_storage(url, clock=storage_clock) for _ in range(2)]
    made = []
    for n, storage in enumerate(opened):
        leases = FlakyLeases(storage)
        limits = TenantRateLimits(clock=clock)
        made.append(Replica(leases, limits, ReplicaMembership(
            leases, limits, f"pod-{n}", timing=TIMING, clock=clock)))
    try:
        yield made
    finally:
        for storage in opened:
            await storage.close()


async def test_a_replica_alone_starts_at_once_with_the_whole_rate(
        replicas: list[Replica]) -> None:
    a, _ = replicas
    await a.membership.refresh()

    assert a.membership.members == 1
    assert await requests_allowed_now(a.window()) == 40


async def test_two_replicas_hold_half_each_and_one_gets_the_whole_back_when_the_other_leaves(
        replicas: list[Replica], clock: ManualClock) -> None:
    a, b = replicas
    await a.membership.refresh()
    async with b.membership.taking_part():
        await b.membership.refresh()
        await a.membership.refresh()
        clock.advance(TIMING.join_wait_seconds)

        assert (a.membership.members, b.membership.members) == (2, 2)
        assert await requests_allowed_now(a.window()) == 20
        assert await requests_allowed_now(b.window()) == 20
        clock.advance(1.0)
    await a.membership.refresh()

    assert a.membership.members == 1
    assert await requests_allowed_now(a.window()) == 40


async def test_a_joining_replica_starts_nothing_until_the_others_have_seen_it(
        replicas: list[Replica], clock: ManualClock) -> None:
    """In every second of a join, both replicas together start at most the rate."""
    a, b = replicas
    await a.membership.refresh()
    assert await requests_allowed_now(a.window()) == 40
    await b.membership.refresh()
    assert await requests_allowed_now(b.window()) == 0

    clock.advance(1.0)  # a has not refreshed yet: it still holds the whole rate
    assert await requests_allowed_now(a.window()) == 40
    assert await requests_allowed_now(b.window()) == 0

    clock.advance(0.5)  # a sees b; its 40 still count against its half
    await a.membership.refresh()
    assert await requests_allowed_now(a.window()) == 0
    assert await requests_allowed_now(b.window()) == 0

    clock.advance(1.0)
    assert await requests_allowed_now(a.window()) == 20
    assert await requests_allowed_now(b.window()) == 0

    clock.advance(1.25)  # b waits out its join
    assert await requests_allowed_now(b.window()) == 0

    clock.advance(TIMING.join_wait_seconds - 3.75)
    assert await requests_allowed_now(a.window()) == 20
    assert await requests_allowed_now(b.window()) == 20


async def test_a_replica_that_dies_lowers_the_share_only_until_its_lease_expires(
        replicas: list[Replica], clock: ManualClock, storage_clock: ManualClock) -> None:
    a, b = replicas
    await a.membership.refresh()
    await b.membership.refresh()
    await a.membership.refresh()
    assert await requests_allowed_now(a.window()) == 20

    storage_clock.advance(TIMING.lease_seconds)
    clock.advance(1.0)
    await a.membership.refresh()

    assert a.membership.members == 1
    assert await requests_allowed_now(a.window()) == 40


async def test_storage_errors_keep_the_last_count_until_the_lease_may_have_expired(
        replicas: list[Replica], clock: ManualClock) -> None:
    """A failed refresh changes nothing at first; past the hold time the
    replica stops starting requests, and joins again once storage answers."""
    a, b = replicas
    await a.membership.refresh()
    await b.membership.refresh()
    await a.membership.refresh()
    a.leases.broken = True

    with capture_logs() as logs:
        clock.advance(TIMING.refresh_seconds)
        await a.membership.refresh()
    assert a.membership.members == 2
    assert await requests_allowed_now(a.window()) == 20
    assert logs == [{"event": "publisher_membership_refresh_failed", "log_level": "warning",
                     "error": "StorageUnavailable", "members": 2}]

    clock.advance(TIMING.hold_after_seconds - TIMING.refresh_seconds)
    assert await requests_allowed_now(a.window()) == 0

    a.leases.broken = False
    await b.membership.refresh()
    await a.membership.refresh()
    assert await requests_allowed_now(a.window()) == 0
    clock.advance(TIMING.join_wait_seconds)
    assert await requests_allowed_now(a.window()) == 20


async def test_a_leaving_replica_releases_its_lease_after_its_requests_leave_the_window(
        replicas: list[Replica], clock: ManualClock) -> None:
    """Until then the others keep their smaller share (the window here never
    empties on the manual clock, so b leaves after one real second)."""
    a, b = replicas
    await a.membership.refresh()
    delivering, done = asyncio.Event(), asyncio.Event()

    async def take_part() -> None:
        async with b.membership.taking_part():
            await b.membership.refresh()
            clock.advance(TIMING.join_wait_seconds)
            assert await requests_allowed_now(b.window(), most=1) == 1
            delivering.set()
            await done.wait()

    b_taking_part = asyncio.create_task(take_part())
    await delivering.wait()
    done.set()
    await asyncio.sleep(0.2)
    await a.membership.refresh()
    assert a.membership.members == 2

    await b_taking_part
    await a.membership.refresh()
    assert a.membership.members == 1


async def test_no_request_starts_before_the_first_refresh(replicas: list[Replica]) -> None:
    a, _ = replicas
    a.leases.broken = True
    async with a.membership.taking_part():
        assert await requests_allowed_now(a.window()) == 0


async def test_two_publishers_together_stay_within_the_tenants_rate(
        tmp_path: Path) -> None:
    """Regal, holding the account to 20 per second, refuses none of the
    40 events two publishers deliver at once (each alone would send 20 at once)."""
    timing = MembershipTiming(refresh_seconds=0.05, lease_seconds=1.0, drain_seconds=0.05)
    url = f"sqlite:///{tmp_path}/regalsync.db"
    settings = SandboxSettings(api_keys=(KEY,), rate_limit=20)
    async with (running_regal_sandbox(settings) as sandbox,
                aiohttp.ClientSession() as http,
                await open_storage(url) as first, await open_storage(url) as second):
        publishers = []
        for n, storage in enumerate((first, second)):
            limits = TenantRateLimits()
            membership = ReplicaMembership(storage, limits, f"pod-{n}", timing=timing)
            await membership.refresh()
            publishers.append((membership, Publisher(
                http, StaticTenants(tenant(sandbox, rate=20.0)),  # type: ignore[arg-type]
                backoff=Backoff(base=1.0, cap=8.0), limits=limits)))
        async with publishers[0][0].taking_part(), publishers[1][0].taking_part():
            await publishers[0][0].refresh()
            assert [m.members for m, _ in publishers] == [2, 2]
            settled = await asyncio.gather(*(p.handle(items(20)) for _, p in publishers))

    assert [s.action for group in settled for s in group] == [Settle.ACK] * 40
