"""Translate between the mapping contract's messages and the domain types."""

from __future__ import annotations

import json

from mapping_service.domain.changes import Change, ChangeType
from mapping_service.domain.identity import match_policy, read_plans
from mapping_service.domain.model import TenantConfiguration
from mapping_service.domain.writes import MatchedRecord, WriteKind, WriteOut
from regalsync.contracts.mapping.v1 import mapping_pb2

_CHANGE_TYPES = {
    mapping_pb2.CHANGE_TYPE_CREATED: ChangeType.CREATED,
    mapping_pb2.CHANGE_TYPE_UPDATED: ChangeType.UPDATED,
    mapping_pb2.CHANGE_TYPE_DELETED: ChangeType.DELETED,
    mapping_pb2.CHANGE_TYPE_UNDELETED: ChangeType.UNDELETED,
}
_WRITE_KINDS = {
    WriteKind.CREATE: mapping_pb2.WRITE_KIND_CREATE,
    WriteKind.UPDATE: mapping_pb2.WRITE_KIND_UPDATE,
    WriteKind.UPSERT: mapping_pb2.WRITE_KIND_UPSERT,
}


def tenant_message(version: int, tenant: TenantConfiguration) -> mapping_pb2.Tenant:
    """Describe a tenant for the other services (secrets stay references)."""
    auth = tenant.salesforce.auth
    message = mapping_pb2.Tenant(
        tenant_id=tenant.tenant, configuration_version=version,
        document_json=json.dumps(tenant.to_json_dict()).encode(),
        salesforce=mapping_pb2.SalesforceConnection(
            login_url=tenant.salesforce.login_url, auth_flow=auth.flow,
            client_id=auth.client_id or "", username=auth.username or "",
            client_secret_ref=auth.client_secret or "",
            private_key_ref=auth.private_key or "",
            refresh_token_ref=auth.refresh_token or "",
            daily_api_budget_percent=tenant.salesforce.daily_api_budget_percent,
            pubsub_address=tenant.salesforce.pubsub_address or ""),
        regal=mapping_pb2.RegalConnection(
            events_url=tenant.regal.events_url, api_key_ref=tenant.regal.api_key,
            webhook_token_ref=tenant.regal.webhook_token or "",
            timeout_seconds=tenant.regal.timeout_seconds,
            requests_per_second=tenant.regal.requests_per_second))
    config = tenant.active_configuration()
    if config is None:
        return message
    policy = match_policy(config)
    message.read_plans.extend(mapping_pb2.ReadPlan(object_type=p.object_type,
                                                   fields=list(p.fields))
                              for p in read_plans(config))
    message.match_policy.CopyFrom(mapping_pb2.MatchPolicy(
        user_id_mapped=policy.user_id_mapped, user_id_field=policy.user_id_field or "",
        use_email=policy.use_email,
        objects=[mapping_pb2.ObjectIdentityFields(
            object_type=o.object_type, phone_fields=list(o.phone_fields),
            email_fields=list(o.email_fields)) for o in policy.objects]))
    return message


def change_from(message: mapping_pb2.EnrichedChange) -> Change:
    """Build the domain change from an enriched change message."""
    values = json.loads(message.record.fields_json or b"{}")
    return Change(
        object_type=message.record.object_type, record_id=message.record.id,
        change_type=_CHANGE_TYPES.get(message.change_type, ChangeType.UPDATED),
        changed_fields=tuple(message.changed_fields), values=values,
        commit_timestamp_ms=message.commit_timestamp_ms)


def matched_from(message: mapping_pb2.MatchedEvent) -> MatchedRecord | None:
    """Return the matched record of an event, or None when nothing matched."""
    if not message.HasField("match") or not message.match.id:
        return None
    fields = json.loads(message.match.fields_json or b"{}")
    return MatchedRecord(message.match.object_type, message.match.id, fields)


def write_message(event_key: str, write: WriteOut) -> mapping_pb2.SalesforceWrite:
    """Turn a domain write into the writer's message, keyed per purpose."""
    return mapping_pb2.SalesforceWrite(
        idempotency_key=f"{event_key}:{write.purpose}", ordering_key=write.ordering_key,
        kind=_WRITE_KINDS[write.kind], object_type=write.object_type,
        record_id=write.record_id or "", external_id_field=write.external_id_field or "",
        external_id=write.external_id or "",
        fields_json=json.dumps(write.fields).encode(), source_key=event_key,
        append_fields=list(write.append_fields), owner_email=write.owner_email or "")
