"""Attribute edits of ``salesforce_opportunity_<N>`` update that Opportunity (I7)."""

from __future__ import annotations

from typing import Any

from mapping_service.domain.configuration import validate
from mapping_service.domain.model import Configuration
from mapping_service.domain.to_salesforce import (
    MatchedRecord,
    WriteKind,
    WriteOut,
    build_salesforce_writes,
)

CONTACT = {"object": "Contact", "attributes": [{"regal": "traits.phone",
                                                "salesforce": "Phone"}]}
OPPORTUNITY = {"object": "Opportunity", "attributes": [
    {"regal": "properties.opportunityStage", "salesforce": "StageName"},
    {"regal": "properties.opportunityAmount", "salesforce": "Amount"},
    {"regal": "properties.opportunityName", "salesforce": "Name", "direction": "to_regal"},
]}
MATCH = MatchedRecord("Contact", "003A", {"RegalOpportunities": {"3": "006C", "4": "006D"}})


def configuration(*mappings: dict[str, Any], updates: bool = True) -> Configuration:
    document = {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": "leads_and_contacts",
            "update_salesforce_from_regal": True, "event_records": {},
            "log_calls_and_sms_as_tasks": False,
            "opportunities": {"send_as_attributes": True,
                              "update_from_contact_events": updates},
            "object_mappings": list(mappings),
        }],
    }
    return validate(document).configurations[0]


def edit(**changes: Any) -> dict[str, Any]:
    return {"name": "contact.attribute.edited", "eventId": "e1",
            "traits": {"phone": "+13125550147"},
            "properties": {"changes": {"custom_properties": changes}}}


def opportunity_writes(config: Configuration, event: dict[str, Any],
                       match: MatchedRecord | None = MATCH) -> list[WriteOut]:
    return [w for w in build_salesforce_writes(config, event, match)
            if w.object_type == "Opportunity"]


STAGE_EDIT = {"salesforce_opportunity_3": {
    "old_value": {"Id": "006C", "opportunityStage": "Prospecting", "opportunityAmount": 10,
                  "opportunityName": "Old"},
    "new_value": {"Id": "006C", "opportunityStage": "Closed Won", "opportunityAmount": 10,
                  "opportunityName": "New"}}}


class TestOpportunityUpdates:
    def test_changed_mapped_values_update_the_numbered_opportunity(self) -> None:
        """Only the changed, writable mapped fields go to Opportunity N's record."""
        [write] = opportunity_writes(configuration(CONTACT, OPPORTUNITY), edit(**STAGE_EDIT))

        assert write.kind is WriteKind.UPDATE
        assert write.record_id == "006C"
        assert write.fields == {"StageName": "Closed Won"}
        assert write.purpose == "opportunity_3"

    def test_without_opportunity_mapping_keys_are_field_names(self) -> None:
        """With no Opportunity mapping the edited keys are written as API names."""
        event = edit(salesforce_opportunity_4={
            "new_value": {"Id": "006D", "StageName": "Closed Lost", "Amount": 5,
                          "salesforceLink": "https://x/006D", "bad key": 1}})

        [write] = opportunity_writes(configuration(CONTACT), event)

        assert write.record_id == "006D"
        assert write.fields == {"StageName": "Closed Lost", "Amount": 5}

    def test_option_off_writes_nothing(self) -> None:
        """Without ``update_from_contact_events`` the edit leaves Opportunities alone."""
        config = configuration(CONTACT, OPPORTUNITY, updates=False)

        assert opportunity_writes(config, edit(**STAGE_EDIT)) == []

    def test_number_the_matcher_did_not_find_writes_nothing(self) -> None:
        """An N the matched record has no Opportunity for is not guessed."""
        event = edit(salesforce_opportunity_9=STAGE_EDIT["salesforce_opportunity_3"])

        assert opportunity_writes(configuration(CONTACT, OPPORTUNITY), event) == []

    def test_unmatched_event_writes_no_opportunity(self) -> None:
        """Without a matched record there are no Opportunities to number."""
        config = configuration(CONTACT, OPPORTUNITY)

        assert opportunity_writes(config, edit(**STAGE_EDIT), match=None) == []
