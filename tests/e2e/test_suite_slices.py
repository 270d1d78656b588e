"""The two thin slices through the real processes (issue 3, items 6 and 7)."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from suite_harness import SuiteHandle, eventually

pytestmark = pytest.mark.e2e

GRPC_SERVICES = {
    "mapping": "regalsync.mapping.v1.MappingService",
    "matcher": "regalsync.matcher.v1.MatcherService",
    "publisher": "regalsync.publisher.v1.RegalPublisher",
    "writer": "regalsync.writer.v1.SalesforceWriter",
}


def _named(events: list[dict[str, Any]], name: str, record_id: str) -> list[dict[str, Any]]:
    return [e for e in events
            if e.get("name") == name and e.get("traits", {}).get("salesforce_contact_id")
            == record_id]


class TestSuiteComesUp:
    def test_every_grpc_service_is_serving(self, suite: SuiteHandle) -> None:
        """Each gRPC service answers the standard health check with SERVING."""
        for key, service in GRPC_SERVICES.items():
            with grpc.insecure_channel(suite.endpoints["grpc"][key]) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING

    def test_every_grpc_service_lists_itself_through_reflection(
            self, suite: SuiteHandle) -> None:
        """Reflection names the service, health and reflection itself."""
        for key, service in GRPC_SERVICES.items():
            with grpc.insecure_channel(suite.endpoints["grpc"][key]) as channel:
                stub = reflection_pb2_grpc.ServerReflectionStub(channel)
                request = reflection_pb2.ServerReflectionRequest(list_services="")
                answer = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=5)))
            names = {s.name for s in answer.list_services_response.service}
            assert {service, "grpc.health.v1.Health"} <= names

    def test_endpoints_file_is_complete(self, suite: SuiteHandle) -> None:
        """endpoints.json holds everything a client needs, as documented."""
        endpoints = json.loads(suite.suite.endpoints_path.read_text())
        assert endpoints["tenant"] == "demo"
        assert set(endpoints["salesforce"]) == {
            "instance_url", "access_token", "ca_bundle", "pubsub_address", "org_id"}
        assert set(endpoints["regal"]) == {"base_url", "api_key"}
        assert set(endpoints["ingress"]) == {
            "base_url", "regal_webhook_url", "regal_webhook_headers"}
        assert set(endpoints["grpc"]) == {"mapping", "matcher", "publisher", "writer"}


class TestSalesforceToRegal:
    def test_contact_created_then_updated_reaches_regal(self, suite: SuiteHandle) -> None:
        """A Contact create and update arrive as Created and Updated events."""
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"FirstName": "Ada", "LastName": "Lovelace",
                                        "Phone": "(856) 559-7961",
                                        "MailingCity": "Camden"})["id"]
        created = eventually(
            lambda: _named(suite.regal_events(), "Salesforce Contact Created", contact_id),
            what="Salesforce Contact Created")[0]
        sf.Contact.update(contact_id, {"Title": "Analyst"})
        updated = eventually(
            lambda: _named(suite.regal_events(), "Salesforce Contact Updated", contact_id),
            what="Salesforce Contact Updated")[0]

        instance = suite.endpoints["salesforce"]["instance_url"]
        assert created["eventSource"] == "salesforce"
        assert created["traits"]["firstName"] == "Ada"
        assert created["traits"]["address"]["city"] == "Camden"
        assert created["traits"]["salesforceLink"] == f"{instance}/{contact_id}"
        assert "userId" not in created
        assert updated["traits"]["title"] == "Analyst"
        assert updated["traits"]["lastName"] == "Lovelace"
        assert updated["properties"]["updated_properties_sf"] == ["Title"]
        assert updated["properties"]["updated_properties_regal"] == ["traits.title"]


class TestRegalToSalesforce:
    def test_call_completed_creates_an_event_record_on_the_contact(
            self, suite: SuiteHandle) -> None:
        """A call.completed webhook for the Contact's phone is stored on it."""
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"LastName": "Hopper", "Phone": "856.555.0142"})["id"]
        event_id = "a" * 32
        response = suite.post_webhook({
            "userId": "regal-profile-1", "originalTimestamp": "1764770000",
            "traits": {"phone": "+18565550142"}, "name": "call.completed",
            "eventId": event_id, "eventSource": "Regal Voice",
            "properties": {"talk_time": 42, "disposition": "Interested",
                           "direction": "OUTBOUND", "agent_email": "agent@example.com"}})
        assert response.status_code == 200

        soql = ("SELECT Id, Contact__c, Event_Name__c, Talk_Time__c FROM Regal_Event__c "
                f"WHERE Event_Id__c = '{event_id}'")
        records = eventually(lambda: sf.query(soql)["records"], what="Regal event record")
        assert len(records) == 1
        assert records[0]["Contact__c"] == contact_id
        assert records[0]["Event_Name__c"] == "call.completed"
        assert records[0]["Talk_Time__c"] == 42
