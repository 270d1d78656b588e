"""The tenant directory asks mapping-service once per tenant and TTL."""

from __future__ import annotations

import asyncio

from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.tenants import TenantDirectory


class CountingMapping:
    """Answers GetTenant slowly, as a busy mapping-service would, and counts."""

    def __init__(self) -> None:
        self.calls = 0

    async def GetTenant(self, request: mapping_pb2.GetTenantRequest,
                        ) -> mapping_pb2.Tenant:
        self.calls += 1
        await asyncio.sleep(0.05)
        return mapping_pb2.Tenant(tenant_id=request.tenant_id)


async def test_a_batch_of_concurrent_lookups_asks_once() -> None:
    mapping = CountingMapping()
    directory = TenantDirectory(mapping, ttl_seconds=5)  # type: ignore[arg-type]

    found = await asyncio.gather(*(directory.get("acme") for _ in range(200)))

    assert {t.tenant_id for t in found} == {"acme"}
    assert mapping.calls == 1


async def test_an_expired_entry_is_fetched_again() -> None:
    mapping = CountingMapping()
    directory = TenantDirectory(mapping, ttl_seconds=0.1)  # type: ignore[arg-type]
    await directory.get("acme")
    await asyncio.sleep(0.15)

    await asyncio.gather(*(directory.get("acme") for _ in range(50)))
    await asyncio.sleep(0.1)

    assert mapping.calls == 2


async def test_each_tenant_is_asked_for_separately() -> None:
    mapping = CountingMapping()
    directory = TenantDirectory(mapping, ttl_seconds=5)  # type: ignore[arg-type]

    await asyncio.gather(*(directory.get(t) for t in ("acme", "globex") for _ in range(20)))

    assert mapping.calls == 2


async def test_an_entry_in_use_is_renewed_before_it_expires() -> None:
    """Near the end of its TTL an entry is answered at once and fetched again
    in the background, so callers never all wait on mapping-service."""
    mapping = CountingMapping()
    directory = TenantDirectory(mapping, ttl_seconds=0.5)  # type: ignore[arg-type]
    await directory.get("acme")
    await asyncio.sleep(0.42)

    began = asyncio.get_running_loop().time()
    await asyncio.gather(*(directory.get("acme") for _ in range(50)))
    waited = asyncio.get_running_loop().time() - began
    await asyncio.sleep(0.1)  # the background fetch (50 ms) completes
    await asyncio.sleep(0.1)  # past the first entry's TTL: the renewed one answers
    began = asyncio.get_running_loop().time()
    await directory.get("acme")

    assert waited < 0.04
    assert asyncio.get_running_loop().time() - began < 0.04
    assert mapping.calls == 2


async def test_an_expired_entry_waits_for_a_fresh_answer() -> None:
    """No answer is older than the TTL: a configuration change holds within it."""
    mapping = CountingMapping()
    directory = TenantDirectory(mapping, ttl_seconds=0.1)  # type: ignore[arg-type]
    await directory.get("acme")
    await asyncio.sleep(0.15)

    began = asyncio.get_running_loop().time()
    await directory.get("acme")

    assert asyncio.get_running_loop().time() - began >= 0.04
    assert mapping.calls == 2
