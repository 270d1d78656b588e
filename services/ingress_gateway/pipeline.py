"""Drive inbox items through the pipeline until a downstream queue has them.

Salesforce changes: matcher.Enrich (current values, one read per batch)
-> mapping.ToRegal -> publisher.Enqueue. Regal webhooks: matcher.Resolve
(the waterfall) -> mapping.ToSalesforce -> writer.Enqueue. An inbox item
is acknowledged only after the downstream queue answered; if anything
fails the whole batch is retried, and the idempotency keys carried
downstream make the retry harmless.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from ingress_gateway.inbox import CHANGE, WEBHOOK
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.contracts.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from regalsync.contracts.publisher.v1 import publisher_pb2, publisher_pb2_grpc
from regalsync.contracts.writer.v1 import writer_pb2, writer_pb2_grpc
from regalsync.queue_worker import Settle, Settlement
from regalsync.storage import ClaimedItem, LogEntry, Storage
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)

_CHANGE_TYPES = {
    "CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "DELETE": mapping_pb2.CHANGE_TYPE_DELETED, "UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
    "GAP_CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "GAP_UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "GAP_DELETE": mapping_pb2.CHANGE_TYPE_DELETED,
    "GAP_UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
}


@dataclass(frozen=True)
class Downstream:
    mapping: mapping_pb2_grpc.MappingServiceStub
    matcher: matcher_pb2_grpc.MatcherServiceStub
    publisher: publisher_pb2_grpc.RegalPublisherStub
    writer: writer_pb2_grpc.SalesforceWriterStub


class Pipeline:
    """The inbox handler."""

    def __init__(self, storage: Storage, tenants: TenantDirectory,
                 downstream: Downstream) -> None:
        self._storage = storage
        self._tenants = tenants
        self._down = downstream

    async def handle(self, items: Sequence[ClaimedItem]) -> list[Settlement]:
        """Process a batch per tenant and kind; ack what reached its queue."""
        groups: dict[tuple[str, str], list[tuple[ClaimedItem, dict[str, Any]]]] = (
            defaultdict(list))
        for item in items:
            body = json.loads(item.payload)
            groups[(item.tenant, body["kind"])].append((item, body))
        settlements: list[Settlement] = []
        for (tenant_id, kind), group in groups.items():
            if kind == CHANGE:
                await self._changes(tenant_id, group)
            elif kind == WEBHOOK:
                await self._webhooks(tenant_id, group)
            settlements.extend(Settlement(i.id, Settle.ACK) for i, _ in group)
        return settlements

    async def _changes(self, tenant_id: str,
                       group: list[tuple[ClaimedItem, dict[str, Any]]]) -> None:
        tenant = await self._tenants.get(tenant_id)
        planned = {plan.object_type for plan in tenant.read_plans}
        wanted = [(i, b) for i, b in group if b["entity"] in planned]
        if not wanted:
            return
        enriched = await self._down.matcher.Enrich(matcher_pb2.EnrichRequest(
            tenant_id=tenant_id, read_plans=tenant.read_plans,
            records=[matcher_pb2.RecordRef(idempotency_key=i.idempotency_key,
                                           object_type=b["entity"], record_id=b["record_id"])
                     for i, b in wanted]))
        changes = [_enriched_change(i, b, r, enriched.instance_url)
                   for (i, b), r in zip(wanted, enriched.records, strict=True)]
        regal = await self._down.mapping.ToRegal(
            mapping_pb2.ToRegalRequest(tenant_id=tenant_id, changes=changes))
        if regal.events:
            await self._down.publisher.Enqueue(
                publisher_pb2.EnqueueRequest(tenant_id=tenant_id, events=regal.events))
        await self._log(tenant_id, "outbound", regal.results)

    async def _webhooks(self, tenant_id: str,
                        group: list[tuple[ClaimedItem, dict[str, Any]]]) -> None:
        tenant = await self._tenants.get(tenant_id)
        resolved = await self._down.matcher.Resolve(matcher_pb2.ResolveRequest(
            tenant_id=tenant_id, policy=tenant.match_policy,
            events=[_identifiers(i.idempotency_key, b["event"]) for i, b in group]))
        matched = [mapping_pb2.MatchedEvent(
            idempotency_key=i.idempotency_key, event_json=json.dumps(b["event"]).encode(),
            match=m.record if m.outcome == matcher_pb2.MATCH_OUTCOME_MATCHED else None,
            decided_by=m.decided_by)
            for (i, b), m in zip(group, resolved.matches, strict=True)]
        writes = await self._down.mapping.ToSalesforce(
            mapping_pb2.ToSalesforceRequest(tenant_id=tenant_id, events=matched))
        if writes.writes:
            await self._down.writer.Enqueue(
                writer_pb2.EnqueueRequest(tenant_id=tenant_id, writes=writes.writes))
        await self._log(tenant_id, "inbound", writes.results)

    async def _log(self, tenant_id: str, direction: str,
                   results: Sequence[common_pb2.ItemResult]) -> None:
        entries = [LogEntry(tenant=tenant_id, direction=direction, event_type="",
                            idempotency_key=r.idempotency_key,
                            status=common_pb2.ItemStatus.Name(r.status).removeprefix(
                                "ITEM_STATUS_").lower(),
                            detail=r.error_code)
                   for r in results]
        if entries:
            await self._storage.append_log(entries)


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


def _identifiers(key: str, event: dict[str, Any]) -> matcher_pb2.Identifiers:
    traits = event.get("traits") if isinstance(event.get("traits"), dict) else {}
    assert isinstance(traits, dict)
    ids = [str(v) for k, v in traits.items()
           if k.startswith("salesforce_") and k.endswith("_id") and isinstance(v, str)]
    return matcher_pb2.Identifiers(
        idempotency_key=key, user_id=_text(event.get("userId") or event.get("profile_id")),
        salesforce_ids=ids, phone=_text(traits.get("phone")), email=_text(traits.get("email")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
