"""Regal events land in Salesforce: event records, field updates, Tasks (I3-I6, I8)."""

from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
from inbound_kit import (
    apply_tenant,
    call_completed,
    new_event_id,
    post_events,
    wait_for_event_records,
)
from suite_harness import SuiteHandle, eventually

pytestmark = pytest.mark.e2e

SAMPLES = json.loads(
    Path("/work/shared/reference/regal-webhook-samples.json").read_text())
LEADS_TENANT = "writes-leads"
LEAD_MAPPINGS = [{"object": "Lead", "active": True, "attributes": [
    {"regal": "traits.phone", "salesforce": "Phone"},
    {"regal": "traits.email", "salesforce": "Email"},
    {"regal": "traits.firstName", "salesforce": "FirstName"},
    {"regal": "traits.lastName", "salesforce": "LastName"},
    {"regal": "traits.title", "salesforce": "Title"},
    {"regal": "traits.do_not_call", "salesforce": "DoNotCall"},
    {"regal": "traits.employees", "salesforce": "NumberOfEmployees"},
    {"regal": "traits.revenue", "salesforce": "AnnualRevenue"},
    {"regal": "traits.rating", "salesforce": "Rating"},
    {"regal": "traits.website", "salesforce": "Website"},
    {"regal": "traits.notes", "salesforce": "Description"},
    {"regal": "traits.address.city", "salesforce": "City"},
    {"regal": "traits.address.zipcode", "salesforce": "PostalCode"},
    {"regal": "optIn.sms.subscribed", "salesforce": "SMS_Opt_In__c"},
]}]


def _phone() -> str:
    return f"3{secrets.randbelow(9 * 10**8) + 10**8}"


def _sample(name: str, phone: str, **properties: Any) -> dict[str, Any]:
    body = copy.deepcopy(SAMPLES["events"][name])
    body["eventId"] = new_event_id()
    body["traits"] = {"phone": f"+1{phone}"}
    body["properties"].update(properties)
    return body


@pytest.fixture(scope="module")
def leads_tenant(suite: SuiteHandle) -> SuiteHandle:
    apply_tenant(suite, LEADS_TENANT, desired_objects="leads_only",
                 object_mappings=LEAD_MAPPINGS)
    return suite


class TestEventRecords:
    def test_every_event_type_is_stored_on_the_contact(self, suite: SuiteHandle) -> None:
        """Each of the 13 event types becomes one Regal_Event__c linked to the Contact."""
        phone = _phone()
        contact = suite.salesforce().Contact.create({"LastName": "Types", "Phone": phone})["id"]
        events = [_sample(name, phone) for name in SAMPLES["events"]]
        post_events(suite, "demo", events)

        stored = wait_for_event_records(suite, [e["eventId"] for e in events])
        assert {r["Event_Name__c"] for r in stored.values()} == set(SAMPLES["events"])
        assert {r["Contact__c"] for r in stored.values()} == {contact}
        call = stored[events[0]["eventId"]]
        assert call["Talk_Time__c"] == SAMPLES["events"]["call.completed"]["properties"][
            "talk_time"]

    def test_redelivered_event_has_one_effect(self, suite: SuiteHandle) -> None:
        """The same eventId sent three times gives one event record and one Task."""
        phone = _phone()
        sf = suite.salesforce()
        contact = sf.Contact.create({"LastName": "Twice", "Phone": phone})["id"]
        event = call_completed(new_event_id(), phone=f"+1{phone}")
        for _ in range(3):
            post_events(suite, "demo", [event])
        post_events(suite, "demo", [event, event])

        wait_for_event_records(suite, [event["eventId"]])
        tasks = eventually(lambda: sf.query(
            f"SELECT Id FROM Task WHERE WhoId = '{contact}'")["records"], what="Task")
        all_records = sf.query("SELECT Id FROM Regal_Event__c WHERE Event_Id__c = "
                               f"'{event['eventId']}'")["records"]
        assert len(all_records) == 1
        assert len(tasks) == 1


class TestTasks:
    def test_call_task_is_owned_by_the_agent(self, suite: SuiteHandle) -> None:
        """A completed call's Task belongs to the user whose email is the agent's."""
        sf = suite.salesforce()
        email = f"agent.{secrets.token_hex(3)}@example.com"
        user = sf.User.create({"Username": email, "Email": email, "LastName": "Agent",
                               "Alias": "agent"})["id"]
        phone = _phone()
        contact = sf.Contact.create({"LastName": "Owned", "Phone": phone})["id"]
        event = call_completed(new_event_id(), phone=f"+1{phone}")
        event["properties"]["agent_email"] = email.upper()
        post_events(suite, "demo", [event])

        task = eventually(lambda: sf.query(
            f"SELECT OwnerId, Subject, CallDurationInSeconds FROM Task "
            f"WHERE WhoId = '{contact}'")["records"], what="Task")[0]
        assert task["OwnerId"] == user
        assert task["CallDurationInSeconds"] == 42

    def test_sms_messages_append_to_one_task_until_completed(
            self, suite: SuiteHandle) -> None:
        """Messages of a conversation share one Task; completion adds the notes."""
        sf = suite.salesforce()
        phone = _phone()
        contact = sf.Contact.create({"LastName": "Texter", "Phone": phone})["id"]
        conversation = f"CH{secrets.token_hex(8)}"
        first = _sample("sms.sent", phone, sms_conversation_id=conversation,
                        content="Hi, it's Casey")
        second = _sample("sms.received", phone, sms_conversation_id=conversation,
                         content="Call me at noon")
        done = _sample("sms.conversation.completed", phone,
                       sms_conversation_id=conversation, notes="Prefers noon calls")
        post_events(suite, "demo", [first])
        post_events(suite, "demo", [second])
        wait_for_event_records(suite, [first["eventId"], second["eventId"]])
        post_events(suite, "demo", [done, first])

        def completed() -> list[dict[str, Any]]:
            rows = sf.query(f"SELECT Status, Description FROM Task "
                            f"WHERE WhoId = '{contact}'")["records"]
            return rows if rows and rows[0]["Status"] == "Completed" else []
        tasks = eventually(completed, what="completed conversation Task")
        description = tasks[0]["Description"]
        assert len(tasks) == 1
        assert description.count("Hi, it's Casey") == 1
        assert description.index("Hi, it's Casey") < description.index("Call me at noon")
        assert description.index("Call me at noon") < description.index("Prefers noon calls")


class TestFieldUpdates:
    def test_attribute_edit_converts_truncates_and_drops_only_bad_fields(
            self, leads_tenant: SuiteHandle) -> None:
        """Fourteen mappings: types converted, long text cut, a bad email dropped alone."""
        sf = leads_tenant.salesforce()
        phone = _phone()
        lead = sf.Lead.create({"LastName": "Edited", "Company": "Acme", "Phone": phone})["id"]
        changes = {"custom_properties": {
            "title": {"new_value": "T" * 300}, "do_not_call": {"new_value": "true"},
            "employees": {"new_value": "1,250"}, "revenue": {"new_value": "$99.5"},
            "rating": {"new_value": "Hot"}, "website": {"new_value": "https://x.example"},
            "notes": {"new_value": "line one\nline \"two\", with commas"},
            "email": {"new_value": "not an email"},
            "address": {"new_value": {"city": "Camden", "zipcode": 8102}}}}
        event = {"name": "contact.attribute.edited", "eventId": new_event_id(),
                 "traits": {"phone": f"+1{phone}"},
                 "properties": {"changes": changes}, "originalTimestamp": "1718805229"}
        post_events(leads_tenant, LEADS_TENANT, [event])

        lead_row = eventually(lambda: (r if (r := sf.Lead.get(lead))["Rating"] else None),
                              what="updated Lead")
        assert lead_row["Title"] == "T" * 128
        assert lead_row["DoNotCall"] is True
        assert lead_row["NumberOfEmployees"] == 1250
        assert lead_row["AnnualRevenue"] == 99.5
        assert lead_row["Website"] == "https://x.example"
        assert lead_row["Description"] == "line one\nline \"two\", with commas"
        assert (lead_row["City"], lead_row["PostalCode"]) == ("Camden", "8102")
        assert lead_row["Email"] is None

    def test_unmatched_phone_creates_one_lead(self, leads_tenant: SuiteHandle) -> None:
        """An unknown phone creates a Lead once, however often the event comes."""
        sf = leads_tenant.salesforce()
        phone = _phone()
        event = call_completed(new_event_id(), phone=f"+1{phone}", firstName="New")
        post_events(leads_tenant, LEADS_TENANT, [event])
        post_events(leads_tenant, LEADS_TENANT, [event])

        leads = eventually(lambda: sf.query(
            f"SELECT Id, FirstName FROM Lead WHERE Phone = '+1{phone}'")["records"],
            what="created Lead")
        wait_for_event_records(leads_tenant, [event["eventId"]])
        assert len(leads) == 1
        assert leads[0]["FirstName"] == "New"

    def test_created_lead_carries_the_events_record_and_task(
            self, leads_tenant: SuiteHandle) -> None:
        """The event that creates a Lead links its event record and its Task to it."""
        sf = leads_tenant.salesforce()
        phone = _phone()
        event = call_completed(new_event_id(), phone=f"+1{phone}", firstName="Linked")
        post_events(leads_tenant, LEADS_TENANT, [event])

        [lead] = eventually(lambda: sf.query(
            f"SELECT Id FROM Lead WHERE Phone = '+1{phone}'")["records"], what="created Lead")
        tasks = eventually(lambda: sf.query(
            f"SELECT Id FROM Task WHERE WhoId = '{lead['Id']}'")["records"],
            what="Task on the created Lead")
        [stored] = wait_for_event_records(leads_tenant, [event["eventId"]]).values()
        assert stored["Lead__c"] == lead["Id"]
        assert len(tasks) == 1

    def test_two_events_about_one_unknown_phone_create_one_lead(
            self, leads_tenant: SuiteHandle) -> None:
        """Events about the same new number, posted together, share one created Lead."""
        sf = leads_tenant.salesforce()
        phone = _phone()
        events = [call_completed(new_event_id(), phone=f"+1{phone}", firstName="Twice"),
                  call_completed(new_event_id(), phone=f"+1{phone}", firstName="Twice")]
        post_events(leads_tenant, LEADS_TENANT, events)

        records = wait_for_event_records(leads_tenant, [e["eventId"] for e in events])
        leads = sf.query(f"SELECT Id FROM Lead WHERE Phone = '+1{phone}'")["records"]
        assert len(leads) == 1
        assert {r["Lead__c"] for r in records.values()} == {leads[0]["Id"]}


OPPORTUNITY_TENANT = "writes-opportunities"
CONTACT_MAPPING = {"object": "Contact", "active": True, "attributes": [
    {"regal": "traits.phone", "salesforce": "Phone"},
    {"regal": "traits.lastName", "salesforce": "LastName"},
]}
OPPORTUNITY_MAPPING = {"object": "Opportunity", "active": True, "attributes": [
    {"regal": "properties.opportunityStage", "salesforce": "StageName"},
    {"regal": "properties.opportunityAmount", "salesforce": "Amount"},
    {"regal": "properties.opportunityName", "salesforce": "Name", "direction": "to_regal"},
]}


@pytest.fixture(scope="module")
def opportunity_tenant(suite: SuiteHandle) -> SuiteHandle:
    apply_tenant(suite, OPPORTUNITY_TENANT, desired_objects="leads_and_contacts",
                 object_mappings=[CONTACT_MAPPING, OPPORTUNITY_MAPPING],
                 opportunities={"send_as_attributes": True,
                                "update_from_contact_events": True,
                                "friendly_id_threshold": 100})
    return suite


class TestOpportunityUpdates:
    def test_edit_of_opportunity_attribute_updates_that_opportunity(
            self, opportunity_tenant: SuiteHandle) -> None:
        """Editing salesforce_opportunity_2 changes the Contact's Opportunity number 2 only."""
        sf = opportunity_tenant.salesforce()
        phone = _phone()
        contact = sf.Contact.create({"LastName": "Buyer", "Phone": phone})["id"]
        other = sf.Contact.create({"LastName": "Other", "Phone": _phone()})["id"]

        def opportunity(owner: str, number: int) -> str:
            return str(sf.Opportunity.create({
                "ContactId": owner, "Name": f"Deal {number}", "StageName": "Prospecting",
                "CloseDate": "2030-01-31", "Amount": 100, "Regal_Friendly_Id__c": number,
            })["id"])
        first, second, elsewhere = (opportunity(contact, 1), opportunity(contact, 2),
                                    opportunity(other, 2))
        changes = {"custom_properties": {"salesforce_opportunity_2": {
            "old_value": {"Id": second, "opportunityStage": "Prospecting",
                          "opportunityAmount": 100, "opportunityName": "Deal 2"},
            "new_value": {"Id": second, "opportunityStage": "Closed Won",
                          "opportunityAmount": 2500, "opportunityName": "Renamed"}}}}
        event = {"name": "contact.attribute.edited", "eventId": new_event_id(),
                 "traits": {"phone": f"+1{phone}"}, "originalTimestamp": "1718805229",
                 "properties": {"changes": changes}}
        post_events(opportunity_tenant, OPPORTUNITY_TENANT, [event])

        updated = eventually(
            lambda: (r if (r := sf.Opportunity.get(second))["StageName"] == "Closed Won"
                     else None), what="updated Opportunity")
        wait_for_event_records(opportunity_tenant, [event["eventId"]])
        assert (updated["Amount"], updated["Name"]) == (2500, "Deal 2")
        assert sf.Opportunity.get(first)["StageName"] == "Prospecting"
        assert sf.Opportunity.get(elsewhere)["StageName"] == "Prospecting"
