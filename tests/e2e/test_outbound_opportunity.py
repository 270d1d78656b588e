"""Opportunities reach Regal as the guide's examples show (SPEC O6, O7)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from outbound_support import (
    apply_configuration,
    attribute,
    configuration,
    events_about,
    settled,
    wait_for_events,
)
from suite_harness import SuiteHandle, eventually, running_suite

pytestmark = pytest.mark.e2e

ACCOUNT = {"object": "Account", "attributes": [
    attribute("traits.phone", "Phone"), attribute("traits.company", "Name"),
]}
CONTACT = {"object": "Contact", "attributes": [
    attribute("userId", "Id"), attribute("traits.phone", "Phone"),
    attribute("traits.lastName", "LastName"),
]}
OPPORTUNITY = {"object": "Opportunity", "attributes": [
    attribute("properties.opportunityAmount", "Amount"),
    attribute("properties.opportunityStage", "StageName"),
    attribute("properties.opportunityDescription", "Description"),
    attribute("properties.opportunityName", "Name"),
]}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("outbound-opportunity")) as handle:
        yield handle


def opportunity_events(suite: SuiteHandle, opportunity_id: str,
                       count: int = 1) -> list[dict[str, Any]]:
    return wait_for_events(suite, lambda: events_about(
        suite, "salesforce_opportunity_id", opportunity_id, where=""), count)


@pytest.fixture(scope="class")
def accounts_only(suite: SuiteHandle) -> None:
    apply_configuration(suite, configuration("leads_and_accounts", [ACCOUNT]))


@pytest.fixture(scope="class")
def opportunity_mappings(suite: SuiteHandle) -> None:
    apply_configuration(suite, configuration("leads_and_contacts", [CONTACT, OPPORTUNITY]))


@pytest.mark.usefixtures("accounts_only")
class TestWithoutOpportunityMappings:
    def new_opportunity(self, suite: SuiteHandle) -> tuple[str, str]:
        sf = suite.salesforce()
        account_id = sf.Account.create({"Name": "Acme", "Phone": "9735872432"})["id"]
        opportunity_id = sf.Opportunity.create({
            "AccountId": account_id, "Name": "testing name", "StageName": "Needs Analysis",
            "CloseDate": "2023-02-21", "Amount": 456.0})["id"]
        return account_id, opportunity_id

    def test_created_opportunity_matches_the_guides_example(
            self, suite: SuiteHandle) -> None:
        """A new Opportunity sends its Account's phone and id and every field by API name."""
        account_id, opportunity_id = self.new_opportunity(suite)
        [created] = opportunity_events(suite, opportunity_id)
        instance = suite.endpoints["salesforce"]["instance_url"]
        properties = created.pop("properties")
        created.pop("originalTimestamp")

        assert created == {
            "traits": {"phone": "+19735872432", "salesforce_account_id": account_id},
            "salesforceLink": f"{instance}/{opportunity_id}",
            "salesforce_opportunity_id": opportunity_id,
            "name": "Salesforce Opportunity Created", "eventSource": "salesforce",
        }
        assert {k: properties[k] for k in ("CloseDate", "Amount", "StageName", "Description",
                                           "Name", "Id")} == {
            "CloseDate": "2023-02-21", "Amount": 456.0, "StageName": "Needs Analysis",
            "Description": None, "Name": "testing name", "Id": opportunity_id}
        assert properties["AccountId"] == account_id

    def test_update_sends_only_the_changed_fields(self, suite: SuiteHandle) -> None:
        """An update carries the changed fields, the Id and the changed names (O6)."""
        _, opportunity_id = self.new_opportunity(suite)
        opportunity_events(suite, opportunity_id)
        suite.salesforce().Opportunity.update(opportunity_id, {"StageName": "Closed Won"})
        updated = opportunity_events(suite, opportunity_id, 2)[1]

        assert updated["name"] == "Salesforce Opportunity Updated"
        changed = ["StageName", "IsClosed", "IsWon"]
        assert updated["properties"] == {
            "StageName": "Closed Won", "IsClosed": True, "IsWon": True, "Id": opportunity_id,
            "updated_properties_regal": changed, "updated_properties_sf": changed}


@pytest.mark.usefixtures("opportunity_mappings")
class TestWithOpportunityMappings:
    def new_opportunity(self, suite: SuiteHandle) -> tuple[str, str]:
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"LastName": "Doe", "Phone": "18563907327"})["id"]
        opportunity_id = sf.Opportunity.create({
            "ContactId": contact_id, "Name": "Example Opportunity",
            "StageName": "Prospecting", "CloseDate": "2024-01-31", "Amount": 1000})["id"]
        opportunity_events(suite, opportunity_id)
        return contact_id, opportunity_id

    def test_mapped_update_uses_the_mapped_names(self, suite: SuiteHandle) -> None:
        """Only mapped fields travel, under their mapped names, with the Contact's ids (O7)."""
        contact_id, opportunity_id = self.new_opportunity(suite)
        suite.salesforce().Opportunity.update(opportunity_id, {
            "Amount": 123456, "StageName": "Needs Analysis",
            "Description": "some description"})
        updated = opportunity_events(suite, opportunity_id, 2)[1]
        instance = suite.endpoints["salesforce"]["instance_url"]
        updated.pop("originalTimestamp")

        assert updated == {
            "userId": contact_id,
            "traits": {"phone": "+18563907327", "salesforce_contact_id": contact_id},
            "salesforceLink": f"{instance}/{opportunity_id}",
            "salesforce_opportunity_id": opportunity_id,
            "properties": {
                "Id": opportunity_id, "opportunityAmount": 123456,
                "opportunityStage": "Needs Analysis",
                "opportunityDescription": "some description",
                "updated_properties_regal": ["properties.opportunityAmount",
                                             "properties.opportunityStage",
                                             "properties.opportunityDescription"],
                "updated_properties_sf": ["Amount", "StageName", "Description"],
            },
            "name": "Salesforce Opportunity Updated", "eventSource": "salesforce",
        }

    def test_unmapped_update_sends_nothing(self, suite: SuiteHandle) -> None:
        """Changing only an unmapped Opportunity field sends no event (O7)."""
        sf = suite.salesforce()
        _, opportunity_id = self.new_opportunity(suite)
        sf.Opportunity.update(opportunity_id, {"NextStep": "call back"})
        sf.Opportunity.update(opportunity_id, {"Name": "marker"})
        events = settled(
            suite, lambda: events_about(suite, "salesforce_opportunity_id", opportunity_id,
                                        where=""),
            lambda: [e for e in events_about(suite, "salesforce_opportunity_id",
                                             opportunity_id, where="")
                     if e["properties"].get("opportunityName") == "marker"])
        assert [e["name"] for e in events] == ["Salesforce Opportunity Created",
                                               "Salesforce Opportunity Updated"]


@pytest.fixture(scope="class")
def opportunities_as_attributes(suite: SuiteHandle) -> None:
    apply_configuration(suite, configuration(
        "leads_and_contacts", [CONTACT, OPPORTUNITY],
        opportunities={"send_as_attributes": True, "friendly_id_threshold": 3}))


@pytest.mark.usefixtures("opportunities_as_attributes")
class TestFriendlyIds:
    def opportunities_of(self, suite: SuiteHandle, contact_id: str, count: int) -> list[str]:
        sf = suite.salesforce()
        ids = [sf.Opportunity.create({
            "ContactId": contact_id, "Name": f"Opportunity {n}", "StageName": "Prospecting",
            "CloseDate": "2024-01-31"})["id"] for n in range(1, count + 1)]
        for opportunity_id in ids:
            opportunity_events(suite, opportunity_id)
        return ids

    def stored_ids(self, suite: SuiteHandle, ids: list[str]) -> list[Any]:
        sf = suite.salesforce()
        return [sf.Opportunity.get(i)["Regal_Friendly_Id__c"] for i in ids]

    def test_update_matches_the_guides_example(self, suite: SuiteHandle) -> None:
        """The third Opportunity of a Contact travels as salesforce_opportunity_3 (O8)."""
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"LastName": "Doe", "Phone": "18563907327"})["id"]
        ids = self.opportunities_of(suite, contact_id, 3)
        sf.Opportunity.update(ids[2], {
            "Amount": 123456, "StageName": "Needs Analysis",
            "Description": "some description", "Name": "Example Opportunity"})
        updated = opportunity_events(suite, ids[2], 2)[1]
        link = f"{suite.endpoints['salesforce']['instance_url']}/{ids[2]}"
        updated.pop("originalTimestamp")
        properties = {"Id": ids[2], "opportunityAmount": 123456,
                      "opportunityStage": "Needs Analysis",
                      "opportunityDescription": "some description",
                      "opportunityName": "Example Opportunity"}
        changed = ["Amount", "StageName", "Description", "Name"]

        assert updated == {
            "userId": contact_id,
            "traits": {
                "salesforce_opportunity_3": {"salesforceLink": link, **properties},
                "phone": "+18563907327", "salesforce_contact_id": contact_id,
            },
            "salesforceLink": link, "salesforce_opportunity_id": ids[2],
            "properties": {
                **properties,
                "updated_properties_regal": [
                    "properties.opportunityAmount", "properties.opportunityStage",
                    "properties.opportunityDescription", "properties.opportunityName"],
                "updated_properties_sf": changed,
            },
            "name": "Salesforce Opportunity Updated", "eventSource": "salesforce",
        }

    def test_friendly_ids_are_stored_on_the_opportunities(self, suite: SuiteHandle) -> None:
        """Ordinals by creation date are written back to Salesforce, with no echo (O8, O9)."""
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"LastName": "Ordinal", "Phone": "2025550123"})["id"]
        ids = self.opportunities_of(suite, contact_id, 2)
        assert eventually(lambda: (s if None not in (s := self.stored_ids(suite, ids))
                                   else None), what="stored friendly ids") == [1, 2]
        sf.Opportunity.update(ids[0], {"Name": "marker"})
        events = opportunity_events(suite, ids[0], 2)
        assert len(events) == 2

    def test_no_friendly_id_above_the_threshold(self, suite: SuiteHandle) -> None:
        """A Contact with more Opportunities than the threshold gets no friendly ids (O8)."""
        sf = suite.salesforce()
        contact_id = sf.Contact.create({"LastName": "Many", "Phone": "2025550124"})["id"]
        ids = self.opportunities_of(suite, contact_id, 4)
        sf.Opportunity.update(ids[3], {"Name": "fourth"})
        updated = opportunity_events(suite, ids[3], 2)[1]
        assert not [k for k in updated["traits"] if k.startswith("salesforce_opportunity_")]
