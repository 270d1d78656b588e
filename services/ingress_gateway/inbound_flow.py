"""Regal webhooks -> the waterfall -> Salesforce writes -> writer queue.

Events the waterfall leaves ambiguous or unresolved stop here, logged
with the step and reason (the guide: "log an appropriate error, do not
continue"); event names regal-sync does not act on are logged and skipped
without a Salesforce call.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ingress_gateway.flows import Downstream, log_results
from ingress_gateway.outbound_flow import active_options
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2
from regalsync.contracts.writer.v1 import writer_pb2
from regalsync.storage import ClaimedItem, Storage
from regalsync.tenants import TenantDirectory

# SPEC I1: the event names that act on Salesforce.
HANDLED_EVENTS = frozenset({
    "call.completed", "call.recording.available", "contact.subscribed",
    "contact.unsubscribed", "contact.attribute.edited", "contact.experiment.assigned",
    "sms.conversation.completed", "sms.sent", "sms.received", "mms.sent", "mms.received",
    "task.created", "task.canceled",
})
_STOPPED = {
    matcher_pb2.MATCH_OUTCOME_AMBIGUOUS: "ambiguous_match",
    matcher_pb2.MATCH_OUTCOME_UNRESOLVED: "unresolved_match",
}

_OPPORTUNITY_ATTRIBUTE = re.compile(r"^salesforce_opportunity_([1-9][0-9]{0,8})$")

Group = list[tuple[ClaimedItem, dict[str, Any]]]


async def apply_webhooks(storage: Storage, tenants: TenantDirectory, down: Downstream,
                         tenant_id: str, group: Group) -> None:
    """Match a tenant's webhook events, map them and queue the writes."""
    handled = [(i, b) for i, b in group if event_name(b["event"]) in HANDLED_EVENTS]
    results = [_result(i.idempotency_key, common_pb2.ITEM_STATUS_SKIPPED,
                       "event_not_handled")
               for i, b in group if event_name(b["event"]) not in HANDLED_EVENTS]
    if handled:
        results.extend(await _apply(tenants, down, tenant_id, handled))
    await log_results(storage, tenant_id, "inbound", results,
                      {i.idempotency_key: event_name(b["event"]) for i, b in group})


async def _apply(tenants: TenantDirectory, down: Downstream, tenant_id: str,
                 group: Group) -> list[common_pb2.ItemResult]:
    tenant = await tenants.get(tenant_id)
    opportunities = active_options(tenant).get("opportunities") or {}
    updates = bool(opportunities.get("update_from_contact_events"))
    resolved = await down.matcher.Resolve(matcher_pb2.ResolveRequest(
        tenant_id=tenant_id, policy=tenant.match_policy, read_plans=tenant.read_plans,
        events=[identifiers(i.idempotency_key, b["event"], opportunity_updates=updates)
                for i, b in group]))
    results: list[common_pb2.ItemResult] = []
    matched: list[mapping_pb2.MatchedEvent] = []
    for (item, body), match in zip(group, resolved.matches, strict=True):
        stopped = _STOPPED.get(match.outcome)
        if stopped is not None:
            results.append(_result(item.idempotency_key, common_pb2.ITEM_STATUS_REJECTED,
                                   stopped, f"{match.decided_by}:{match.reason}"))
            continue
        matched.append(mapping_pb2.MatchedEvent(
            idempotency_key=item.idempotency_key,
            event_json=json.dumps(body["event"]).encode(),
            match=match.record if match.outcome == matcher_pb2.MATCH_OUTCOME_MATCHED
            else None,
            decided_by=match.decided_by))
    if not matched:
        return results
    writes = await down.mapping.ToSalesforce(
        mapping_pb2.ToSalesforceRequest(tenant_id=tenant_id, events=matched))
    if writes.writes:
        await down.writer.Enqueue(
            writer_pb2.EnqueueRequest(tenant_id=tenant_id, writes=writes.writes))
    results.extend(writes.results)
    return results


def identifiers(key: str, event: dict[str, Any], *,
                opportunity_updates: bool = False) -> matcher_pb2.Identifiers:
    """Pick the waterfall's identifiers from either envelope shape.

    With ``opportunity_updates`` the friendly ids of the Opportunity
    attributes an attribute edit touches go along (SPEC I7).
    """
    traits = event.get("traits")
    traits = traits if isinstance(traits, dict) else {}
    ids = [v for k, v in traits.items()
           if k.startswith("salesforce_") and k.endswith("_id") and isinstance(v, str)]
    user_id = event.get("userId", event.get("profile_id"))
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    return matcher_pb2.Identifiers(
        idempotency_key=key, user_id=_text(user_id), salesforce_ids=ids,
        phone=_text(traits.get("phone")), email=_text(traits.get("email")),
        opportunity_numbers=edited_opportunities(event) if opportunity_updates else [])


def edited_opportunities(event: dict[str, Any]) -> list[int]:
    """Return N of each ``salesforce_opportunity_<N>`` an attribute edit changes."""
    if event_name(event) != "contact.attribute.edited":
        return []
    properties = event.get("properties")
    changes = properties.get("changes") if isinstance(properties, dict) else None
    if not isinstance(changes, dict):
        return []
    custom = changes.get("custom_properties")
    names = [*changes, *(custom if isinstance(custom, dict) else {})]
    return sorted({int(m.group(1)) for name in names
                   if (m := _OPPORTUNITY_ATTRIBUTE.match(str(name)))})


def event_name(event: dict[str, Any]) -> str:
    """Return the event's name in either envelope shape."""
    return _text(event.get("name") or event.get("event_type") or event.get("event"))


def _result(key: str, status: common_pb2.ItemStatus, code: str,
            message: str = "") -> common_pb2.ItemResult:
    return common_pb2.ItemResult(idempotency_key=key, status=status,
                                 error_code=code, message=message)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
