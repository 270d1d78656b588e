"""Apply claimed writes to Salesforce in as few API calls as possible.

Updates of several records go out together as sObject Collections (200
records per call, one result per record). Upserts by external id (Regal
event records, and every record regal-sync creates, keyed by its own
idempotency key) are idempotent, so a retry after a crash never creates
a second record.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import structlog

from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.errors import RegalSyncError
from regalsync.queue_worker import Settle, Settlement
from regalsync.salesforce import SalesforceApiError, SalesforceClient
from regalsync.salesforce.client import COLLECTION_LIMIT
from regalsync.salesforce.registry import SalesforceClients
from regalsync.storage import ClaimedItem

log = structlog.get_logger(__name__)

# A spent daily allowance recovers slowly; look again in a few minutes.
_LIMIT_PAUSE_SECONDS = 300.0


class Writer:
    """The queue handler: write each tenant's batch and settle every item."""

    def __init__(self, clients: SalesforceClients) -> None:
        self._clients = clients

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Group the batch by tenant and write each group."""
        by_tenant: dict[str, list[ClaimedItem]] = defaultdict(list)
        for item in items:
            by_tenant[item.tenant].append(item)
        settlements: list[Settlement] = []
        for tenant_id, group in by_tenant.items():
            settlements.extend(await self._write_tenant(tenant_id, group))
        return settlements

    async def _write_tenant(self, tenant_id: str,
                            items: list[ClaimedItem]) -> list[Settlement]:
        try:
            client = await self._clients.get(tenant_id)
        except RegalSyncError as error:
            return [_retry(i, f"tenant_unavailable:{type(error).__name__}") for i in items]
        writes = [(item, _decode(item)) for item in items]
        updates = [(i, w) for i, w in writes if w.kind == mapping_pb2.WRITE_KIND_UPDATE]
        singles = [(i, w) for i, w in writes if w.kind != mapping_pb2.WRITE_KIND_UPDATE]
        settlements = await self._update(client, updates)
        for item, write in singles:
            settlements.append(await self._write_one(client, item, write))
        return settlements

    async def _update(
        self, client: SalesforceClient,
        pairs: list[tuple[ClaimedItem, mapping_pb2.SalesforceWrite]],
    ) -> list[Settlement]:
        settlements: list[Settlement] = []
        for start in range(0, len(pairs), COLLECTION_LIMIT):
            chunk = pairs[start:start + COLLECTION_LIMIT]
            records = [{"attributes": {"type": w.object_type}, "Id": w.record_id,
                        **json.loads(w.fields_json or b"{}")} for _, w in chunk]
            try:
                results = await client.collection("PATCH", records)
            except SalesforceApiError as error:
                settlements.extend(_for_api_error(i, error) for i, _ in chunk)
                continue
            for (item, _), result in zip(chunk, results, strict=True):
                settlements.append(_for_result(item, result))
        return settlements

    async def _write_one(self, client: SalesforceClient, item: ClaimedItem,
                         write: mapping_pb2.SalesforceWrite) -> Settlement:
        fields = json.loads(write.fields_json or b"{}")
        try:
            if write.kind == mapping_pb2.WRITE_KIND_UPSERT:
                await client.upsert(write.object_type, write.external_id_field,
                                    write.external_id, fields)
            else:
                record = {"attributes": {"type": write.object_type}, **fields}
                result = (await client.collection("POST", [record]))[0]
                return _for_result(item, result)
        except SalesforceApiError as error:
            return _for_api_error(item, error)
        log.info("salesforce_write_applied", tenant=item.tenant, key=item.idempotency_key,
                 object=write.object_type)
        return Settlement(item.id, Settle.ACK)


def _decode(item: ClaimedItem) -> mapping_pb2.SalesforceWrite:
    write = mapping_pb2.SalesforceWrite()
    write.ParseFromString(item.payload)
    return write


def _for_result(item: ClaimedItem, result: dict[str, Any]) -> Settlement:
    if result.get("success"):
        return Settlement(item.id, Settle.ACK)
    errors = result.get("errors") or [{}]
    code = str(errors[0].get("statusCode", "UNKNOWN"))
    if code in {"UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE"}:
        return _retry(item, code)
    log.warning("salesforce_write_rejected", tenant=item.tenant, key=item.idempotency_key,
                code=code)
    return Settlement(item.id, Settle.DEAD, code)


def _for_api_error(item: ClaimedItem, error: SalesforceApiError) -> Settlement:
    if error.error_code == "REQUEST_LIMIT_EXCEEDED":
        return Settlement(item.id, Settle.RETRY, error.error_code, _LIMIT_PAUSE_SECONDS)
    if error.retryable:
        return _retry(item, error.error_code)
    log.warning("salesforce_write_rejected", tenant=item.tenant, key=item.idempotency_key,
                code=error.error_code)
    return Settlement(item.id, Settle.DEAD, error.error_code)


def _retry(item: ClaimedItem, reason: str) -> Settlement:
    delay = min(60.0, 0.5 * 2 ** max(item.attempts - 1, 0))
    return Settlement(item.id, Settle.RETRY, reason, delay)
