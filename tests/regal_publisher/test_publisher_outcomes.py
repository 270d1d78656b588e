"""Specify what the publisher does with each answer Regal gives (issue 4, item 6).

The publisher posts to the in-process Regal sandbox; only the tenant
directory (mapping-service over gRPC in production) is a stand-in.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence

import aiohttp
import pytest
from publisher_support import KEY, StaticTenants, items, tenant

from regal_publisher.delivery import Backoff
from regal_publisher.publishing import Publisher
from regalsync.queue_worker import Settle, Settlement
from regalsync.storage import ClaimedItem
from sandbox.regal.app import RunningSandbox, running_regal_sandbox
from sandbox.regal.settings import SandboxSettings


@pytest.fixture
async def sandbox() -> AsyncIterator[RunningSandbox]:
    async with running_regal_sandbox(SandboxSettings(api_keys=(KEY,), rate_limit=0)) as sb:
        yield sb


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def deliver(http: aiohttp.ClientSession, sandbox: RunningSandbox,
                  batch: Sequence[ClaimedItem], **options: float) -> list[Settlement]:
    publisher = Publisher(http, StaticTenants(tenant(sandbox, **options)),  # type: ignore[arg-type]
                          backoff=Backoff(base=1.0, cap=8.0))
    return await publisher.handle(batch)


def fault(sandbox: RunningSandbox, kind: str, *, status: int = 503, count: int = 1,
          delay: float = 0.0) -> None:
    faults = sandbox.state.faults
    faults.add(kind, api_key=None, count=count, status=status,  # type: ignore[arg-type]
               delay_seconds=delay)


class TestOutcomes:
    async def test_accepted_event_is_acknowledged(
            self, http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
        """A 200 removes the event from the queue."""
        [settled] = await deliver(http, sandbox, items(1))
        assert settled.action is Settle.ACK

    @pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
    async def test_transient_errors_are_retried_with_backoff(
            self, http: aiohttp.ClientSession, sandbox: RunningSandbox, status: int) -> None:
        """5xx and 429 retry after an exponential, jittered delay."""
        fault(sandbox, "error", status=status)
        [settled] = await deliver(http, sandbox, items(1, attempts=3))
        assert settled.action is Settle.RETRY
        assert settled.reason == f"http_{status}"
        assert 2.0 <= settled.delay_seconds <= 4.0

    @pytest.mark.parametrize("status", [400, 401, 403])
    async def test_permanent_errors_are_dead_letters(
            self, http: aiohttp.ClientSession, sandbox: RunningSandbox, status: int) -> None:
        """Other 4xx answers park the event with the status as its reason."""
        fault(sandbox, "error", status=status)
        [settled] = await deliver(http, sandbox, items(1))
        assert (settled.action, settled.reason) == (Settle.DEAD, f"http_{status}")

    async def test_timeout_is_retried(
            self, http: aiohttp.ClientSession, sandbox: RunningSandbox) -> None:
        """A request slower than the tenant's timeout is retried."""
        fault(sandbox, "delay", delay=1.0)
        [settled] = await deliver(http, sandbox, items(1), timeout=0.2)
        assert (settled.action, settled.reason) == (Settle.RETRY, "timeout")


class TestRegalLimits:
    async def test_retry_after_is_honoured(self, http: aiohttp.ClientSession) -> None:
        """Regal's own 429 names the wait; the retry waits exactly that long."""
        settings = SandboxSettings(api_keys=(KEY,), rate_limit=1)
        async with running_regal_sandbox(settings) as sandbox:
            first, second = await deliver(http, sandbox, items(2))
        assert first.action is Settle.ACK
        assert second.action is Settle.RETRY
        assert second.delay_seconds == 1.0

    async def test_tenant_rate_comes_from_its_configuration(
            self, http: aiohttp.ClientSession) -> None:
        """At 50 requests/s, 120 events span two full windows and Regal,
        holding the account to the same 50 per second, refuses none."""
        settings = SandboxSettings(api_keys=(KEY,), rate_limit=50)
        async with running_regal_sandbox(settings) as sandbox:
            started = time.monotonic()
            settled = await deliver(http, sandbox, items(120), rate=50.0)
            elapsed = time.monotonic() - started
        assert [s.action for s in settled] == [Settle.ACK] * 120
        assert elapsed >= 2.0
