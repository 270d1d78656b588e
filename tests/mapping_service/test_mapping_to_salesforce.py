"""Specify the Salesforce writes built from matched Regal events (I3-I6)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mapping_service.domain.configuration import validate
from mapping_service.domain.model import Configuration
from mapping_service.domain.to_salesforce import (
    MatchedRecord,
    WriteKind,
    WriteOut,
    build_salesforce_writes,
)

SAMPLES: dict[str, Any] = json.loads(
    Path("/work/shared/reference/regal-webhook-samples.json").read_text()
)["events"]
CONTACT = MatchedRecord("Contact", "003A", {"Email": "", "Policy_Type__c": "Renters"})


def configuration(
    contact_attributes: list[dict[str, str]] | None = None,
    lead_attributes: list[dict[str, str]] | None = None,
    **options: Any,
) -> Configuration:
    """Build an active Leads-and-Contacts configuration with the given options."""
    mappings = []
    if lead_attributes is not None:
        mappings.append({"object": "Lead", "attributes": lead_attributes})
    if contact_attributes is not None:
        mappings.append({"object": "Contact", "attributes": contact_attributes})
    document = {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": "leads_and_contacts",
            "object_mappings": mappings, **options,
        }],
    }
    return validate(document).configurations[0]


CONTACT_ATTRIBUTES = [
    {"regal": "traits.phone", "salesforce": "Phone"},
    {"regal": "traits.email", "salesforce": "Email", "when": "salesforce_blank"},
    {"regal": "traits.lastName", "salesforce": "LastName"},
    {"regal": "traits.policy_type", "salesforce": "Policy_Type__c"},
    {"regal": "optIn.sms.subscribed", "salesforce": "SMS_Opt_In__c"},
]


def writes_of(
    config: Configuration, event: dict[str, Any], match: MatchedRecord | None = CONTACT
) -> dict[str, WriteOut]:
    """Build an event's writes, keyed by purpose."""
    writes = build_salesforce_writes(config, event, match)
    by_purpose = {write.purpose: write for write in writes}
    assert len(by_purpose) == len(writes)
    return by_purpose


def attribute_edit(name: str, new_value: Any) -> dict[str, Any]:
    """Return the sample attribute edit changed to one custom property."""
    event = copy.deepcopy(SAMPLES["contact.attribute.edited"])
    event["properties"]["changes"]["custom_properties"] = {
        name: {"old_value": None, "new_value": new_value}
    }
    return event


class TestEventRecords:
    @pytest.mark.parametrize("name", sorted(SAMPLES))
    def test_each_event_type_is_upserted(self, name: str) -> None:
        """Every accepted event type is stored once, keyed by Regal's event id."""
        sample = SAMPLES[name]

        record = writes_of(configuration(CONTACT_ATTRIBUTES), sample)["event_record"]

        assert record.kind is WriteKind.UPSERT
        assert record.object_type == "Regal_Event__c"
        assert (record.external_id_field, record.external_id) == (
            "Event_Id__c", sample["eventId"]
        )
        assert record.fields["Event_Name__c"] == name
        assert record.fields["Contact__c"] == "003A"
        assert record.fields["User_Id__c"] == "20417"
        assert record.fields["Contact_Email__c"] == "jordan.example@example.com"
        assert json.loads(str(record.fields["Payload__c"])) == sample

    def test_call_numbers_and_texts(self) -> None:
        """A call keeps typed durations, its time, objections and notes."""
        record = writes_of(configuration(CONTACT_ATTRIBUTES), SAMPLES["call.completed"])[
            "event_record"
        ]

        assert record.fields["Talk_Time__c"] == 184
        assert record.fields["Wrapup_Time__c"] == 45
        assert record.fields["Handle_Time__c"] == 229
        assert record.fields["Occurred_At__c"] == "2024-06-19T13:53:49Z"
        assert record.fields["Objections__c"] == "Timing"
        assert record.fields["Notes__c"] == SAMPLES["call.completed"]["properties"]["notes"]

    def test_sms_conversation_is_rendered(self) -> None:
        """A completed SMS conversation is stored as readable lines."""
        record = writes_of(
            configuration(CONTACT_ATTRIBUTES), SAMPLES["sms.conversation.completed"]
        )["event_record"]

        lines = str(record.fields["SMS_Content__c"]).split("\n")
        assert lines[1] == (
            "[2024-06-19 14:32:20] Contact: It did, but can I move my start date to the 1st?"
        )
        assert len(lines) == 3

    def test_disabled_event_type_is_not_stored(self) -> None:
        """An event type switched off in event_records stores nothing."""
        config = configuration(CONTACT_ATTRIBUTES, event_records={"sms.sent": False})

        assert "event_record" not in writes_of(config, SAMPLES["sms.sent"])

    def test_second_envelope_shape(self) -> None:
        """The brand/event_id envelope is stored by its event_id."""
        event = {"brand": "northwind", "event_id": "abc123", "event_type": "task.created",
                 "original_timestamp": "1718804940", "profile_id": "p-1",
                 "source": "Regal Voice", "properties": {"task_id": "WT1"}}

        record = writes_of(configuration(CONTACT_ATTRIBUTES), event)["event_record"]

        assert record.external_id == "abc123"
        assert record.fields["Occurred_At__c"] == "2024-06-19T13:49:00Z"

    def test_payload_is_truncated(self) -> None:
        """A huge payload is cut to the field's 131072 characters."""
        event = copy.deepcopy(SAMPLES["call.completed"])
        event["properties"]["notes"] = "x" * 200_000

        record = writes_of(configuration(CONTACT_ATTRIBUTES), event)["event_record"]

        assert len(str(record.fields["Payload__c"])) == 131_072

    def test_unknown_event_name_writes_nothing(self) -> None:
        """An event regal-sync does not act on causes no writes."""
        event = {**SAMPLES["call.completed"], "name": "call.placed"}

        assert build_salesforce_writes(configuration(CONTACT_ATTRIBUTES), event, CONTACT) == []


class TestAttributeEdits:
    def test_custom_property_updates_mapped_field(self) -> None:
        """An edited custom property updates its mapped field on the matched record."""
        config = configuration(CONTACT_ATTRIBUTES, update_salesforce_from_regal=True)

        update = writes_of(config, SAMPLES["contact.attribute.edited"])["attributes"]

        assert update.kind is WriteKind.UPDATE
        assert (update.object_type, update.record_id) == ("Contact", "003A")
        assert update.fields == {"Policy_Type__c": "Homeowners"}

    def test_switch_off_means_no_update(self) -> None:
        """With 'update Salesforce from Regal' off, nothing is updated."""
        config = configuration(CONTACT_ATTRIBUTES, update_salesforce_from_regal=False)

        assert "attributes" not in writes_of(config, SAMPLES["contact.attribute.edited"])

    def test_to_regal_mapping_is_not_written(self) -> None:
        """A mapping that only sends to Regal is never written from Regal."""
        attributes = [{"regal": "traits.policy_type", "salesforce": "Policy_Type__c",
                       "direction": "to_regal"}]
        config = configuration(attributes, update_salesforce_from_regal=True)

        assert "attributes" not in writes_of(config, SAMPLES["contact.attribute.edited"])

    def test_salesforce_blank_fills_empty_field(self) -> None:
        """A salesforce_blank mapping writes while the field is empty."""
        config = configuration(CONTACT_ATTRIBUTES, update_salesforce_from_regal=True)

        update = writes_of(config, attribute_edit("email", "new@example.com"))["attributes"]

        assert update.fields == {"Email": "new@example.com"}

    def test_salesforce_blank_keeps_filled_field(self) -> None:
        """A salesforce_blank mapping leaves a filled field alone."""
        config = configuration(CONTACT_ATTRIBUTES, update_salesforce_from_regal=True)
        match = MatchedRecord("Contact", "003A", {"Email": "kept@example.com"})

        writes = writes_of(config, attribute_edit("email", "new@example.com"), match)

        assert "attributes" not in writes

    def test_address_parts_reach_address_fields(self) -> None:
        """An edited address object updates each mapped address part."""
        attributes = [{"regal": "traits.address.city", "salesforce": "MailingCity"}]
        config = configuration(attributes, update_salesforce_from_regal=True)

        update = writes_of(config, attribute_edit("address", {"city": "Camden"}))[
            "attributes"
        ]

        assert update.fields == {"MailingCity": "Camden"}

    @pytest.mark.parametrize(
        ("name", "expected"), [("contact.subscribed", True), ("contact.unsubscribed", False)]
    )
    def test_subscription_sets_opt_in_checkbox(self, name: str, expected: bool) -> None:
        """(Un)subscribing on a channel sets that channel's mapped checkbox."""
        event = copy.deepcopy(SAMPLES[name])
        event["properties"]["channel"] = "sms"
        config = configuration(CONTACT_ATTRIBUTES, update_salesforce_from_regal=True)

        update = writes_of(config, event)["attributes"]

        assert update.fields == {"SMS_Opt_In__c": expected}


class TestTasks:
    def test_completed_call_creates_task(self) -> None:
        """A completed call is logged as a completed call Task on the person."""
        config = configuration(CONTACT_ATTRIBUTES, log_calls_and_sms_as_tasks=True)

        task = writes_of(config, SAMPLES["call.completed"])["task"]

        assert task.kind is WriteKind.CREATE
        assert task.object_type == "Task"
        assert {k: v for k, v in task.fields.items() if k != "Description"} == {
            "Subject": "Outbound Call - Follow Up Scheduled",
            "Type": "Call",
            "TaskSubtype": "Call",
            "Status": "Completed",
            "CallType": "Outbound",
            "CallDurationInSeconds": 184,
            "CallDisposition": "Follow Up Scheduled",
            "CallObject": "WT4dd7e6c29cd7f9c68319a0615b7175fb",
            "ActivityDate": "2024-06-19",
            "WhoId": "003A",
        }
        assert "Notes: Wants a side-by-side quote" in str(task.fields["Description"])

    def test_no_task_when_switched_off(self) -> None:
        """Without the Task option no Task is created."""
        config = configuration(CONTACT_ATTRIBUTES, log_calls_and_sms_as_tasks=False)

        assert "task" not in writes_of(config, SAMPLES["call.completed"])

    def test_no_task_for_other_events(self) -> None:
        """Only completed calls and SMS conversations become Tasks."""
        config = configuration(CONTACT_ATTRIBUTES, log_calls_and_sms_as_tasks=True)

        assert "task" not in writes_of(config, SAMPLES["sms.sent"])


class TestUnmatched:
    def test_creates_lead_when_leads_mapped(self) -> None:
        """No match and 'create' on: a Lead is created from the mapped traits."""
        config = configuration(
            CONTACT_ATTRIBUTES,
            lead_attributes=[{"regal": "traits.phone", "salesforce": "Phone"},
                             {"regal": "traits.email", "salesforce": "Email"}],
            create_records_when_unmatched=True,
        )

        create = writes_of(config, SAMPLES["call.completed"], None)["create_record"]

        assert create.kind is WriteKind.CREATE
        assert create.object_type == "Lead"
        assert create.fields == {
            "Phone": "+13125550147", "Email": "jordan.example@example.com",
            "LastName": "[not provided]", "Company": "[not provided]",
        }

    def test_creates_mapped_primary_without_leads(self) -> None:
        """Without a Lead mapping the mapped primary object is created."""
        config = configuration(CONTACT_ATTRIBUTES, create_records_when_unmatched=True)

        create = writes_of(config, SAMPLES["call.completed"], None)["create_record"]

        assert create.object_type == "Contact"
        assert create.fields["Phone"] == "+13125550147"

    def test_no_create_when_switched_off(self) -> None:
        """With 'create' off an unmatched event only stores its event record."""
        config = configuration(CONTACT_ATTRIBUTES, create_records_when_unmatched=False)

        writes = writes_of(config, SAMPLES["call.completed"], None)

        assert set(writes) == {"event_record"}
        assert "Contact__c" not in writes["event_record"].fields
