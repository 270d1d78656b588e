"""mapping-service through its gRPC contract on a real server."""

from __future__ import annotations

import json

import grpc
import pytest
from grpc_services import apply_tenant, mapping_service, tenant_yaml

from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.storage import Storage


class TestConfigurations:
    async def test_applied_configuration_is_served_with_plans(self, storage: Storage) -> None:
        """GetTenant returns the active version, read plans and match policy."""
        async with mapping_service(storage) as mapping:
            applied = await apply_tenant(mapping, tenant_yaml())
            tenant = await mapping_pb2_grpc.MappingServiceStub(mapping.channel).GetTenant(
                mapping_pb2.GetTenantRequest(tenant_id="acme"))

        assert (applied.version, applied.changed) == (1, True)
        assert tenant.configuration_version == 1
        assert tenant.regal.api_key_ref == "${ACME_REGAL_API_KEY}"
        plans = {p.object_type: list(p.fields) for p in tenant.read_plans}
        assert plans["Contact"][:1] == ["Id"] and "Phone" in plans["Contact"]
        assert [o.object_type for o in tenant.match_policy.objects] == ["Contact", "Lead"]

    async def test_applying_the_same_document_twice_changes_nothing(
            self, storage: Storage) -> None:
        """A second apply of identical content keeps the version."""
        async with mapping_service(storage) as mapping:
            await apply_tenant(mapping, tenant_yaml())
            again = await apply_tenant(mapping, tenant_yaml())

        assert (again.version, again.previous_version, again.changed) == (1, 1, False)

    async def test_invalid_document_is_refused_with_invalid_argument(
            self, storage: Storage) -> None:
        """A document that does not validate never becomes a version."""
        async with mapping_service(storage) as mapping:
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await apply_tenant(mapping, "tenant: acme\nconfigurations: 3\n")

        assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    async def test_unknown_tenant_is_not_found(self, storage: Storage) -> None:
        """Asking for a tenant nobody configured answers NOT_FOUND."""
        async with mapping_service(storage) as mapping:
            with pytest.raises(grpc.aio.AioRpcError) as missing:
                await mapping_pb2_grpc.MappingServiceStub(mapping.channel).GetTenant(
                    mapping_pb2.GetTenantRequest(tenant_id="nobody"))

        assert missing.value.code() == grpc.StatusCode.NOT_FOUND


class TestTransforms:
    async def test_contact_created_becomes_one_regal_event(self, storage: Storage) -> None:
        """ToRegal maps a created Contact to a Created event keyed per change."""
        record = common_pb2.SalesforceRecord(
            object_type="Contact", id="0038d00000A0001AAB",
            fields_json=json.dumps({"Id": "0038d00000A0001AAB", "FirstName": "Ada",
                                    "LastName": "Lovelace", "Phone": "8565597961"}).encode())
        async with mapping_service(storage) as mapping:
            await apply_tenant(mapping, tenant_yaml())
            answer = await mapping_pb2_grpc.MappingServiceStub(mapping.channel).ToRegal(
                mapping_pb2.ToRegalRequest(tenant_id="acme", changes=[
                    mapping_pb2.EnrichedChange(
                        idempotency_key="cdc:1", change_type=mapping_pb2.CHANGE_TYPE_CREATED,
                        record=record, instance_url="https://acme.my.salesforce.com")]))

        assert [r.status for r in answer.results] == [common_pb2.ITEM_STATUS_ACCEPTED]
        (event,) = answer.events
        body = json.loads(event.body_json)
        assert event.idempotency_key == "cdc:1:0"
        assert body["name"] == "Salesforce Contact Created"
        assert body["traits"]["firstName"] == "Ada"
        assert body["traits"]["salesforceLink"] == (
            "https://acme.my.salesforce.com/0038d00000A0001AAB")

    async def test_deleted_record_is_skipped_with_a_reason(self, storage: Storage) -> None:
        """A change whose record could not be read produces no event."""
        async with mapping_service(storage) as mapping:
            await apply_tenant(mapping, tenant_yaml())
            answer = await mapping_pb2_grpc.MappingServiceStub(mapping.channel).ToRegal(
                mapping_pb2.ToRegalRequest(tenant_id="acme", changes=[
                    mapping_pb2.EnrichedChange(
                        idempotency_key="cdc:2", change_type=mapping_pb2.CHANGE_TYPE_DELETED,
                        record=common_pb2.SalesforceRecord(object_type="Contact", id="003x"),
                        record_missing=True)]))

        assert not answer.events
        assert answer.results[0].status == common_pb2.ITEM_STATUS_SKIPPED
        assert answer.results[0].error_code == "record_missing"
