"""Specify what the matcher's waterfall may search by (I2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapping_service.domain.configuration import parse_document, validate
from mapping_service.domain.identity import (
    Identifiers,
    ObjectIdentity,
    ReadPlan,
    RecordRef,
    identifiers_of,
    match_policy,
    read_plans,
)
from mapping_service.domain.model import Configuration

EXAMPLE = Path("/work/shared/reference/example-config.yaml")
EVENT: dict[str, Any] = {
    "userId": "20417",
    "name": "call.completed",
    "traits": {"phone": "+13125550147", "email": "jordan@example.com",
               "salesforce_contact_id": "003A", "salesforce_lead_id": "00QA"},
    "properties": {},
}


def example_configuration() -> Configuration:
    """Return the reference example's active configuration."""
    config = parse_document(EXAMPLE.read_text()).active_configuration()
    assert config is not None
    return config


def with_options(**options: Any) -> Configuration:
    """Build a configuration with a Lead userId mapping and the given options."""
    return validate({
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "client_credentials", "client_id": "id", "client_secret": "${S}"}},
        "regal": {"api_key": "${K}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": "leads_and_contacts",
            "object_mappings": [
                {"object": "Lead", "attributes": [
                    {"regal": "userId", "salesforce": "Id"},
                    {"regal": "traits.email", "salesforce": "Email"},
                ]},
            ],
            **options,
        }],
    }).configurations[0]


def test_policy_searches_contacts_before_leads() -> None:
    """Contacts come before Leads, with their phone and email fields."""
    policy = match_policy(example_configuration())

    assert policy.objects == (
        ObjectIdentity("Contact", None, ("Phone",), ("Email",)),
        ObjectIdentity("Lead", None, ("Phone",), ("Email",)),
    )
    assert (policy.user_id_mapped, policy.use_email) == (False, False)


def test_policy_reports_user_id_mapping() -> None:
    """A userId mapping is named with its field."""
    policy = match_policy(with_options(use_email_to_identify=True))

    assert (policy.user_id_mapped, policy.user_id_field, policy.use_email) == (
        True, "Id", True
    )


def test_identifiers_follow_the_configuration() -> None:
    """Only identifiers the configuration allows are handed to the waterfall."""
    identifiers = identifiers_of(EVENT, example_configuration())

    assert identifiers == Identifiers(
        user_id=None,
        salesforce_ids=(RecordRef("Contact", "003A"), RecordRef("Lead", "00QA")),
        phone="+13125550147",
        email=None,
    )


def test_identifiers_with_user_id_and_email() -> None:
    """With a userId mapping and email on, both are used; no phone mapping, no phone."""
    identifiers = identifiers_of(EVENT, with_options(use_email_to_identify=True))

    assert (identifiers.user_id, identifiers.phone, identifiers.email) == (
        "20417", None, "jordan@example.com"
    )


def test_identifiers_from_second_envelope() -> None:
    """The brand/event_id envelope yields the contact phone from its properties."""
    event = {"event_id": "e1", "event_type": "call.analysis.available",
             "properties": {"contact_phone": "+13125550147"}}

    assert identifiers_of(event, example_configuration()).phone == "+13125550147"


def test_read_plans_list_mapped_fields() -> None:
    """Each mapped object is read with Id and its mapped fields."""
    plans = read_plans(example_configuration())

    assert plans[0] == ReadPlan("Lead", (
        "Id", "Phone", "Email", "FirstName", "LastName", "Status", "LeadSource",
        "Street", "City", "State", "PostalCode", "Country",
    ))
    assert [plan.object_type for plan in plans] == ["Lead", "Contact"]
