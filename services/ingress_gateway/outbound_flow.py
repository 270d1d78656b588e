"""Salesforce changes -> current values -> Regal events -> publisher queue."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from ingress_gateway.flows import Downstream, log_results
from ingress_gateway.friendly_ids import FRIENDLY_ID, SIBLINGS, FriendlyIds
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2
from regalsync.contracts.publisher.v1 import publisher_pb2
from regalsync.contracts.writer.v1 import writer_pb2
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory

_CHANGE_TYPES = {
    "CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "DELETE": mapping_pb2.CHANGE_TYPE_DELETED, "UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
    "GAP_CREATE": mapping_pb2.CHANGE_TYPE_CREATED, "GAP_UPDATE": mapping_pb2.CHANGE_TYPE_UPDATED,
    "GAP_DELETE": mapping_pb2.CHANGE_TYPE_DELETED,
    "GAP_UNDELETE": mapping_pb2.CHANGE_TYPE_UNDELETED,
}
_PRIMARY = frozenset({"Lead", "Contact", "Account"})
_POLLED_ONLY = frozenset({"CaseComment"})
# Secondary objects whose events mapping-service builds (docs/mapping.md).
_BUILT = frozenset({"Opportunity", "Case", "CaseComment", "Event"})
# Backfills queue records whatever the object's chosen source is.
_BACKFILL = "backfill"
_SECONDARY = {"opportunity": "Opportunity", "case": "Case", "case_comment": "CaseComment",
              "event": "Event"}

Group = list[tuple[ClaimedItem, dict[str, Any]]]
Watched = Callable[[], Awaitable[frozenset[str]]]


async def send_changes(storage: Storage, tenants: TenantDirectory, down: Downstream,
                       tenant_id: str, group: Group) -> None:
    """Enrich a tenant's changes, map them and queue the Regal events."""
    tenant = await tenants.get(tenant_id)
    options = active_options(tenant)
    sent = sent_objects(tenant, options)
    wanted = [(i, b) for i, b in group
              if b["entity"] in sent and _from_its_source(b, options)]
    await _log_switched_off(storage, tenant_id, group, options)
    if not wanted:
        return
    friendly = _friendly_ids(options)
    enriched = await down.matcher.Enrich(matcher_pb2.EnrichRequest(
        tenant_id=tenant_id, read_plans=_read_plans(tenant, friendly is not None),
        records=[matcher_pb2.RecordRef(idempotency_key=i.idempotency_key,
                                       object_type=b["entity"], record_id=b["record_id"])
                 for i, b in wanted]))
    records = list(enriched.records)
    if friendly is not None:
        records = [_numbered(r, friendly) for r in records]
        await _write_friendly_ids(down, tenant_id, friendly)
    plans = {p.object_type: list(p.fields) for p in tenant.read_plans}
    changes = [_enriched_change(i, _resolved(b, plans), r, enriched.instance_url)
               for (i, b), r in zip(wanted, records, strict=True)]
    regal = await down.mapping.ToRegal(
        mapping_pb2.ToRegalRequest(tenant_id=tenant_id, changes=changes))
    if regal.events:
        await down.publisher.Enqueue(
            publisher_pb2.EnqueueRequest(tenant_id=tenant_id, events=regal.events))
    await log_results(storage, tenant_id, "outbound", regal.results)


def active_options(tenant: mapping_pb2.Tenant) -> dict[str, Any]:
    """Return the active configuration's document form (empty when none)."""
    document = json.loads(tenant.document_json or b"{}")
    for configuration in document.get("configurations", []):
        if configuration.get("active"):
            found: dict[str, Any] = configuration
            return found
    return {}


def sent_objects(tenant: mapping_pb2.Tenant, options: dict[str, Any]) -> frozenset[str]:
    """Name the objects whose changes may reach Regal for this tenant.

    Primary objects need an active mapping (their read plan); secondary
    ones need their outbound toggle (SPEC O6) and a primary mapping to
    attach their events to.
    """
    planned = {plan.object_type for plan in tenant.read_plans}
    primary = planned & _PRIMARY
    if not primary:
        return frozenset()
    toggles = options.get("outbound") or {}
    secondary = {name for key, name in _SECONDARY.items()
                 if toggles.get(key, True) and name in _BUILT}
    return frozenset(primary | secondary)


def subscribed_objects(tenants: TenantDirectory, tenant_id: str) -> Watched:
    """Return a reader of the objects the tenant follows through change events."""
    async def read() -> frozenset[str]:
        tenant = await tenants.get(tenant_id)
        options = active_options(tenant)
        return frozenset(o for o in sent_objects(tenant, options)
                         if source_of(options, o) == "events")
    return read


def source_of(options: dict[str, Any], object_type: str) -> str:
    """Say whether an object's changes come from ``events`` or ``polling``."""
    if object_type in _POLLED_ONLY:
        return "polling"
    sources = options.get("change_sources") or {}
    chosen = (sources.get("objects") or {}).get(object_type)
    return str(chosen or sources.get("default") or "events")


def _friendly_ids(options: dict[str, Any]) -> FriendlyIds | None:
    opportunities = options.get("opportunities") or {}
    if not opportunities.get("send_as_attributes"):
        return None
    return FriendlyIds(int(opportunities.get("friendly_id_threshold") or 100))


def _read_plans(tenant: mapping_pb2.Tenant,
                friendly: bool) -> list[mapping_pb2.ReadPlan]:
    """Return the tenant's plans, asking for friendly ids when they are used."""
    plans = [mapping_pb2.ReadPlan(object_type=p.object_type, fields=list(p.fields))
             for p in tenant.read_plans]
    if not friendly:
        return plans
    opportunity = next((p for p in plans if p.object_type == "Opportunity"), None)
    if opportunity is None:
        opportunity = mapping_pb2.ReadPlan(object_type="Opportunity", fields=["Id"])
        plans.append(opportunity)
    if FRIENDLY_ID not in opportunity.fields:
        opportunity.fields.append(FRIENDLY_ID)
    return plans


def _numbered(record: matcher_pb2.EnrichedRecord,
              friendly: FriendlyIds) -> matcher_pb2.EnrichedRecord:
    """Take the siblings out of an Opportunity and put its friendly id in."""
    if record.missing or record.record.object_type != "Opportunity":
        return record
    values = json.loads(record.record.fields_json or b"{}")
    siblings = values.pop(SIBLINGS, None)
    if siblings is not None:
        values[FRIENDLY_ID] = friendly.assign(str(values["Id"]), siblings)
    numbered = matcher_pb2.EnrichedRecord()
    numbered.CopyFrom(record)
    numbered.record.fields_json = json.dumps(values).encode()
    return numbered


async def _write_friendly_ids(down: Downstream, tenant_id: str,
                              friendly: FriendlyIds) -> None:
    if not friendly.writes:
        return
    writes = [mapping_pb2.SalesforceWrite(
        idempotency_key=f"friendly-id:{record_id}:{number}", ordering_key=record_id[:15],
        kind=mapping_pb2.WRITE_KIND_UPDATE, object_type="Opportunity", record_id=record_id,
        fields_json=json.dumps({FRIENDLY_ID: number}).encode(),
        source_key=f"friendly-id:{record_id}")
        for record_id, number in friendly.writes.items()]
    await down.writer.Enqueue(writer_pb2.EnqueueRequest(tenant_id=tenant_id, writes=writes))


async def _log_switched_off(storage: Storage, tenant_id: str, group: Group,
                            options: dict[str, Any]) -> None:
    """Log secondary changes whose outbound toggle is off (L1: every outcome)."""
    toggles = options.get("outbound") or {}
    off = {name for key, name in _SECONDARY.items() if toggles.get(key) is False}
    results = [common_pb2.ItemResult(idempotency_key=i.idempotency_key,
                                     status=common_pb2.ITEM_STATUS_SKIPPED,
                                     error_code="outbound_disabled")
               for i, b in group
               if b["entity"] in off]
    await log_results(storage, tenant_id, "outbound", results)


def _from_its_source(body: dict[str, Any], options: dict[str, Any]) -> bool:
    """Keep a change only if it came from the source its object is set to.

    While an object switches between change events and polling, both may
    report the same change once; only the chosen source's report goes on.
    """
    if str(body.get("source") or "").startswith(_BACKFILL):
        return True
    polled = body.get("source") == "polling"
    return polled == (source_of(options, body["entity"]) == "polling")


def _resolved(body: dict[str, Any], plans: dict[str, list[str]]) -> dict[str, Any]:
    """Treat every mapped field as changed when the source could not say.

    Gap events and records found by querying (overflow, recovery) name a
    record but not its changes: the record is re-sent whole, as a resync.
    """
    if body["changed_fields"] or not body["change_type"].startswith("GAP_"):
        return body
    fields = [f for f in plans.get(body["entity"], []) if f != "Id"]
    return {**body, "changed_fields": fields}


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
