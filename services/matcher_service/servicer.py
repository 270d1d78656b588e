"""The MatcherService gRPC contract: Enrich and Resolve, batched."""

from __future__ import annotations

import json
from collections.abc import Iterable

import grpc
import structlog

from matcher_service.enrichment import read_records
from matcher_service.resolver import (
    OPPORTUNITIES,
    EventIdentifiers,
    Resolution,
    Resolver,
    owns_opportunities,
)
from matcher_service.waterfall import Decision, Outcome
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from regalsync.errors import InvalidInput
from regalsync.salesforce.registry import SalesforceClients

log = structlog.get_logger(__name__)

_OUTCOMES = {
    Outcome.MATCHED: matcher_pb2.MATCH_OUTCOME_MATCHED,
    Outcome.NO_MATCH: matcher_pb2.MATCH_OUTCOME_NO_MATCH,
    Outcome.AMBIGUOUS: matcher_pb2.MATCH_OUTCOME_AMBIGUOUS,
    Outcome.UNRESOLVED: matcher_pb2.MATCH_OUTCOME_UNRESOLVED,
}


class MatcherServicer(matcher_pb2_grpc.MatcherServiceServicer):
    """Read Salesforce for whole batches, never one call per record."""

    def __init__(self, clients: SalesforceClients) -> None:
        self._clients = clients

    async def Enrich(
        self, request: matcher_pb2.EnrichRequest, context: grpc.aio.ServicerContext,
    ) -> matcher_pb2.EnrichResponse:
        _require_tenant(request.tenant_id)
        client = await self._clients.within_budget(request.tenant_id)
        fields = {plan.object_type: list(plan.fields) for plan in request.read_plans}
        refs = [(r.object_type, r.record_id) for r in request.records]
        found = await read_records(client, refs, fields)
        token = await client.tokens.token()
        return matcher_pb2.EnrichResponse(records=list(_enriched(request.records, found)),
                                          instance_url=token.instance_url)

    async def Resolve(
        self, request: matcher_pb2.ResolveRequest, context: grpc.aio.ServicerContext,
    ) -> matcher_pb2.ResolveResponse:
        _require_tenant(request.tenant_id)
        client = await self._clients.within_budget(request.tenant_id)
        events = [EventIdentifiers(e.idempotency_key, e.user_id, tuple(e.salesforce_ids),
                                   e.phone, e.email) for e in request.events]
        resolver = Resolver(client, request.policy, request.read_plans)
        resolutions = await resolver.resolve(events)
        opportunities = await _opportunities(resolver, request.events, resolutions)
        matches = []
        for event in events:
            resolution = resolutions[event.key]
            _log_decision(request.tenant_id, event.key, resolution)
            matches.append(_match(event.key, resolution.decision, opportunities))
        return matcher_pb2.ResolveResponse(matches=matches)


async def _opportunities(resolver: Resolver, events: Iterable[matcher_pb2.Identifiers],
                         resolutions: dict[str, Resolution]) -> dict[str, dict[int, str]]:
    """Find the Opportunities the events' edits name, for all of them at once."""
    wanted: dict[str, set[int]] = {}
    for event in events:
        record = resolutions[event.idempotency_key].decision.record
        numbers = {n for n in event.opportunity_numbers if n > 0}
        if record is not None and numbers and owns_opportunities(record):
            wanted.setdefault(record.id, set()).update(numbers)
    return await resolver.opportunities(wanted) if wanted else {}


def _enriched(refs: Iterable[matcher_pb2.RecordRef],
              found: dict[str, dict[str, object]]) -> Iterable[matcher_pb2.EnrichedRecord]:
    for ref in refs:
        row = found.get(ref.record_id[:15])
        if row is None:
            yield matcher_pb2.EnrichedRecord(idempotency_key=ref.idempotency_key, missing=True)
            continue
        yield matcher_pb2.EnrichedRecord(
            idempotency_key=ref.idempotency_key,
            record=common_pb2.SalesforceRecord(object_type=ref.object_type,
                                               id=str(row["Id"]),
                                               fields_json=json.dumps(row).encode()))


def _require_tenant(tenant_id: str) -> None:
    if not tenant_id:
        raise InvalidInput("tenant_id is required")


def _log_decision(tenant_id: str, key: str, resolution: Resolution) -> None:
    """Log the outcome, the deciding step and every step's candidate ids."""
    decision = resolution.decision
    record = decision.record
    log_method = log.info if decision.outcome in (Outcome.MATCHED, Outcome.NO_MATCH) \
        else log.warning
    log_method("match_decided", tenant=tenant_id, event_key=key, outcome=str(decision.outcome),
               step=decision.decided_by, reason=decision.reason,
               record=record.id if record else None,
               candidates=[c.id for c in decision.candidates],
               trail=[{"step": step, "candidates": list(ids)}
                      for step, ids in resolution.trail])


def _match(key: str, decision: Decision,
           opportunities: dict[str, dict[int, str]]) -> matcher_pb2.Match:
    record = decision.record
    fields = dict(record.fields) if record else {}
    if record is not None and record.id in opportunities:
        fields[OPPORTUNITIES] = {str(n): i for n, i in opportunities[record.id].items()}
    return matcher_pb2.Match(
        idempotency_key=key, outcome=_OUTCOMES[decision.outcome],
        decided_by=decision.decided_by, reason=decision.reason,
        candidate_ids=[c.id for c in decision.candidates],
        record=(common_pb2.SalesforceRecord(
            object_type=record.object_type, id=record.id,
            fields_json=json.dumps(fields, default=str).encode())
            if record else None))
