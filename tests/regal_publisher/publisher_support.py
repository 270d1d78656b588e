"""What the publisher's tests share: a tenant directory, events, window probes."""

from __future__ import annotations

import asyncio
import json

from regal_publisher.rate_limit import RequestWindow
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.storage import ClaimedItem
from sandbox.regal.app import RunningSandbox

KEY = "test-key"


class StaticTenants:
    """Answer like mapping-service's GetTenant for a fixed set of tenants."""

    def __init__(self, *tenants: mapping_pb2.Tenant) -> None:
        self._tenants = {t.tenant_id: t for t in tenants}

    async def get(self, tenant_id: str) -> mapping_pb2.Tenant:
        return self._tenants[tenant_id]


def tenant(sandbox: RunningSandbox, *, rate: float = 300.0,
           timeout: float = 10.0) -> mapping_pb2.Tenant:
    return mapping_pb2.Tenant(tenant_id="acme", regal=mapping_pb2.RegalConnection(
        events_url=sandbox.events_url, api_key_ref=KEY, requests_per_second=rate,
        timeout_seconds=timeout))


def items(count: int, *, attempts: int = 1) -> list[ClaimedItem]:
    return [ClaimedItem(id=n, queue="regal_events", tenant="acme",
                        idempotency_key=f"k{n}", ordering_key=f"profile-{n}",
                        payload=json.dumps({"name": "Salesforce Lead Created",
                                            "traits": {"phone": f"+1202555{n:04d}"}}).encode(),
                        attempts=attempts, enqueued_at=0.0, lease_until=0.0,
                        last_error=None)
            for n in range(count)]


async def requests_allowed_now(window: RequestWindow, *, most: int = 100) -> int:
    """Start requests one after another until one has to wait; return how many started."""
    for started in range(most):
        try:
            async with asyncio.timeout(0.05), window.slot():
                pass
        except TimeoutError:
            return started
    return most
