"""A cached view of tenants, read from mapping-service over gRPC."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import grpc
import structlog

from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

log = structlog.get_logger(__name__)

DEFAULT_TTL_SECONDS = 5.0
# An entry in use is fetched again once this share of its TTL has passed.
_REFRESH_AHEAD = 0.8


@dataclass
class _Entry:
    tenant: mapping_pb2.Tenant
    fetched_at: float


class TenantDirectory:
    """Answer ``get(tenant_id)`` from a short-lived cache.

    A short TTL bounds how long a process keeps acting on a configuration
    that was just replaced; it keeps mapping-service off the hot path.
    An entry still in use near the end of its TTL is fetched again in the
    background, so a busy process never stops every request for the
    lookup; no answer is ever older than the TTL. Only a tenant not seen
    for a TTL (or not yet) makes callers wait for mapping-service.
    """

    def __init__(self, mapping: mapping_pb2_grpc.MappingServiceStub, *,
                 ttl_seconds: float = DEFAULT_TTL_SECONDS) -> None:
        self._mapping = mapping
        self._ttl = ttl_seconds
        self._entries: dict[str, _Entry] = {}
        self._lock = asyncio.Lock()
        self._refreshing: dict[str, asyncio.Task[None]] = {}

    async def get(self, tenant_id: str) -> mapping_pb2.Tenant:
        """Return the tenant's active configuration (NOT_FOUND propagates)."""
        entry = self._entries.get(tenant_id)
        if entry is not None:
            age = time.monotonic() - entry.fetched_at
            if age < self._ttl:
                if age >= _REFRESH_AHEAD * self._ttl:
                    self._refresh_in_background(tenant_id)
                return entry.tenant
        async with self._lock:
            # Callers that queued behind the one that just fetched take its
            # answer: a batch of hundreds must not ask hundreds of times.
            entry = self._entries.get(tenant_id)
            if entry is not None and time.monotonic() - entry.fetched_at < self._ttl:
                return entry.tenant
            return await self._fetch(tenant_id)

    async def list(self) -> list[mapping_pb2.Tenant]:
        """Return every tenant with an active configuration."""
        response = await self._mapping.ListTenants(mapping_pb2.ListTenantsRequest())
        return list(response.tenants)

    async def _fetch(self, tenant_id: str) -> mapping_pb2.Tenant:
        tenant: mapping_pb2.Tenant = await self._mapping.GetTenant(
            mapping_pb2.GetTenantRequest(tenant_id=tenant_id))
        self._entries[tenant_id] = _Entry(tenant, time.monotonic())
        return tenant

    def _refresh_in_background(self, tenant_id: str) -> None:
        running = self._refreshing.get(tenant_id)
        if running is None or running.done():
            self._refreshing[tenant_id] = asyncio.create_task(self._refresh(tenant_id))

    async def _refresh(self, tenant_id: str) -> None:
        try:
            await self._fetch(tenant_id)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                # Removed: the next caller asks again and learns it.
                self._entries.pop(tenant_id, None)
            # Otherwise the entry ages out and its callers wait for an answer.
            log.warning("tenant_refresh_failed", tenant=tenant_id, code=error.code().name)
