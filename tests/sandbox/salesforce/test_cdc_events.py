"""Change events as a subscriber decodes them: payloads, headers, topics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cdc_harness import (
    ORG_ID,
    USER_ID,
    FakeClock,
    Org,
    change,
    org_objects,
    running_org,
    transaction,
)

from regalsync.contracts.eventbus.v1 import pubsub_pb2
from sandbox.salesforce.cdc import ChangeEventBus

ACCOUNT = "0015e00000AbCdEAAV"
CONTACT = "0035e00000AbCdEAAV"
LEAD = "00Q5e00000AbCdEAAV"
EARLIEST = pubsub_pb2.EARLIEST

NEW_ACCOUNT = {
    "Name": "Acme", "BillingCity": "Paris", "BillingCountry": "France",
    "AnnualRevenue": 1250.5, "NumberOfEmployees": 12, "IsPersonAccount": False,
    "LastModifiedDate": "2024-06-01T10:00:00.000+0000", "Health_Score__c": 9.0,
}


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    async with running_org(tmp_path) as running:
        yield running


async def _only_event(org: Org, topic: str = "/data/ChangeEvents") -> pubsub_pb2.ConsumerEvent:
    stream = await org.subscribe(topic, EARLIEST)
    return (await stream.events(1))[0]


class TestPayloads:
    async def test_create_carries_every_value_in_avro_form(self, org: Org) -> None:
        """A CREATE decodes to the record's values; datetimes as epoch ms."""
        org.bus.publish(transaction(change("Account", "CREATE", ACCOUNT, NEW_ACCOUNT)))
        body = await org.decode(await _only_event(org))
        assert body["ChangeEventHeader"]["changeType"] == "CREATE"
        assert body["ChangeEventHeader"]["recordIds"] == [ACCOUNT]
        assert (body["Name"], body["AnnualRevenue"], body["NumberOfEmployees"]) == (
            "Acme", 1250.5, 12)
        assert body["BillingAddress"]["City"] == "Paris"
        assert body["LastModifiedDate"] == 1_717_236_000_000

    async def test_create_has_no_field_bitmaps(self, org: Org) -> None:
        """Salesforce fills changedFields and nulledFields for updates only."""
        org.bus.publish(transaction(change("Account", "CREATE", ACCOUNT, NEW_ACCOUNT)))
        header = (await org.decode(await _only_event(org)))["ChangeEventHeader"]
        assert (header["changedFields"], header["nulledFields"]) == ([], [])

    async def test_dates_are_days_since_epoch(self, org: Org) -> None:
        """A date field arrives as the number of days since 1970-01-01."""
        org.bus.publish(transaction(change("Contact", "CREATE", CONTACT, {
            "LastName": "Lee", "Birthdate": "1970-01-11", "SMS_Opt_In__c": True,
        })))
        body = await org.decode(await _only_event(org))
        assert (body["Birthdate"], body["SMS_Opt_In__c"]) == (10, True)

    async def test_update_sends_changed_values_and_nulls_the_rest(self, org: Org) -> None:
        """Unchanged fields are present but null in an UPDATE."""
        org.bus.publish(transaction(change("Account", "UPDATE", ACCOUNT, {"BillingCity": "Lyon"})))
        body = await org.decode(await _only_event(org))
        assert body["BillingAddress"]["City"] == "Lyon"
        assert body["BillingAddress"]["Street"] is None
        assert body["Name"] is None and body["AnnualRevenue"] is None

    async def test_changed_fields_decode_to_names_with_compounds(self, org: Org) -> None:
        """changedFields name top-level fields and BillingAddress.City."""
        org.bus.publish(transaction(change("Account", "UPDATE", ACCOUNT, {
            "Name": "Acme SA", "BillingCity": "Lyon",
            "LastModifiedDate": "2024-06-02T10:00:00Z",
        }, nulled=("PersonEmail",))))
        event = await _only_event(org)
        assert await org.field_names(event, "changedFields") == [
            "Name", "BillingAddress.City", "PersonEmail", "LastModifiedDate",
        ]

    async def test_nulled_fields_decode_to_names(self, org: Org) -> None:
        """A field set to null is in nulledFields, a compound part too."""
        org.bus.publish(transaction(change(
            "Account", "UPDATE", ACCOUNT, {}, nulled=("Type", "BillingState"),
        )))
        event = await _only_event(org)
        assert await org.field_names(event, "nulledFields") == [
            "Type", "BillingAddress.State",
        ]

    async def test_delete_carries_only_the_header(self, org: Org) -> None:
        """A DELETE names the record; every field is null."""
        org.bus.publish(transaction(change("Lead", "DELETE", LEAD)))
        body = await org.decode(await _only_event(org))
        assert body["ChangeEventHeader"]["changeType"] == "DELETE"
        assert body["ChangeEventHeader"]["recordIds"] == [LEAD]
        assert all(v is None for k, v in body.items() if k != "ChangeEventHeader")

    async def test_undelete_carries_the_restored_values(self, org: Org) -> None:
        """An UNDELETE brings the record's values back."""
        org.bus.publish(transaction(change("Lead", "UNDELETE", LEAD, {
            "LastName": "Lee", "Company": "Acme",
        })))
        body = await org.decode(await _only_event(org))
        assert body["ChangeEventHeader"]["changeType"] == "UNDELETE"
        assert (body["LastName"], body["Company"]) == ("Lee", "Acme")


class TestHeaders:
    async def test_header_carries_the_transaction(self, org: Org) -> None:
        """Origin with the client id, user, key, number and timestamp."""
        txn = transaction(change("Lead", "CREATE", LEAD, {"LastName": "Lee"}),
                          client="regal-sync-writer", commit_number=42)
        org.bus.publish(txn)
        header = (await org.decode(await _only_event(org)))["ChangeEventHeader"]
        assert header["changeOrigin"].endswith(";client=regal-sync-writer")
        assert (header["commitUser"], header["transactionKey"]) == (USER_ID,
                                                                    txn.transaction_key)
        assert (header["commitNumber"], header["commitTimestamp"]) == (42, 1_717_200_000_123)
        assert (header["entityName"], header["sequenceNumber"]) == ("Lead", 1)

    async def test_person_account_change_emits_account_and_contact(self, org: Org) -> None:
        """One transaction, two events in order, sharing the transaction key."""
        org.bus.publish(transaction(
            change("Account", "UPDATE", ACCOUNT, {"PersonEmail": "a@example.com"}),
            change("Contact", "UPDATE", CONTACT, {"Email": "a@example.com"}),
        ))
        stream = await org.subscribe("/data/ChangeEvents", EARLIEST)
        headers = [(await org.decode(e))["ChangeEventHeader"] for e in await stream.events(2)]
        assert [(h["entityName"], h["sequenceNumber"]) for h in headers] == [
            ("Account", 1), ("Contact", 2),
        ]
        assert headers[0]["transactionKey"] == headers[1]["transactionKey"]

    async def test_lead_conversion_arrives_as_one_ordered_transaction(self, org: Org) -> None:
        """Account and Contact created, then the Lead marked converted."""
        org.bus.publish(transaction(
            change("Account", "CREATE", ACCOUNT, {"Name": "Acme"}),
            change("Contact", "CREATE", CONTACT, {"LastName": "Lee", "AccountId": ACCOUNT}),
            change("Lead", "UPDATE", LEAD, {
                "IsConverted": True, "ConvertedAccountId": ACCOUNT,
                "ConvertedContactId": CONTACT, "ConvertedDate": "2024-06-01",
            }),
        ))
        stream = await org.subscribe("/data/ChangeEvents", EARLIEST)
        bodies = [await org.decode(e) for e in await stream.events(3)]
        assert [(b["ChangeEventHeader"]["entityName"], b["ChangeEventHeader"]["changeType"])
                for b in bodies] == [("Account", "CREATE"), ("Contact", "CREATE"),
                                     ("Lead", "UPDATE")]
        assert [b["ChangeEventHeader"]["sequenceNumber"] for b in bodies] == [1, 2, 3]
        assert bodies[2]["ConvertedContactId"] == CONTACT

    async def test_identical_changes_share_one_event(self, org: Org) -> None:
        """Records deleted together arrive as one event with both ids."""
        other = "00Q5e00000AbCdFAAV"
        org.bus.publish(transaction(change("Lead", "DELETE", LEAD),
                                    change("Lead", "DELETE", other)))
        org.bus.publish(transaction(change("Lead", "CREATE", LEAD, {"LastName": "Lee"})))
        stream = await org.subscribe("/data/LeadChangeEvent", EARLIEST)
        first, _ = await stream.events(2)
        assert (await org.decode(first))["ChangeEventHeader"]["recordIds"] == [LEAD, other]


class TestTopics:
    async def test_object_topic_carries_only_its_object(self, org: Org) -> None:
        """/data/ContactChangeEvent skips the Account event before it."""
        org.bus.publish(transaction(
            change("Account", "UPDATE", ACCOUNT, {"Name": "Acme"}),
            change("Contact", "UPDATE", CONTACT, {"LastName": "Lee"}),
        ))
        body = await org.decode(await _only_event(org, "/data/ContactChangeEvent"))
        assert body["ChangeEventHeader"]["entityName"] == "Contact"

    async def test_object_without_change_events_emits_nothing(self, org: Org) -> None:
        """A CaseComment change in the transaction is not on any topic."""
        org.bus.publish(transaction(
            change("CaseComment", "CREATE", "00a5e00000AbCdEAAV", {"CommentBody": "hi"}),
            change("Lead", "CREATE", LEAD, {"LastName": "Lee"}),
        ))
        stream = await org.subscribe("/data/ChangeEvents", EARLIEST)
        (event,) = await stream.events(1)
        assert (await org.decode(event))["ChangeEventHeader"]["entityName"] == "Lead"


class TestGaps:
    async def test_gap_event_names_records_to_reread(self, org: Org) -> None:
        """A GAP_UPDATE carries the record ids and no field values."""
        org.bus.emit_gap("Contact", [CONTACT], "GAP_UPDATE")
        body = await org.decode(await _only_event(org, "/data/ContactChangeEvent"))
        assert body["ChangeEventHeader"]["changeType"] == "GAP_UPDATE"
        assert body["ChangeEventHeader"]["recordIds"] == [CONTACT]
        assert body["LastName"] is None and body["Email"] is None

    async def test_overflow_event_reaches_the_all_events_channel(self, org: Org) -> None:
        """GAP_OVERFLOW tells subscribers to resynchronise the object."""
        org.bus.emit_overflow("Account")
        body = await org.decode(await _only_event(org, "/data/ChangeEvents"))
        assert body["ChangeEventHeader"]["changeType"] == "GAP_OVERFLOW"
        assert body["ChangeEventHeader"]["entityName"] == "Account"

    def test_gap_for_unknown_change_type_is_refused(self, tmp_path: Path) -> None:
        """The control operation gets a ValueError it can turn into a 400."""
        bus = ChangeEventBus(org_objects(), org_id=ORG_ID, clock=FakeClock())
        with pytest.raises(ValueError, match="gap"):
            bus.emit_gap("Lead", [LEAD], "UPDATE")
