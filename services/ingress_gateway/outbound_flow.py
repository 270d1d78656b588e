"""Salesforce changes -> current values -> Regal events -> publisher queue."""

from __future__ import annotations

from typing import Any

from ingress_gateway.flows import Downstream, log_results
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2
from regalsync.contracts.publisher.v1 import publisher_pb2
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory

_CHANGE_TYPES = {
    "CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "DELETE": mapping_pb2.CHANGE_TYPE_DELETED, "UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
    "GAP_CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "GAP_UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "GAP_DELETE": mapping_pb2.CHANGE_TYPE_DELETED,
    "GAP_UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
}


async def send_changes(storage: Storage, tenants: TenantDirectory, down: Downstream,
                       tenant_id: str, group: list[tuple[ClaimedItem, dict[str, Any]]]) -> None:
    """Enrich a tenant's changes, map them and queue the Regal events."""
    tenant = await tenants.get(tenant_id)
    planned = {plan.object_type for plan in tenant.read_plans}
    wanted = [(i, b) for i, b in group if b["entity"] in planned]
    if not wanted:
        return
    enriched = await down.matcher.Enrich(matcher_pb2.EnrichRequest(
        tenant_id=tenant_id, read_plans=tenant.read_plans,
        records=[matcher_pb2.RecordRef(idempotency_key=i.idempotency_key,
                                       object_type=b["entity"], record_id=b["record_id"])
                 for i, b in wanted]))
    changes = [_enriched_change(i, b, r, enriched.instance_url)
               for (i, b), r in zip(wanted, enriched.records, strict=True)]
    regal = await down.mapping.ToRegal(
        mapping_pb2.ToRegalRequest(tenant_id=tenant_id, changes=changes))
    if regal.events:
        await down.publisher.Enqueue(
            publisher_pb2.EnqueueRequest(tenant_id=tenant_id, events=regal.events))
    await log_results(storage, tenant_id, "outbound", regal.results)


def _enriched_change(item: ClaimedItem, body: dict[str, Any],
                     record: matcher_pb2.EnrichedRecord,
                     instance_url: str) -> mapping_pb2.EnrichedChange:
    return mapping_pb2.EnrichedChange(
        idempotency_key=item.idempotency_key,
        change_type=_CHANGE_TYPES.get(body["change_type"], mapping_pb2.CHANGE_TYPE_UPDATED),
        changed_fields=body["changed_fields"],
        record=(record.record if not record.missing else common_pb2.SalesforceRecord(
            object_type=body["entity"], id=body["record_id"])),
        commit_timestamp_ms=body["commit_timestamp_ms"], record_missing=record.missing,
        instance_url=instance_url)
