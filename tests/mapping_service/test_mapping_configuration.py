"""Specify how tenant configuration documents are parsed and validated."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mapping_service.domain.configuration import (
    ConfigurationError,
    ValidationIssue,
    parse_document,
    validate,
)
from mapping_service.domain.model import Direction, WriteCondition

EXAMPLE = Path("/work/shared/reference/example-config.yaml")
ATTRS = ("configurations", 0, "object_mappings", 0, "attributes")
ATTR0 = (*ATTRS, 0)
ATTR0_PATH = "configurations[0].object_mappings[0].attributes[0]"


def base_document() -> dict[str, Any]:
    """Return a small valid document: Leads and Contacts, phone mapped."""
    return {
        "tenant": "acme",
        "salesforce": {
            "login_url": "https://login.salesforce.com",
            "auth": {
                "flow": "jwt_bearer",
                "client_id": "${SF_CLIENT_ID}",
                "username": "integration@example.com",
                "private_key": "${SF_PRIVATE_KEY}",
            },
        },
        "regal": {"api_key": "${REGAL_API_KEY}"},
        "configurations": [{
            "name": "Main",
            "active": True,
            "desired_objects": "leads_and_contacts",
            "object_mappings": [
                {"object": "Lead", "attributes": [
                    {"regal": "traits.phone", "salesforce": "Phone"},
                ]},
                {"object": "Contact", "attributes": [
                    {"regal": "traits.phone", "salesforce": "Phone"},
                ]},
            ],
        }],
    }


def set_at(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> None:
    """Set a value deep in a document; an index one past a list's end appends."""
    node: Any = document
    for key in path[:-1]:
        node = node[key]
    last = path[-1]
    if isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = value


def errors_of(document: dict[str, Any]) -> list[ValidationIssue]:
    """Validate a document and return the issues it was refused with."""
    with pytest.raises(ConfigurationError) as raised:
        validate(document)
    return raised.value.errors


# (id, where to set, bad value, good value, expected path, expected message)
CASES: list[tuple[str, tuple[Any, ...], Any, Any, str, str]] = [
    ("unknown key", ("configurations", 0, "colour"), "blue", None,
     "configurations[0].colour", 'unknown key "colour"'),
    ("wrong type", ("configurations", 0, "active"), "yes", True,
     "configurations[0].active", "expected a boolean, got a string"),
    ("missing tenant", ("tenant",), None, "acme", "tenant", "is required"),
    ("bad direction", (*ATTR0, "direction"), "outbound", "to_regal",
     f"{ATTR0_PATH}.direction", "must be one of: both, to_regal, to_salesforce"),
    ("bad when", (*ATTR0, "when"), "sometimes", "salesforce_blank",
     f"{ATTR0_PATH}.when", "must be one of: always, salesforce_blank"),
    ("bad desired objects", ("configurations", 0, "desired_objects"), "everything",
     "leads_and_contacts", "configurations[0].desired_objects",
     "must be one of: leads_only, leads_and_contacts, leads_and_accounts, "
     "leads_and_person_accounts"),
    ("no prefix", (*ATTR0, "regal"), "phone", "traits.phone", f"{ATTR0_PATH}.regal",
     "must be one of traits.<name>, userId or optIn.<voice|sms|email>.subscribed"),
    ("traits.userId", (*ATTR0, "regal"), "traits.userId", "userId",
     f"{ATTR0_PATH}.regal", "use userId, not traits.userId"),
    ("bad opt-in channel", (*ATTR0, "regal"), "optIn.fax.subscribed",
     "optIn.sms.subscribed", f"{ATTR0_PATH}.regal",
     "must be optIn.<voice|sms|email>.subscribed"),
    ("empty trait part", (*ATTR0, "regal"), "traits.address..city",
     "traits.address.city", f"{ATTR0_PATH}.regal",
     "traits.<name> needs a name, with dots only between parts"),
    ("reserved trait", (*ATTR0, "regal"), "traits.salesforceLink", "traits.link",
     f"{ATTR0_PATH}.regal",
     "traits.salesforceLink is set by regal-sync and cannot be mapped"),
    ("bad field name", (*ATTR0, "salesforce"), "Phone Number", "Phone__c",
     f"{ATTR0_PATH}.salesforce", "is not a Salesforce field API name"),
    ("duplicate Regal name", (*ATTRS, 1),
     {"regal": "traits.phone", "salesforce": "MobilePhone"},
     {"regal": "traits.mobile", "salesforce": "MobilePhone"},
     "configurations[0].object_mappings[0].attributes[1]",
     'duplicate mapping of Regal attribute "traits.phone" (first at attributes[0])'),
    ("field written twice", (*ATTRS, 1),
     {"regal": "traits.mobile", "salesforce": "Phone"},
     {"regal": "traits.mobile", "salesforce": "Phone", "direction": "to_regal"},
     "configurations[0].object_mappings[0].attributes[1]",
     "Salesforce field Phone is already written from Regal by attributes[0]"),
    ("overlapping traits", (*ATTRS, 1),
     {"regal": "traits.phone.home", "salesforce": "HomePhone"},
     {"regal": "traits.homePhone", "salesforce": "HomePhone"},
     "configurations[0].object_mappings[0].attributes[1]",
     "traits.phone.home overlaps traits.phone at attributes[0]"),
    ("blank rule without writes", (*ATTR0, "direction"), "to_regal", "to_salesforce",
     f"{ATTR0_PATH}.when",
     "salesforce_blank needs a direction that writes Salesforce (both or to_salesforce)"),
    ("duplicate object mapping", ("configurations", 0, "object_mappings", 2),
     {"object": "Lead", "attributes": []},
     {"object": "Opportunity", "attributes": []},
     "configurations[0].object_mappings[2]",
     "duplicate object mapping for Lead (first at object_mappings[0])"),
    ("object outside desired objects", ("configurations", 0, "desired_objects"),
     "leads_only", "leads_and_contacts", "configurations[0].object_mappings[1].object",
     "Contact is not synced when desired_objects is leads_only"),
    ("Opportunity traits", ("configurations", 0, "object_mappings", 2),
     {"object": "Opportunity", "attributes": [{"regal": "traits.amount",
                                               "salesforce": "Amount"}]},
     {"object": "Opportunity", "attributes": [{"regal": "properties.amount",
                                               "salesforce": "Amount"}]},
     "configurations[0].object_mappings[2].attributes[0].regal",
     "Opportunity attributes must be named properties.<name>"),
    ("second active configuration", ("configurations", 1),
     {"name": "Other", "active": True, "desired_objects": "leads_only"},
     {"name": "Other", "active": False, "desired_objects": "leads_only"},
     "configurations[1].active",
     "only one configuration may be active; configurations[0] is active"),
    ("duplicate configuration name", ("configurations", 1),
     {"name": "Main", "desired_objects": "leads_only"},
     {"name": "Backup", "desired_objects": "leads_only"},
     "configurations[1].name",
     'duplicate configuration name "Main" (first at configurations[0])'),
    ("opportunity updates need attributes", ("configurations", 0, "opportunities"),
     {"update_from_contact_events": True},
     {"update_from_contact_events": True, "send_as_attributes": True},
     "configurations[0].opportunities.update_from_contact_events",
     "requires opportunities.send_as_attributes"),
    ("inline secret", ("salesforce", "auth", "private_key"), "-----BEGIN KEY-----",
     "${SF_PRIVATE_KEY}", "salesforce.auth.private_key",
     "must be a ${NAME} reference; secrets are never written inline"),
    ("unknown event type", ("configurations", 0, "event_records"),
     {"call.placed": True}, {"call.completed": False},
     'configurations[0].event_records["call.placed"]', 'unknown key "call.placed"'),
    ("retention below one day", ("configurations", 0, "log_retention_days"), 0, 30,
     "configurations[0].log_retention_days", "must be at least 1"),
]


def _prepared(case_id: str) -> dict[str, Any]:
    document = base_document()
    if case_id == "blank rule without writes":
        set_at(document, (*ATTR0, "when"), "salesforce_blank")
    return document


def _apply(document: dict[str, Any], where: tuple[Any, ...], value: Any) -> None:
    if value is None:
        parent: Any = document
        for key in where[:-1]:
            parent = parent[key]
        parent.pop(where[-1], None)
    else:
        set_at(document, where, value)


@pytest.mark.parametrize(
    ("where", "bad", "path", "message"),
    [pytest.param(w, b, p, m, id=i) for i, w, b, _, p, m in CASES],
)
def test_refuses_structural_error_with_path(
    request: pytest.FixtureRequest, where: tuple[Any, ...], bad: Any, path: str, message: str
) -> None:
    """A broken document is refused with the exact path and message."""
    document = _prepared(request.node.callspec.id)
    _apply(document, where, bad)

    assert ValidationIssue(path, message) in errors_of(document)


@pytest.mark.parametrize(
    ("where", "good"), [pytest.param(w, g, id=i) for i, w, _, g, _, _ in CASES]
)
def test_accepts_corrected_document(
    request: pytest.FixtureRequest, where: tuple[Any, ...], good: Any
) -> None:
    """The same document with the mistake corrected is accepted."""
    document = _prepared(request.node.callspec.id)
    _apply(document, where, good)

    validate(document)


def test_mutually_exclusive_converted_objects() -> None:
    """Contact and Account mapped together are refused, whatever the desired objects."""
    document = base_document()
    set_at(document, ("configurations", 0, "object_mappings", 2),
           {"object": "Account", "attributes": []})

    assert ValidationIssue(
        "configurations[0].object_mappings[2]",
        "map at most one of Contact, Account and PersonAccount; Contact is mapped at "
        "object_mappings[1]",
    ) in errors_of(document)


def test_inactive_converted_object_is_allowed() -> None:
    """An inactive Account mapping beside an active Contact mapping is fine."""
    document = base_document()
    set_at(document, ("configurations", 0, "object_mappings", 2),
           {"object": "Account", "active": False, "attributes": []})

    validate(document)


def test_example_config_parses_unchanged() -> None:
    """The reference example document is accepted as it is."""
    tenant = parse_document(EXAMPLE.read_text(), source=str(EXAMPLE))

    active = tenant.active_configuration()
    assert tenant.tenant == "demo"
    assert active is not None and active.name == "Full Sync Configuration"
    contact = active.object_mapping("Contact")
    assert contact is not None
    email = contact.mapping_for("traits.email")
    assert email is not None and email.when is WriteCondition.SALESFORCE_BLANK
    assert active.object_mapping("Opportunity") is None


def test_secret_references_are_kept_literally() -> None:
    """``${NAME}`` references stay as written; nothing is resolved while parsing."""
    tenant = parse_document(EXAMPLE.read_text())

    assert tenant.salesforce.auth.private_key == "${DEMO_SF_PRIVATE_KEY}"
    assert tenant.regal.api_key == "${DEMO_REGAL_API_KEY}"


def test_defaults_fill_left_out_options() -> None:
    """Options left out take the documented defaults."""
    tenant = validate(base_document())

    configuration = tenant.configurations[0]
    assert tenant.regal.timeout_seconds == 10.0
    assert configuration.log_retention_days == 180
    assert configuration.event_record_retention_days is None
    assert configuration.opportunities.friendly_id_threshold == 100
    assert configuration.subscribed_by_default.for_channel("sms") is False
    lead = configuration.object_mapping("Lead")
    assert lead is not None
    assert lead.attributes[0].direction is Direction.BOTH
    assert lead.attributes[0].when is WriteCondition.ALWAYS


def test_lowercase_id_means_the_record_id() -> None:
    """A mapping to ``id`` reads as the ``Id`` field."""
    document = base_document()
    set_at(document, (*ATTRS, 1), {"regal": "userId", "salesforce": "id"})

    lead = validate(document).configurations[0].object_mappings[0]

    assert lead.attributes[1].salesforce == "Id"


def test_json_document_is_accepted() -> None:
    """The same document written as JSON parses like YAML."""
    tenant = parse_document(json.dumps(base_document()))

    assert tenant.tenant == "acme"


def test_yaml_syntax_error_names_the_line() -> None:
    """Unparseable text is refused with its line, not a crash."""
    with pytest.raises(ConfigurationError) as raised:
        parse_document("tenant: demo\nregal: [unclosed\n", source="acme.yaml")

    issue = raised.value.errors[0]
    assert issue.path == ""
    assert issue.message.startswith("not valid YAML")
    assert "acme.yaml" in str(raised.value)


def test_export_round_trips() -> None:
    """The exported JSON document parses back to an equal configuration."""
    tenant = parse_document(EXAMPLE.read_text())

    exported = json.dumps(tenant.to_json_dict())

    assert parse_document(exported) == tenant


def test_every_issue_is_reported_at_once() -> None:
    """Several mistakes come back together, not one per attempt."""
    document = copy.deepcopy(base_document())
    set_at(document, ("configurations", 0, "active"), "yes")
    set_at(document, (*ATTR0, "regal"), "phone")

    assert len(errors_of(document)) == 2
