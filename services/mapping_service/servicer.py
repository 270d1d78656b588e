"""The MappingService gRPC contract over the tenant store and the transforms."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from typing import TypeAlias

import grpc
import structlog

from mapping_service.conversions import tenant_message
from mapping_service.diff import diff_documents
from mapping_service.domain.configuration import Checker, parse_document
from mapping_service.domain.describe_rules import describe_checker, read_describe
from mapping_service.domain.document import ConfigurationError
from mapping_service.domain.model import Configuration
from mapping_service.operations import Operations
from mapping_service.replies import (
    log_entry_message,
    preview_regal,
    preview_salesforce,
    status_message,
    summary_message,
)
from mapping_service.tenants import TenantStore, parse_or_raise
from mapping_service.transforms import regal_events_for, salesforce_writes_for
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.errors import InvalidInput

log = structlog.get_logger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext
_MAX_LOG_LIMIT = 10_000


class MappingServicer(mapping_pb2_grpc.MappingServiceServicer):
    """Configurations in, transforms out; no I/O besides storage."""

    def __init__(self, tenants: TenantStore, operations: Operations | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._tenants = tenants
        self._operations = operations
        self._clock = clock

    async def GetTenant(
        self, request: mapping_pb2.GetTenantRequest, context: Context,
    ) -> mapping_pb2.Tenant:
        version, tenant = await self._tenants.active(request.tenant_id)
        return tenant_message(version, tenant)

    async def ListTenants(
        self, request: mapping_pb2.ListTenantsRequest, context: Context,
    ) -> mapping_pb2.ListTenantsResponse:
        tenants = []
        for tenant_id in await self._tenants.tenant_ids():
            version, tenant = await self._tenants.active(tenant_id)
            tenants.append(tenant_message(version, tenant))
        return mapping_pb2.ListTenantsResponse(tenants=tenants)

    async def ValidateConfiguration(
        self, request: mapping_pb2.ConfigurationDocument, context: Context,
    ) -> mapping_pb2.ValidationReport:
        checkers = _checkers(request)
        try:
            tenant = parse_document(request.text, request.source, checkers)
        except ConfigurationError as error:
            return mapping_pb2.ValidationReport(
                valid=False, describe_checked=bool(checkers), errors=[
                    mapping_pb2.ValidationError(path=i.path, message=i.message)
                    for i in error.errors])
        return mapping_pb2.ValidationReport(valid=True, describe_checked=bool(checkers),
                                            tenant_id=tenant.tenant)

    async def ApplyConfiguration(
        self, request: mapping_pb2.ConfigurationDocument, context: Context,
    ) -> mapping_pb2.ApplyResult:
        tenant_id, version, previous, changed = await self._tenants.apply(
            request.text, request.source, _checkers(request))
        log.info("configuration_applied", tenant=tenant_id, version=version, changed=changed)
        return mapping_pb2.ApplyResult(tenant_id=tenant_id, version=version,
                                       previous_version=previous, changed=changed)

    async def DiffConfiguration(
        self, request: mapping_pb2.ConfigurationDocument, context: Context,
    ) -> mapping_pb2.ConfigurationDiff:
        tenant = parse_or_raise(request.text, request.source, _checkers(request))
        current = await self._tenants.active_or_none(tenant.tenant)
        before = current[1].to_json_dict() if current else None
        changes = diff_documents(before, tenant.to_json_dict())
        return mapping_pb2.ConfigurationDiff(
            tenant_id=tenant.tenant, active_version=current[0] if current else 0,
            changes=[mapping_pb2.ConfigurationChange(
                path=c.path, kind=c.kind, before_json=c.before_json(),
                after_json=c.after_json()) for c in changes])

    async def ExportConfiguration(
        self, request: mapping_pb2.ExportConfigurationRequest, context: Context,
    ) -> mapping_pb2.ConfigurationDocument:
        version, text = await self._tenants.export(request.tenant_id, request.version)
        return mapping_pb2.ConfigurationDocument(
            text=text, source=f"{request.tenant_id}@v{version}")

    async def ListConfigurationVersions(
        self, request: mapping_pb2.ListConfigurationVersionsRequest, context: Context,
    ) -> mapping_pb2.ListConfigurationVersionsResponse:
        versions = await self._tenants.versions(request.tenant_id)
        return mapping_pb2.ListConfigurationVersionsResponse(versions=[
            mapping_pb2.ConfigurationVersion(version=v.version, active=v.active,
                                             created_at_ms=int(v.created_at * 1000))
            for v in versions])

    async def ActivateConfigurationVersion(
        self, request: mapping_pb2.ActivateConfigurationVersionRequest, context: Context,
    ) -> mapping_pb2.ApplyResult:
        previous = await self._tenants.activate(request.tenant_id, request.version)
        log.info("configuration_activated", tenant=request.tenant_id,
                 version=request.version, previous=previous)
        return mapping_pb2.ApplyResult(tenant_id=request.tenant_id, version=request.version,
                                       previous_version=previous,
                                       changed=previous != request.version)

    async def ToRegal(
        self, request: mapping_pb2.ToRegalRequest, context: Context,
    ) -> mapping_pb2.ToRegalResponse:
        config = await self._active_configuration(request.tenant_id)
        response = mapping_pb2.ToRegalResponse()
        now_ms = int(self._clock() * 1000)
        for message in request.changes:
            outcome = regal_events_for(config, message, now_ms)
            response.events.extend(outcome.events)
            response.results.append(_result(message.idempotency_key, outcome.skipped))
        return response

    async def ToSalesforce(
        self, request: mapping_pb2.ToSalesforceRequest, context: Context,
    ) -> mapping_pb2.ToSalesforceResponse:
        config = await self._active_configuration(request.tenant_id)
        response = mapping_pb2.ToSalesforceResponse()
        for message in request.events:
            outcome = salesforce_writes_for(config, message)
            response.writes.extend(outcome.writes)
            response.results.append(
                _result(message.idempotency_key, "" if outcome.writes else "no_writes"))
        return response

    async def Preview(
        self, request: mapping_pb2.PreviewRequest, context: Context,
    ) -> mapping_pb2.PreviewResponse:
        version, config = await self._preview_configuration(request)
        if request.HasField("salesforce_change"):
            now_ms = request.now_ms or int(self._clock() * 1000)
            regal = regal_events_for(config, request.salesforce_change, now_ms)
            return preview_regal(regal, version)
        if request.HasField("regal_event"):
            return preview_salesforce(salesforce_writes_for(config, request.regal_event),
                                      version)
        raise InvalidInput("preview needs a salesforce_change or a regal_event")

    async def QueryEventLog(
        self, request: mapping_pb2.QueryEventLogRequest, context: Context,
    ) -> mapping_pb2.QueryEventLogResponse:
        limit = request.limit or 100
        if not 0 < limit <= _MAX_LOG_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {_MAX_LOG_LIMIT}")
        since = request.since_ms / 1000 if request.since_ms else None
        if request.within_seconds > 0:
            since = max(since or 0.0, self._clock() - request.within_seconds)
        records = await self._ops().query_log(
            request.tenant_id, status=request.status or None,
            direction=request.direction or None, since=since, limit=limit)
        return mapping_pb2.QueryEventLogResponse(
            entries=[log_entry_message(r) for r in records])

    async def PurgeEventLog(
        self, request: mapping_pb2.PurgeEventLogRequest, context: Context,
    ) -> mapping_pb2.PurgeEventLogResponse:
        purged, days = await self._ops().purge()
        log.info("event_log_purged", purged=purged, retention_days=days)
        return mapping_pb2.PurgeEventLogResponse(purged=purged, retention_days=days)

    async def WriteDailySummary(
        self, request: mapping_pb2.DailySummaryRequest, context: Context,
    ) -> mapping_pb2.DailySummaryResponse:
        day = _day(request.day) if request.day else None
        summaries = await self._ops().summaries(request.tenant_id, day)
        log.info("daily_summaries_written", count=len(summaries))
        return mapping_pb2.DailySummaryResponse(
            summaries=[summary_message(s) for s in summaries])

    async def GetTenantStatus(
        self, request: mapping_pb2.GetTenantStatusRequest, context: Context,
    ) -> mapping_pb2.TenantStatus:
        status = await self._ops().status(request.tenant_id)
        return status_message(request.tenant_id, *status)

    async def _active_configuration(self, tenant_id: str) -> Configuration:
        _, tenant = await self._tenants.active(tenant_id)
        config = tenant.active_configuration()
        if config is None:
            raise InvalidInput(f"tenant {tenant_id!r} has no active configuration")
        return config

    async def _preview_configuration(
        self, request: mapping_pb2.PreviewRequest
    ) -> tuple[int, Configuration]:
        if not request.document_text:
            version, _ = await self._tenants.active(request.tenant_id)
            return version, await self._active_configuration(request.tenant_id)
        tenant = parse_or_raise(request.document_text, "preview")
        config = tenant.active_configuration()
        if config is None:
            raise InvalidInput("the previewed document has no active configuration")
        return 0, config

    def _ops(self) -> Operations:
        if self._operations is None:
            raise InvalidInput("operations are not served by this instance")
        return self._operations


def _checkers(request: mapping_pb2.ConfigurationDocument) -> list[Checker]:
    """Build the describe-based checker when the caller sent describe metadata."""
    if not request.describe_json:
        return []
    try:
        describe = read_describe(json.loads(request.describe_json))
    except ValueError as error:
        raise InvalidInput(f"describe_json: {error}") from None
    return [describe_checker(describe)]


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"day must be YYYY-MM-DD, got {text!r}") from None


def _result(key: str, skipped: str) -> common_pb2.ItemResult:
    if not skipped:
        return common_pb2.ItemResult(idempotency_key=key,
                                     status=common_pb2.ITEM_STATUS_ACCEPTED)
    return common_pb2.ItemResult(idempotency_key=key, status=common_pb2.ITEM_STATUS_SKIPPED,
                                 error_code=skipped)
