"""A cached view of tenants, read from mapping-service over gRPC."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

DEFAULT_TTL_SECONDS = 5.0


@dataclass
class _Entry:
    tenant: mapping_pb2.Tenant
    fetched_at: float


class TenantDirectory:
    """Answer ``get(tenant_id)`` from a short-lived cache.

    A short TTL bounds how long a process keeps acting on a configuration
    that was just replaced; it keeps mapping-service off the hot path.
    """

    def __init__(self, mapping: mapping_pb2_grpc.MappingServiceStub, *,
                 ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self._mapping = mapping
        self._ttl = ttl_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()

    async def get(self, tenant_id: str) -> mapping_pb2.Tenant:
        """Return the tenant's active configuration (NOT_FOUND propagates)."""
        fresh = self._fresh(tenant_id)
        if fresh is not None:
            return fresh
        async with self._lock:
            # Callers that queued behind the one that just fetched take its
            # answer: a batch of hundreds must not ask hundreds of times.
            fresh = self._fresh(tenant_id)
            if fresh is not None:
                return fresh
            tenant: mapping_pb2.Tenant = await self._mapping.GetTenant(
                mapping_pb2.GetTenantRequest(tenant_id=tenant_id))
            self._entries[tenant_id] = _Entry(tenant, time.monotonic())
            return tenant

    def _fresh(self, tenant_id: str) -> mapping_pb2.Tenant | None:
        entry = self._entries.get(tenant_id)
        if entry is not None and time.monotonic() - entry.fetched_at < self._ttl:
            return entry.tenant
        return None

    async def list(self) -> list[mapping_pb2.Tenant]:
        """Return every tenant with an active configuration."""
        response = await self._mapping.ListTenants(mapping_pb2.ListTenantsRequest())
        return list(response.tenants)
