"""matcher-service through its gRPC contract, reading the Salesforce sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grpc_services import serve
from salesforce_org import in_thread, salesforce_org

from matcher_service.servicer import MatcherServicer
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.contracts.matcher.v1 import matcher_pb2, matcher_pb2_grpc
from regalsync.grpc_server import GrpcService
from regalsync.storage import Storage

MATCHER = "regalsync.matcher.v1.MatcherService"


def _service(servicer: MatcherServicer) -> GrpcService:
    return GrpcService(MATCHER, servicer, matcher_pb2_grpc.add_MatcherServiceServicer_to_server)


class TestMatcher:
    async def test_enrich_reads_current_values_of_the_named_records(
            self, storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Enrich answers one record per reference, in order, missing ones flagged."""
        async with salesforce_org(storage, tmp_path, monkeypatch) as org:
            sf = await in_thread(org.admin)
            created = await in_thread(lambda: sf.Contact.create(
                {"FirstName": "Ada", "LastName": "Lovelace", "Phone": "8565597961"}))
            async with serve(_service(MatcherServicer(org.clients))) as served:
                answer = await matcher_pb2_grpc.MatcherServiceStub(served.channel).Enrich(
                    matcher_pb2.EnrichRequest(tenant_id="acme", records=[
                        matcher_pb2.RecordRef(idempotency_key="a", object_type="Contact",
                                              record_id=created["id"]),
                        matcher_pb2.RecordRef(idempotency_key="b", object_type="Contact",
                                              record_id="003000000000000AAA")],
                        read_plans=[mapping_pb2.ReadPlan(
                            object_type="Contact", fields=["Id", "FirstName", "Phone"])]))

        found, missing = answer.records
        assert json.loads(found.record.fields_json)["FirstName"] == "Ada"
        assert missing.missing
        assert answer.instance_url == org.sandbox.info.instance_url

    async def test_resolve_finds_a_contact_by_a_differently_typed_phone(
            self, storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A Contact stored as (856) 559-7961 matches a +18565597961 event."""
        async with salesforce_org(storage, tmp_path, monkeypatch) as org:
            sf = await in_thread(org.admin)
            created = await in_thread(lambda: sf.Contact.create(
                {"LastName": "Hopper", "Phone": "(856) 559-7961"}))
            tenant = await mapping_pb2_grpc.MappingServiceStub(org.mapping.channel).GetTenant(
                mapping_pb2.GetTenantRequest(tenant_id="acme"))
            async with serve(_service(MatcherServicer(org.clients))) as served:
                answer = await matcher_pb2_grpc.MatcherServiceStub(served.channel).Resolve(
                    matcher_pb2.ResolveRequest(
                        tenant_id="acme", policy=tenant.match_policy,
                        events=[matcher_pb2.Identifiers(idempotency_key="e1",
                                                        phone="+18565597961")]))

        (match,) = answer.matches
        assert match.outcome == matcher_pb2.MATCH_OUTCOME_MATCHED
        assert match.decided_by == "phone"
        assert match.record.id == created["id"]
