"""Cases, Case comments and calendar Events reach Regal (SPEC O6).

Cases and Events come through change events, Case comments by polling
(they have none). Bodies are compared whole: the expected properties
are the record itself, read back from the Salesforce sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from outbound_support import (
    SALES_REP,
    TENANT,
    apply_configuration,
    attribute,
    configuration,
    events_about,
    settled,
    user_salesforce,
    wait_for_events,
)
from simple_salesforce.api import Salesforce
from suite_harness import SuiteHandle, eventually, running_suite

from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

pytestmark = pytest.mark.e2e

CONTACT = {"object": "Contact", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.email", "Email"),
    attribute("traits.lastName", "LastName"),
]}
# Polled Case comments (and Contacts, in the toggles-off class) every half second.
POLLING = {"objects": {"CaseComment": "polling"}, "polling_interval_seconds": 0.5}
OFF = {"case": False, "case_comment": False, "event": False}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-secondary")) as handle:
        apply_configuration(handle, configuration(
            "leads_and_contacts", [CONTACT], change_sources=POLLING))
        yield handle


@pytest.fixture(scope="module")
def rep(suite: SuiteHandle) -> Salesforce:
    return user_salesforce(suite)


def new_contact(sf: Salesforce, name: str = "Case") -> str:
    contact: str = sf.Contact.create({"LastName": name, "Phone": "(201) 555-0142",
                                      "Email": "case@example.com"})["id"]
    return contact


def about(suite: SuiteHandle, key: str, record_id: str, count: int = 1) -> list[dict[str, Any]]:
    return wait_for_events(suite, lambda: events_about(suite, key, record_id, where=""),
                           count, what=f"events with {key}")


def stored(sf: Salesforce, object_type: str, record_id: str) -> dict[str, Any]:
    record = getattr(sf, object_type).get(record_id)
    return {k: v for k, v in record.items() if k != "attributes"}


def expected_body(suite: SuiteHandle, name: str, id_key: str, record_id: str,
                  contact_id: str, properties: dict[str, Any]) -> dict[str, Any]:
    instance = suite.endpoints["salesforce"]["instance_url"]
    return {
        "name": name, "eventSource": "salesforce",
        "traits": {"phone": "+12015550142", "email": "case@example.com",
                   "salesforce_contact_id": contact_id},
        id_key: record_id, "salesforceLink": f"{instance}/{record_id}",
        "properties": properties,
    }


REP_OWNER = {"assigned_user_name": "Rep", "assigned_user_email": SALES_REP}


class TestCases:
    def test_created_case_carries_every_field_its_owner_and_contact(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """A new Case sends all its fields, the assigned user and the Contact's ids."""
        contact_id = new_contact(rep)
        case_id = rep.Case.create({"ContactId": contact_id, "Subject": "Broken screen",
                                   "Origin": "Phone"})["id"]
        [created] = about(suite, "salesforce_case_id", case_id)
        created.pop("originalTimestamp")

        assert created == expected_body(
            suite, "Salesforce Case Created", "salesforce_case_id", case_id, contact_id,
            {**stored(rep, "Case", case_id), **REP_OWNER})

    def test_update_sends_the_changed_fields(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """An update carries only the changed fields, the Id and the changed names."""
        case_id = rep.Case.create({"ContactId": new_contact(rep), "Subject": "Noise"})["id"]
        about(suite, "salesforce_case_id", case_id)
        rep.Case.update(case_id, {"Status": "Working", "Priority": "High"})
        updated = about(suite, "salesforce_case_id", case_id, 2)[1]

        assert updated["name"] == "Salesforce Case Updated"
        assert updated["properties"] == {
            "Status": "Working", "Priority": "High", "Id": case_id,
            "updated_properties_regal": ["Status", "Priority"],
            "updated_properties_sf": ["Status", "Priority"], **REP_OWNER}

    def test_deleted_case_is_canceled(self, suite: SuiteHandle, rep: Salesforce) -> None:
        """Deleting a Case sends Salesforce Case Canceled, read from the recycle bin."""
        contact_id = new_contact(rep)
        case_id = rep.Case.create({"ContactId": contact_id, "Subject": "Dup"})["id"]
        about(suite, "salesforce_case_id", case_id)
        last = stored(rep, "Case", case_id)
        rep.Case.delete(case_id)
        canceled = about(suite, "salesforce_case_id", case_id, 2)[1]
        canceled.pop("originalTimestamp")
        properties = canceled.pop("properties")

        assert canceled == {k: v for k, v in expected_body(
            suite, "Salesforce Case Canceled", "salesforce_case_id", case_id,
            contact_id, {}).items() if k != "properties"}
        assert properties["IsDeleted"] is True
        assert properties["Subject"] == last["Subject"] == "Dup"


class TestCaseComments:
    def test_polled_comment_is_added_then_edited(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """A comment sends Added with all fields, then Edited with the changed body."""
        contact_id = new_contact(rep)
        case_id = rep.Case.create({"ContactId": contact_id, "Subject": "Refund"})["id"]
        comment_id = rep.CaseComment.create({"ParentId": case_id,
                                             "CommentBody": "Called the customer"})["id"]
        [added] = about(suite, "salesforce_case_comment_id", comment_id)
        added.pop("originalTimestamp")

        assert added == {
            **expected_body(suite, "Salesforce Case Comment Added",
                            "salesforce_case_comment_id", comment_id, contact_id,
                            stored(rep, "CaseComment", comment_id)),
            "salesforce_case_id": case_id}

        rep.CaseComment.update(comment_id, {"CommentBody": "Refund approved"})
        edited = about(suite, "salesforce_case_comment_id", comment_id, 2)[1]
        assert edited["name"] == "Salesforce Case Comment Edited"
        assert edited["properties"] == {
            "CommentBody": "Refund approved", "Id": comment_id,
            "updated_properties_regal": ["CommentBody"],
            "updated_properties_sf": ["CommentBody"]}


class TestCalendarEvents:
    def new_event(self, rep: Salesforce, who: str) -> str:
        event_id: str = rep.Event.create({
            "WhoId": who, "Subject": "Callback", "DurationInMinutes": 30,
            "StartDateTime": "2024-07-01T15:00:00.000+0000",
            "EndDateTime": "2024-07-01T15:30:00.000+0000"})["id"]
        return event_id

    def test_created_event_carries_every_field_its_owner_and_who(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """A new calendar Event sends all its fields, the assigned user and Who's ids."""
        contact_id = new_contact(rep)
        event_id = self.new_event(rep, contact_id)
        [created] = about(suite, "salesforce_event_id", event_id)
        created.pop("originalTimestamp")

        assert created == expected_body(
            suite, "Salesforce Event Created", "salesforce_event_id", event_id, contact_id,
            {**stored(rep, "Event", event_id), **REP_OWNER})

    def test_rescheduled_then_deleted_event(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """Moving an Event sends Updated with the new times; deleting it sends Canceled."""
        event_id = self.new_event(rep, new_contact(rep))
        about(suite, "salesforce_event_id", event_id)
        rep.Event.update(event_id, {"Location": "Zoom"})
        rep.Event.delete(event_id)
        events = about(suite, "salesforce_event_id", event_id, 3)

        assert [e["name"] for e in events] == [
            "Salesforce Event Created", "Salesforce Event Updated",
            "Salesforce Event Canceled"]
        assert events[1]["properties"] == {
            "Location": "Zoom", "Id": event_id, "updated_properties_regal": ["Location"],
            "updated_properties_sf": ["Location"], **REP_OWNER}


def switched_off(suite: SuiteHandle, record_id: str) -> list[Any]:
    """Return the event log's ``outbound_disabled`` entries for a record."""
    with grpc.insecure_channel(suite.endpoints["grpc"]["mapping"]) as channel:
        entries = mapping_pb2_grpc.MappingServiceStub(channel).QueryEventLog(
            mapping_pb2.QueryEventLogRequest(tenant_id=TENANT, status="skipped",
                                             direction="outbound", limit=500), timeout=10)
    return [e for e in entries.entries
            if record_id in e.idempotency_key and e.detail == "outbound_disabled"]


@pytest.fixture(scope="class")
def toggles_off(suite: SuiteHandle) -> None:
    """Switch the three toggles off (the module's last class: no restore)."""
    polled = {**POLLING, "objects": {"CaseComment": "polling", "Contact": "polling"}}
    apply_configuration(suite, configuration(
        "leads_and_contacts", [CONTACT], change_sources=polled, outbound=OFF))


@pytest.mark.usefixtures("toggles_off")
class TestTogglesOff:
    def test_switched_off_objects_send_nothing(
            self, suite: SuiteHandle, rep: Salesforce) -> None:
        """With outbound case, case_comment and event off, none of them reach Regal."""
        contact_id = new_contact(rep, "Quiet")
        case_id = rep.Case.create({"ContactId": contact_id, "Subject": "Quiet"})["id"]
        comment_id = rep.CaseComment.create({"ParentId": case_id,
                                             "CommentBody": "quiet"})["id"]
        event_id = TestCalendarEvents().new_event(rep, contact_id)
        # Logged as switched off: the change events were taken and dropped.
        eventually(lambda: switched_off(suite, case_id) and switched_off(suite, event_id),
                   what="outbound_disabled log entries")
        # The comment is polled before the Contact, so its marker is the Contact's update.
        rep.Contact.update(contact_id, {"LastName": "Marker"})
        sent = settled(
            suite, lambda: [e for e in suite.regal_events()
                            if {case_id, comment_id, event_id} & set(map(str, e.values()))],
            lambda: [e for e in events_about(suite, "salesforce_contact_id", contact_id)
                     if e["traits"].get("lastName") == "Marker"])

        assert sent == []
