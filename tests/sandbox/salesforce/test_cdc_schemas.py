"""Topics and Avro schemas, as GetTopic and GetSchema describe them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from cdc_harness import AUTH, ORG_ID, Org, running_org

from regalsync.contracts.eventbus.v1 import pubsub_pb2


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    async with running_org(tmp_path) as running:
        yield running


async def _topic(org: Org, name: str) -> pubsub_pb2.TopicInfo:
    return await org.stub.GetTopic(pubsub_pb2.TopicRequest(topic_name=name), metadata=AUTH)


async def _schema(org: Org, entity_topic: str) -> dict[str, Any]:
    return await org.schema((await _topic(org, entity_topic)).schema_id)


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


class TestTopics:
    async def test_object_topic_describes_a_subscribable_channel(self, org: Org) -> None:
        """GetTopic names the org and a schema; change events cannot be published."""
        info = await _topic(org, "/data/LeadChangeEvent")
        assert (info.topic_name, info.tenant_guid) == ("/data/LeadChangeEvent", ORG_ID)
        assert info.can_subscribe and not info.can_publish
        assert info.schema_id and info.rpc_id

    async def test_all_change_events_channel_exists(self, org: Org) -> None:
        """/data/ChangeEvents is served; its events name their own schemas."""
        info = await _topic(org, "/data/ChangeEvents")
        assert info.can_subscribe and info.schema_id == ""

    async def test_custom_object_topic_drops_the_c_suffix(self, org: Org) -> None:
        """Invoice__c publishes to /data/Invoice__ChangeEvent."""
        schema = await _schema(org, "/data/Invoice__ChangeEvent")
        assert schema["name"] == "Invoice__ChangeEvent"

    async def test_object_without_change_events_has_no_topic(self, org: Org) -> None:
        """CaseComment has no change events, so its topic is NOT_FOUND."""
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await _topic(org, "/data/CaseCommentChangeEvent")
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND

    async def test_unknown_schema_id_is_not_found(self, org: Org) -> None:
        """GetSchema of an id the org never issued is NOT_FOUND."""
        with pytest.raises(grpc.aio.AioRpcError) as failure:
            await org.stub.GetSchema(pubsub_pb2.SchemaRequest(schema_id="nope"), metadata=AUTH)
        assert failure.value.code() == grpc.StatusCode.NOT_FOUND


class TestSchemas:
    async def test_schema_is_a_change_event_record(self, org: Org) -> None:
        """The schema is com.sforce.eventbus.<Object>ChangeEvent."""
        schema = await _schema(org, "/data/AccountChangeEvent")
        assert (schema["namespace"], schema["name"]) == ("com.sforce.eventbus",
                                                         "AccountChangeEvent")

    async def test_header_comes_first_with_salesforce_fields(self, org: Org) -> None:
        """Field 0 is ChangeEventHeader with the documented fields and types."""
        header = (await _schema(org, "/data/AccountChangeEvent"))["fields"][0]
        types = {f["name"]: f["type"] for f in header["type"]["fields"]}
        assert header["name"] == "ChangeEventHeader"
        assert types["sequenceNumber"] == "int"
        assert (types["commitTimestamp"], types["commitNumber"]) == ("long", "long")
        assert types["changeType"]["type"] == "enum"
        assert "GAP_OVERFLOW" in types["changeType"]["symbols"]
        for name in ("recordIds", "nulledFields", "diffFields", "changedFields"):
            assert types[name] == {"type": "array", "items": "string"}
        for name in ("entityName", "changeOrigin", "transactionKey", "commitUser"):
            assert types[name] == "string"

    async def test_every_record_field_is_nullable_with_null_default(self, org: Org) -> None:
        """Unchanged fields can be sent as null."""
        schema = await _schema(org, "/data/AccountChangeEvent")
        for f in schema["fields"][1:]:
            assert f["type"][0] == "null" and f["default"] is None, f["name"]

    async def test_address_is_one_nested_record_at_the_parent(self, org: Org) -> None:
        """BillingAddress nests Street, City... and its parts are not top level."""
        schema = await _schema(org, "/data/AccountChangeEvent")
        names = [f["name"] for f in schema["fields"]]
        nested = _field(schema, "BillingAddress")["type"][1]
        assert [f["name"] for f in nested["fields"]] == [
            "Street", "City", "State", "PostalCode", "Country",
        ]
        assert "BillingCity" not in names
        assert names.index("BillingAddress") < names.index("AnnualRevenue")

    async def test_formula_and_system_fields_are_left_out(self, org: Org) -> None:
        """Formulas, IsDeleted, SystemModstamp and Id are not in the event."""
        names = {f["name"] for f in (await _schema(org, "/data/AccountChangeEvent"))["fields"]}
        assert not names & {"Health_Score__c", "IsDeleted", "SystemModstamp", "Id"}

    async def test_dates_are_epoch_numbers(self, org: Org) -> None:
        """date is int (days), datetime is long (milliseconds)."""
        contact = await _schema(org, "/data/ContactChangeEvent")
        account = await _schema(org, "/data/AccountChangeEvent")
        assert _field(contact, "Birthdate")["type"] == ["null", "int"]
        assert _field(account, "LastModifiedDate")["type"] == ["null", "long"]

    async def test_schema_id_is_stable_across_restarts(self, tmp_path: Path) -> None:
        """The same org describes to the same schema id, so clients may cache it."""
        ids = []
        for attempt in ("first", "second"):
            async with running_org(tmp_path / attempt) as running:
                ids.append((await _topic(running, "/data/AccountChangeEvent")).schema_id)
        assert ids[0] == ids[1]
