"""Specify the checks made against the org's describe metadata (C5, C6)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from mapping_service.domain.configuration import (
    ConfigurationError,
    ValidationIssue,
    parse_document,
    validate,
)
from mapping_service.domain.describe_rules import describe_checker, read_describe

EXAMPLE = Path("/work/shared/reference/example-config.yaml")
ATTRS = ("configurations", 0, "object_mappings", 0, "attributes")
LEAD_ATTR1 = "configurations[0].object_mappings[0].attributes[1]"


def fields(*specs: tuple[str, str] | tuple[str, str, dict[str, bool]]) -> dict[str, Any]:
    """Describe fields: (name, type[, overrides]); writable unless overridden."""
    described = []
    for spec in specs:
        name, kind = spec[0], spec[1]
        field = {"name": name, "type": kind, "createable": True, "updateable": True,
                 "calculated": False}
        field.update(spec[2] if len(spec) == 3 else {})
        described.append(field)
    return {"fields": described}


def org_describe() -> dict[str, Any]:
    """Return describe results like a small org's, as Salesforce shapes them."""
    person = [("Id", "id", {"createable": False, "updateable": False}),
              ("Name", "string"), ("FirstName", "string"), ("LastName", "string"),
              ("Phone", "phone"), ("PersonEmail", "email"),
              ("IsPersonAccount", "boolean", {"createable": False, "updateable": False}),
              ("SMS_Opt_In__pc", "boolean"), ("BillingAddress", "address")]
    return {
        "Lead": fields(
            ("Id", "id", {"createable": False, "updateable": False}),
            ("Phone", "phone"), ("Email", "email"), ("FirstName", "string"),
            ("LastName", "string"), ("Name", "string", {"createable": False,
                                                        "updateable": False}),
            ("Status", "picklist"), ("Street", "textarea"), ("Address", "address"),
            ("NumberOfEmployees", "int"), ("SMS_Opt_In__c", "boolean"),
            ("Score__c", "double", {"calculated": True, "createable": False,
                                    "updateable": False}),
            ("ConvertedDate", "date", {"createable": False, "updateable": False}),
            ("External_Key__c", "string", {"updateable": False}),
            ("Photo__c", "base64"), ("Interests__c", "multipicklist"),
        ),
        "Contact": fields(("Id", "id"), ("Phone", "phone"), ("Email", "email"),
                          ("FirstName", "string"), ("LastName", "string")),
        "Account": fields(*person),  # type: ignore[arg-type]
        "Opportunity": fields(("Id", "id"), ("Name", "string"), ("Amount", "currency")),
    }


def base_document() -> dict[str, Any]:
    """Return a valid document: Leads with phone and one extra attribute slot."""
    return {
        "tenant": "acme",
        "salesforce": {"login_url": "https://login.salesforce.com", "auth": {
            "flow": "jwt_bearer", "client_id": "${SF_CLIENT_ID}",
            "username": "integration@example.com", "private_key": "${SF_KEY}"}},
        "regal": {"api_key": "${REGAL_API_KEY}"},
        "configurations": [{
            "name": "Main", "active": True, "desired_objects": "leads_and_contacts",
            "update_salesforce_from_regal": True,
            "object_mappings": [
                {"object": "Lead", "attributes": [
                    {"regal": "traits.phone", "salesforce": "Phone"},
                    {"regal": "traits.firstName", "salesforce": "FirstName"},
                ]},
            ],
        }],
    }


def check(document: dict[str, Any], describe: dict[str, Any] | None = None) -> None:
    """Validate a document against the describe metadata."""
    checker = describe_checker(read_describe(describe or org_describe()))
    validate(document, [checker])


def errors_of(document: dict[str, Any], describe: dict[str, Any] | None = None
              ) -> list[ValidationIssue]:
    """Return the issues a document is refused with."""
    with pytest.raises(ConfigurationError) as raised:
        check(document, describe)
    return raised.value.errors


def with_attribute(attribute: dict[str, Any], object_type: str = "Lead") -> dict[str, Any]:
    """Return the base document with attributes[1] of the first mapping replaced."""
    document = base_document()
    mapping = document["configurations"][0]["object_mappings"][0]
    mapping["object"] = object_type
    mapping["attributes"][1] = attribute
    return document


# (id, bad attribute, good attribute, expected message at attributes[1])
CASES: list[tuple[str, dict[str, Any], dict[str, Any], str]] = [
    ("unknown field with a near name",
     {"regal": "traits.optIn2", "salesforce": "SMS_Opt_Inn__c"},
     {"regal": "traits.optIn2", "salesforce": "SMS_Opt_In__c"},
     "Lead.SMS_Opt_Inn__c does not exist in the org; did you mean SMS_Opt_In__c?"),
    ("unknown field", {"regal": "traits.shoe", "salesforce": "Shoe_Size__c"},
     {"regal": "traits.shoe", "salesforce": "NumberOfEmployees"},
     "Lead.Shoe_Size__c does not exist in the org; check the field's API name "
     "(custom fields end in __c)"),
    ("compound address", {"regal": "traits.address", "salesforce": "Address"},
     {"regal": "traits.address.street", "salesforce": "Street"},
     "Lead.Address is a compound address field; map its parts (Street, City, State, "
     "PostalCode and Country) instead"),
    ("unmappable type", {"regal": "traits.photo", "salesforce": "Photo__c"},
     {"regal": "traits.photo", "salesforce": "Street"},
     "Lead.Photo__c is a base64 field, which no Regal property can hold; "
     "map another field"),
    ("read-only field written", {"regal": "traits.converted", "salesforce": "ConvertedDate"},
     {"regal": "traits.converted", "salesforce": "ConvertedDate", "direction": "to_regal"},
     "Lead.ConvertedDate is read-only; set direction: to_regal"),
    ("calculated field written", {"regal": "traits.score", "salesforce": "Score__c"},
     {"regal": "traits.score", "salesforce": "Score__c", "direction": "to_regal"},
     "Lead.Score__c is calculated (a formula); set direction: to_regal"),
    ("create-only field updated", {"regal": "traits.key", "salesforce": "External_Key__c"},
     {"regal": "traits.key", "salesforce": "External_Key__c", "direction": "to_regal"},
     "Lead.External_Key__c is create-only; set direction: to_regal"),
    ("compound name written", {"regal": "traits.name", "salesforce": "Name"},
     {"regal": "traits.name", "salesforce": "Name", "direction": "to_regal"},
     "Lead.Name is read-only; map FirstName and LastName instead"),
    ("opt-in on a text field", {"regal": "optIn.sms.subscribed", "salesforce": "FirstName"},
     {"regal": "optIn.sms.subscribed", "salesforce": "SMS_Opt_In__c"},
     "optIn.sms.subscribed needs a checkbox field; Lead.FirstName is string; map a "
     "checkbox such as SMS_Opt_In__c"),
    ("userId on a checkbox", {"regal": "userId", "salesforce": "SMS_Opt_In__c"},
     {"regal": "userId", "salesforce": "Id"},
     "userId needs a text or number field; Lead.SMS_Opt_In__c is boolean"),
    ("email on a number", {"regal": "traits.email", "salesforce": "NumberOfEmployees"},
     {"regal": "traits.email", "salesforce": "Email"},
     "traits.email needs a email or string field; Lead.NumberOfEmployees is int"),
    ("declared number on text", {"regal": "traits.size", "salesforce": "FirstName",
                                 "type": "number"},
     {"regal": "traits.size", "salesforce": "NumberOfEmployees", "type": "number"},
     "Lead.FirstName is string, which cannot carry a Regal number property; use a field "
     "of type currency, double, int, long, percent"),
    ("declared list on text", {"regal": "traits.interests", "salesforce": "Status",
                               "type": "list"},
     {"regal": "traits.interests", "salesforce": "Interests__c", "type": "list"},
     "Lead.Status is picklist, which cannot carry a Regal list property; use a field of "
     "type multipicklist"),
    ("declared boolean on text", {"regal": "traits.vip", "salesforce": "FirstName",
                                  "type": "boolean", "direction": "to_regal"},
     {"regal": "traits.vip", "salesforce": "SMS_Opt_In__c", "type": "boolean"},
     "Lead.FirstName is string, which cannot carry a Regal boolean property; use a field "
     "of type boolean"),
]


@pytest.mark.parametrize(("bad", "message"),
                         [pytest.param(b, m, id=i) for i, b, _, m in CASES])
def test_refuses_attribute_the_org_cannot_hold(bad: dict[str, Any], message: str) -> None:
    """A mapping the org's describe rules out is refused at its path, with the fix."""
    assert ValidationIssue(LEAD_ATTR1, message) in errors_of(with_attribute(bad))


@pytest.mark.parametrize("good", [pytest.param(g, id=i) for i, _, g, _ in CASES])
def test_accepts_corrected_attribute(good: dict[str, Any]) -> None:
    """The same document with the mapping corrected passes the describe checks."""
    check(with_attribute(good))


def test_person_account_name_names_the_fix() -> None:
    """Writing a Person Account's Name is refused with the issue's example message."""
    document = base_document()
    config = document["configurations"][0]
    config["desired_objects"] = "leads_and_person_accounts"
    config["object_mappings"].append({"object": "PersonAccount", "attributes": [
        {"regal": "traits.phone", "salesforce": "Phone"},
        {"regal": "traits.email", "salesforce": "PersonEmail"},
        {"regal": "traits.firstName", "salesforce": "FirstName"},
        {"regal": "traits.lastName", "salesforce": "LastName"},
        {"regal": "traits.fullName", "salesforce": "Name"},
    ]})

    issues = [str(i) for i in errors_of(document)]

    assert issues == ["configurations[0].object_mappings[1].attributes[4]: Account.Name "
                      "is read-only; map FirstName and LastName instead"]


def test_unknown_object_is_refused() -> None:
    """An object the org does not have is refused at the mapping's object key."""
    describe = org_describe()
    del describe["Lead"]

    assert errors_of(base_document(), describe) == [ValidationIssue(
        "configurations[0].object_mappings[0].object",
        "the org has no Lead object; check the object name")]


def test_person_accounts_need_the_feature() -> None:
    """A PersonAccount mapping in an org without Person Accounts is refused."""
    describe = org_describe()
    describe["Account"] = fields(("Id", "id"), ("Name", "string"))
    document = base_document()
    config = document["configurations"][0]
    config["desired_objects"] = "leads_and_person_accounts"
    config["object_mappings"].append({"object": "PersonAccount", "attributes": []})

    assert errors_of(document, describe) == [ValidationIssue(
        "configurations[0].object_mappings[1].object",
        "Person Accounts are not enabled in this org (Account has no IsPersonAccount); "
        "map Account instead")]


def test_read_only_field_is_fine_when_regal_never_writes() -> None:
    """With updates and creates off, a read-only field may stay direction both."""
    document = with_attribute({"regal": "traits.converted", "salesforce": "ConvertedDate"})
    document["configurations"][0]["update_salesforce_from_regal"] = False

    check(document)


def test_field_names_match_whatever_their_case() -> None:
    """Salesforce API names are case-insensitive; so is the check."""
    check(with_attribute({"regal": "traits.firstName", "salesforce": "firstname"}))


def test_unknown_regal_type_is_refused() -> None:
    """A declared Regal type outside C6's list is a structural error."""
    document = with_attribute({"regal": "traits.size", "salesforce": "NumberOfEmployees",
                               "type": "integer"})

    assert ValidationIssue(
        f"{LEAD_ATTR1}.type",
        "must be one of: boolean, number, text, paragraph, options, list",
    ) in errors_of(document)


def test_example_config_passes_against_a_matching_org() -> None:
    """The reference example validates against an org that has its fields."""
    describe = org_describe()
    describe["Lead"]["fields"] += fields(
        ("LeadSource", "picklist"), ("City", "string"), ("State", "string"),
        ("PostalCode", "string"), ("Country", "string"))["fields"]
    describe["Contact"]["fields"] += fields(
        ("Title", "string"), ("MailingStreet", "textarea"), ("MailingCity", "string"),
        ("MailingState", "string"), ("MailingPostalCode", "string"),
        ("MailingCountry", "string"), ("SMS_Opt_In__c", "boolean"))["fields"]
    describe["Opportunity"]["fields"] += fields(("StageName", "picklist"))["fields"]
    checker = describe_checker(read_describe(describe))

    tenant = parse_document(EXAMPLE.read_text(), str(EXAMPLE), [checker])

    assert tenant.tenant == "demo"


def test_malformed_describe_is_rejected() -> None:
    """Describe metadata without a fields list cannot be used."""
    with pytest.raises(ValueError, match="describe of 'Lead' has no fields list"):
        read_describe({"Lead": {"name": "Lead"}})


def test_declared_type_survives_export() -> None:
    """A declared Regal type is kept when the document is written back."""
    document = with_attribute({"regal": "traits.size", "salesforce": "NumberOfEmployees",
                               "type": "number"})
    exported = validate(copy.deepcopy(document)).to_json_dict()

    assert validate(yaml.safe_load(yaml.safe_dump(exported))) == validate(document)
