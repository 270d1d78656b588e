"""Regal webhooks -> the waterfall -> Salesforce writes -> writer queue."""

from __future__ import annotations

import json
from typing import Any

from ingress_gateway.flows import Downstream, log_results
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2
from regalsync.contracts.writer.v1 import writer_pb2
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory


async def apply_webhooks(storage: Storage, tenants: TenantDirectory, down: Downstream,
                         tenant_id: str,
                         group: list[tuple[ClaimedItem, dict[str, Any]]]) -> None:
    """Match a tenant's webhook events, map them and queue the writes."""
    tenant = await tenants.get(tenant_id)
    resolved = await down.matcher.Resolve(matcher_pb2.ResolveRequest(
        tenant_id=tenant_id, policy=tenant.match_policy,
        events=[_identifiers(i.idempotency_key, b["event"]) for i, b in group]))
    matched = [mapping_pb2.MatchedEvent(
        idempotency_key=i.idempotency_key, event_json=json.dumps(b["event"]).encode(),
        match=m.record if m.outcome == matcher_pb2.MATCH_OUTCOME_MATCHED else None,
        decided_by=m.decided_by)
        for (i, b), m in zip(group, resolved.matches, strict=True)]
    writes = await down.mapping.ToSalesforce(
        mapping_pb2.ToSalesforceRequest(tenant_id=tenant_id, events=matched))
    if writes.writes:
        await down.writer.Enqueue(
            writer_pb2.EnqueueRequest(tenant_id=tenant_id, writes=writes.writes))
    await log_results(storage, tenant_id, "inbound", writes.results)


def _identifiers(key: str, event: dict[str, Any]) -> matcher_pb2.Identifiers:
    traits = event.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    ids = [str(v) for k, v in traits.items()
           if k.startswith("salesforce_") and k.endswith("_id") and isinstance(v, str)]
    return matcher_pb2.Identifiers(
        idempotency_key=key, user_id=_text(event.get("userId") or event.get("profile_id")),
        salesforce_ids=ids, phone=_text(traits.get("phone")), email=_text(traits.get("email")))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
