"""Leads and Contacts reach Regal as SPEC O1-O5, O9 and O10 describe."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    events_about,
    our_salesforce,
    regal_profile,
    sandbox_call,
    settled,
    user_salesforce,
    wait_for_events,
    without_timestamps,
)
from suite_harness import SuiteHandle, running_suite

pytestmark = pytest.mark.e2e

LEAD = {"object": "Lead", "attributes": [
    attribute("userId", "Id"),
    attribute("traits.phone", "Phone"), attribute("traits.email", "Email"),
    attribute("traits.firstName", "FirstName"), attribute("traits.lastName", "LastName"),
    attribute("traits.company", "Company"),
    attribute("traits.status", "Status", direction="to_regal"),
    attribute("traits.annualRevenue", "AnnualRevenue"),
    attribute("traits.doNotCall", "DoNotCall"),
    attribute("traits.notes", "Description"),
    attribute("optIn.sms.subscribed", "SMS_Opt_In__c"),
]}
CONTACT = {"object": "Contact", "attributes": [
    attribute("userId", "Id"),
    attribute("traits.firstName", "FirstName"), attribute("traits.lastName", "LastName"),
    attribute("traits.phone", "Phone"), attribute("traits.email", "Email"),
    attribute("traits.title", "Title"),
    attribute("traits.address.street", "MailingStreet"),
    attribute("traits.address.city", "MailingCity"),
    attribute("optIn.email.subscribed", "Email_Opt_In__c"),
    # A field the org does not have: this mapping is broken (O10).
    attribute("traits.favoriteColor", "Favorite_Color__c"),
]}


def primary_configuration(**options: Any) -> dict[str, Any]:
    return configuration("leads_and_contacts", [LEAD, CONTACT], **options)


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-primary")) as handle:
        apply_configuration(handle, primary_configuration())
        yield handle


def contact_events(suite: SuiteHandle, contact_id: str, count: int = 1) -> list[dict[str, Any]]:
    return wait_for_events(
        suite, lambda: events_about(suite, "salesforce_contact_id", contact_id), count)


def new_contact(suite: SuiteHandle, **fields: Any) -> str:
    contact_id: str = user_salesforce(suite).Contact.create({
        "FirstName": "John", "LastName": "Doe", "Phone": "(856) 559-7961",
        "Email": "john@example.com", "MailingStreet": "1 Main St",
        "MailingCity": "somewhere", "Email_Opt_In__c": True, **fields})["id"]
    contact_events(suite, contact_id)
    return contact_id


class TestPrimaryCreated:
    def test_contact_created_carries_every_mapped_field_and_all_opt_ins(
            self, suite: SuiteHandle) -> None:
        """A new Contact sends every mapped trait, the ids, the link and three opt-ins (O2, O4)."""
        contact_id = new_contact(suite, Title="CTO")
        [created] = events_about(suite, "salesforce_contact_id", contact_id)
        instance = suite.endpoints["salesforce"]["instance_url"]

        assert without_timestamps(created) == {
            "name": "Salesforce Contact Created", "eventSource": "salesforce",
            "userId": contact_id,
            "traits": {
                "firstName": "John", "lastName": "Doe", "phone": "+18565597961",
                "email": "john@example.com", "title": "CTO",
                "address": {"street": "1 Main St", "city": "somewhere"},
                "salesforceLink": f"{instance}/{contact_id}",
                "salesforce_contact_id": contact_id,
                "optIn": [{"channel": "voice", "subscribed": True},
                          {"channel": "sms", "subscribed": True},
                          {"channel": "email", "subscribed": True}],
            },
        }

    def test_broken_mapping_leaves_out_only_its_own_trait(self, suite: SuiteHandle) -> None:
        """A mapping to a field the org lacks drops that trait; the event still goes (O10)."""
        contact_id = new_contact(suite)
        [created] = events_about(suite, "salesforce_contact_id", contact_id)
        assert "favoriteColor" not in created["traits"]
        assert created["traits"]["lastName"] == "Doe"

    def test_lead_without_phone_still_sends_typed_values(self, suite: SuiteHandle) -> None:
        """Numbers, booleans and awkward text keep their JSON types; no phone is fine (O2, O9)."""
        text = 'He said "call me", then left,\nfor good; 100%'
        lead_id = user_salesforce(suite).Lead.create({
            "LastName": "Typed", "Company": "Acme, Inc.", "AnnualRevenue": 1200000,
            "DoNotCall": True, "Description": text})["id"]
        [created] = wait_for_events(suite, lambda: events_about(suite, "salesforce_lead_id",
                                                                lead_id))
        traits = created["traits"]
        assert traits["annualRevenue"] == 1200000
        assert traits["doNotCall"] is True
        assert traits["notes"] == text
        assert traits["company"] == "Acme, Inc."
        assert traits["phone"] is None
        assert created["userId"] == lead_id


class TestPrimaryUpdated:
    def test_contact_update_matches_the_guides_example(self, suite: SuiteHandle) -> None:
        """An update sends all mapped traits, the changed names and the email opt-in (O3, O4)."""
        contact_id = new_contact(suite, FirstName="John", LastName="Smith", Title="CTO",
                                 MailingStreet="1 Main St")
        user_salesforce(suite).Contact.update(contact_id, {
            "LastName": "Doe", "Email": "john.doe@example.com", "Title": "some title",
            "MailingStreet": "123 sesame st"})
        updated = contact_events(suite, contact_id, 2)[1]
        instance = suite.endpoints["salesforce"]["instance_url"]

        assert without_timestamps(updated) == {
            "traits": {
                "firstName": "John", "lastName": "Doe", "phone": "+18565597961",
                "email": "john.doe@example.com", "title": "some title",
                "salesforceLink": f"{instance}/{contact_id}",
                "address": {"street": "123 sesame st", "city": "somewhere"},
                "optIn": [{"channel": "email", "subscribed": True}],
                "salesforce_contact_id": contact_id,
            },
            "eventSource": "salesforce", "name": "Salesforce Contact Updated",
            "userId": contact_id,
            "properties": {
                "updated_properties_regal": ["traits.lastName", "traits.email", "traits.title",
                                             "traits.address.street"],
                "updated_properties_sf": ["LastName", "Email", "Title", "MailingStreet"],
            },
        }

    def test_phone_change_resends_voice_and_sms_opt_ins(self, suite: SuiteHandle) -> None:
        """A new phone re-sends the voice and sms opt-ins, not email's (O4)."""
        contact_id = new_contact(suite)
        user_salesforce(suite).Contact.update(contact_id, {"Phone": "415-555-0100"})
        updated = contact_events(suite, contact_id, 2)[1]
        assert [o["channel"] for o in updated["traits"]["optIn"]] == ["voice", "sms"]
        assert updated["traits"]["phone"] == "+14155550100"

    def test_other_updates_send_no_opt_in(self, suite: SuiteHandle) -> None:
        """A title change carries no opt-in block (O4)."""
        contact_id = new_contact(suite)
        user_salesforce(suite).Contact.update(contact_id, {"Title": "VP"})
        updated = contact_events(suite, contact_id, 2)[1]
        assert "optIn" not in updated["traits"]

    def test_unmapped_field_update_sends_nothing(self, suite: SuiteHandle) -> None:
        """Changing only an unmapped field sends no event (O3)."""
        sf = user_salesforce(suite)
        contact_id = new_contact(suite)
        sf.Contact.update(contact_id, {"Department": "Finance"})
        sf.Contact.update(contact_id, {"Title": "marker"})
        events = settled(
            suite, lambda: events_about(suite, "salesforce_contact_id", contact_id),
            lambda: [e for e in events_about(suite, "salesforce_contact_id", contact_id)
                     if e["traits"].get("title") == "marker"])
        assert [e["name"] for e in events] == ["Salesforce Contact Created",
                                               "Salesforce Contact Updated"]
        assert events[1]["properties"]["updated_properties_sf"] == ["Title"]


class TestLoopsAndConversion:
    def test_our_own_write_is_not_echoed(self, suite: SuiteHandle) -> None:
        """A change written with regal-sync's client id never goes back to Regal (O9)."""
        contact_id = new_contact(suite)
        our_salesforce(suite).Contact.update(contact_id, {"Title": "written by regal-sync"})
        # A later change to another record: once it is out, ours was handled.
        marker = user_salesforce(suite).Contact.create({"LastName": "Marker",
                                                        "Phone": "2025550999"})["id"]
        events = settled(
            suite, lambda: events_about(suite, "salesforce_contact_id", contact_id),
            lambda: events_about(suite, "salesforce_contact_id", marker))
        assert [e["name"] for e in events] == ["Salesforce Contact Created"]

    def test_lead_conversion_moves_the_profile_to_the_contact(
            self, suite: SuiteHandle) -> None:
        """After conversion events speak for the Contact and the profile's id moves (O5)."""
        sf = user_salesforce(suite)
        lead_id = sf.Lead.create({"LastName": "Convert", "Company": "Acme",
                                  "Phone": "(212) 555-0199"})["id"]
        wait_for_events(suite, lambda: events_about(suite, "salesforce_lead_id", lead_id))
        result = sandbox_call(suite, "POST", f"/sandbox/leads/{lead_id}/convert",
                              {"create_opportunity": False})
        contact_id = result["contact_id"]
        [created] = contact_events(suite, contact_id)
        sf.Contact.update(contact_id, {"Title": "marker"})
        contact_events(suite, contact_id, 2)

        assert created["name"] == "Salesforce Contact Created"
        assert created["userId"] == contact_id
        assert created["traits"]["phone"] == "+12125550199"
        lead_events = events_about(suite, "salesforce_lead_id", lead_id)
        assert [e["name"] for e in lead_events] == ["Salesforce Lead Created"]
        assert regal_profile(suite, phone="+12125550199")["userId"] == contact_id
