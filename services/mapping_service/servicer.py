"""The MappingService gRPC contract over the tenant store and the transforms."""

from __future__ import annotations

import json
import time
from typing import TypeAlias

import grpc
import structlog

from mapping_service.conversions import change_from, matched_from, tenant_message, write_message
from mapping_service.domain.changes import Skip
from mapping_service.domain.configuration import parse_document
from mapping_service.domain.document import ConfigurationError
from mapping_service.domain.to_regal import build_regal_events
from mapping_service.domain.to_salesforce import build_salesforce_writes
from mapping_service.tenants import TenantStore
from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.errors import InvalidInput

log = structlog.get_logger(__name__)
Context: TypeAlias = grpc.aio.ServicerContext


class MappingServicer(mapping_pb2_grpc.MappingServiceServicer):
    """Configurations in, transforms out; no I/O besides storage."""

    def __init__(self, tenants: TenantStore) -> None:
        self._tenants = tenants

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
        try:
            parse_document(request.text, request.source)
        except ConfigurationError as error:
            return mapping_pb2.ValidationReport(valid=False, errors=[
                mapping_pb2.ValidationError(path=i.path, message=i.message)
                for i in error.errors])
        return mapping_pb2.ValidationReport(valid=True)

    async def ApplyConfiguration(
        self, request: mapping_pb2.ConfigurationDocument, context: Context,
    ) -> mapping_pb2.ApplyResult:
        tenant_id, version, previous, changed = await self._tenants.apply(
            request.text, request.source)
        log.info("configuration_applied", tenant=tenant_id, version=version, changed=changed)
        return mapping_pb2.ApplyResult(tenant_id=tenant_id, version=version,
                                       previous_version=previous, changed=changed)

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
        return mapping_pb2.ApplyResult(tenant_id=request.tenant_id, version=request.version,
                                       previous_version=previous,
                                       changed=previous != request.version)

    async def ToRegal(
        self, request: mapping_pb2.ToRegalRequest, context: Context,
    ) -> mapping_pb2.ToRegalResponse:
        _, tenant = await self._tenants.active(request.tenant_id)
        config = tenant.active_configuration()
        if config is None:
            raise InvalidInput(f"tenant {request.tenant_id!r} has no active configuration")
        response = mapping_pb2.ToRegalResponse()
        now_ms = int(time.time() * 1000)
        for message in request.changes:
            if message.record_missing:
                response.results.append(_skipped(message.idempotency_key, "record_missing"))
                continue
            built = build_regal_events(config, change_from(message),
                                       instance_url=message.instance_url, now_ms=now_ms)
            if isinstance(built, Skip):
                response.results.append(_skipped(message.idempotency_key, built.code))
                continue
            for index, event in enumerate(built):
                response.events.append(mapping_pb2.RegalEvent(
                    idempotency_key=f"{message.idempotency_key}:{index}",
                    ordering_key=event.ordering_key, source_key=message.idempotency_key,
                    body_json=json.dumps(event.body, separators=(",", ":")).encode()))
            response.results.append(common_pb2.ItemResult(
                idempotency_key=message.idempotency_key,
                status=common_pb2.ITEM_STATUS_ACCEPTED))
        return response

    async def ToSalesforce(
        self, request: mapping_pb2.ToSalesforceRequest, context: Context,
    ) -> mapping_pb2.ToSalesforceResponse:
        _, tenant = await self._tenants.active(request.tenant_id)
        config = tenant.active_configuration()
        if config is None:
            raise InvalidInput(f"tenant {request.tenant_id!r} has no active configuration")
        response = mapping_pb2.ToSalesforceResponse()
        for message in request.events:
            event = json.loads(message.event_json)
            writes = build_salesforce_writes(config, event, matched_from(message))
            response.writes.extend(write_message(message.idempotency_key, w) for w in writes)
            response.results.append(common_pb2.ItemResult(
                idempotency_key=message.idempotency_key,
                status=(common_pb2.ITEM_STATUS_ACCEPTED if writes
                        else common_pb2.ITEM_STATUS_SKIPPED),
                error_code="" if writes else "no_writes"))
        return response


def _skipped(key: str, code: str) -> common_pb2.ItemResult:
    return common_pb2.ItemResult(idempotency_key=key, status=common_pb2.ITEM_STATUS_SKIPPED,
                                 error_code=code)
