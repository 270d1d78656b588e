"""Tenant configurations on the shared storage: apply, activate, read.

Each applied document is a new version; the active one is switched in a
single statement, so readers see the old or the new configuration, never
a mix. Parsed configurations are cached per (tenant, version).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import yaml

from mapping_service.domain.configuration import Checker, parse_document
from mapping_service.domain.document import ConfigurationError
from mapping_service.domain.model import TenantConfiguration
from regalsync.errors import InvalidInput, NotFound
from regalsync.storage import DocumentVersion, Storage

KIND = "tenant_configuration"


class TenantStore:
    """Versioned tenant documents, the only writer of configurations."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self._parsed: dict[tuple[str, int], TenantConfiguration] = {}

    async def apply(
        self, text: str, source: str, checkers: Sequence[Checker] = ()
    ) -> tuple[str, int, int, bool]:
        """Validate and activate a document; return (tenant, version, previous, changed)."""
        tenant = parse_or_raise(text, source, checkers)
        body = _canonical(tenant)
        current = await self._storage.get_document(KIND, tenant.tenant)
        previous = current.version if current else 0
        if current is not None and current.body == body:
            return tenant.tenant, previous, previous, False
        version = await self._storage.put_document(KIND, tenant.tenant, body)
        await self._storage.activate_document(KIND, tenant.tenant, version)
        return tenant.tenant, version, previous, True

    async def activate(self, tenant_id: str, version: int) -> int:
        """Make an earlier (or later) version active again; return the previous one."""
        current = await self._storage.get_document(KIND, tenant_id)
        if current is None:
            raise NotFound(f"tenant {tenant_id!r} has no configuration")
        if version not in {v.version for v in await self.versions(tenant_id)}:
            raise NotFound(f"tenant {tenant_id!r} has no configuration version {version}")
        await self._storage.activate_document(KIND, tenant_id, version)
        return current.version

    async def active_or_none(self, tenant_id: str) -> tuple[int, TenantConfiguration] | None:
        """Return the active version and configuration, or None for a new tenant."""
        if await self._storage.get_document(KIND, tenant_id) is None:
            return None
        return await self.active(tenant_id)

    async def export(self, tenant_id: str, version: int = 0) -> tuple[int, str]:
        """Render a stored version (0: the active one) as a YAML document."""
        document = await self._storage.get_document(KIND, tenant_id, version or None)
        if document is None:
            raise NotFound(f"tenant {tenant_id!r} has no configuration version {version}")
        body = json.loads(document.body)
        text = yaml.safe_dump(_without_nulls(body), sort_keys=False, allow_unicode=True)
        return document.version, text

    async def active(self, tenant_id: str) -> tuple[int, TenantConfiguration]:
        """Return the active version and its parsed configuration."""
        document = await self._storage.get_document(KIND, tenant_id)
        if document is None:
            raise NotFound(f"tenant {tenant_id!r} has no active configuration")
        key = (tenant_id, document.version)
        if key not in self._parsed:
            self._parsed[key] = parse_or_raise(document.body.decode(), f"{tenant_id}@v{key[1]}")
        return document.version, self._parsed[key]

    async def tenant_ids(self) -> list[str]:
        """Return every tenant with an active configuration."""
        return await self._storage.list_document_tenants(KIND)

    async def versions(self, tenant_id: str) -> list[DocumentVersion]:
        """Return every stored version of a tenant's configuration."""
        return await self._storage.list_document_versions(KIND, tenant_id)


def parse_or_raise(
    text: str, source: str, checkers: Sequence[Checker] = ()
) -> TenantConfiguration:
    """Parse a document, turning validation issues into one InvalidInput."""
    try:
        return parse_document(text, source, checkers)
    except ConfigurationError as error:
        raise InvalidInput(str(error)) from None


def _canonical(tenant: TenantConfiguration) -> bytes:
    return json.dumps(tenant.to_json_dict(), sort_keys=True, separators=(",", ":")).encode()


def _without_nulls(value: object) -> object:
    """Drop null values: in a document, null and absent mean the same."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value
