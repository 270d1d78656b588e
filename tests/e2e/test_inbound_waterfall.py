"""Every branch of the matching waterfall (SPEC I2), through the real processes.

Each row sets up records in the Salesforce sandbox, sends one call.completed
webhook and checks the matcher's logged decision (outcome, deciding step,
record) and the effect in Salesforce: the event record linked to the
chosen record, a created Lead, or nothing at all.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from inbound_kit import (
    apply_tenant,
    call_completed,
    decision_of,
    demo_mappings_with_user_id,
    event_records,
    log_lines,
    new_event_id,
    post_events,
    wait_for_event_records,
)
from simple_salesforce.api import Salesforce
from suite_harness import SuiteHandle, eventually

pytestmark = pytest.mark.e2e

EMAIL_TENANT = "waterfall-email"
USER_ID_TENANT = "waterfall-userid"
Records = dict[str, str]


def _phone() -> str:
    return f"2{secrets.randbelow(9 * 10**8) + 10**8}"


def _email(label: str) -> str:
    return f"{label}.{secrets.token_hex(4)}@example.com"


@dataclass(frozen=True)
class Row:
    name: str
    tenant: str
    setup: Callable[[Salesforce, dict[str, str]], Records]
    event: Callable[[str, Records, dict[str, str]], dict[str, Any]]
    outcome: str
    step: str
    # Label (in Records) of the record the event must land on, if any.
    winner: str | None = None


def _contact(sf: Salesforce, **fields: str) -> str:
    return str(sf.Contact.create({"LastName": "Waterfall", **fields})["id"])


def _lead(sf: Salesforce, **fields: str) -> str:
    return str(sf.Lead.create({"LastName": "Waterfall", "Company": "Acme", **fields})["id"])


def _formatted(digits: str) -> str:
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


def _e164(digits: str) -> str:
    return f"+1{digits}"


def _phone_event(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
    return call_completed(event_id, phone=_e164(v["phone"]))


def _phone_and_email(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
    return call_completed(event_id, phone=_e164(v["phone"]), email=v["email"].upper())


def _email_only(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
    return call_completed(event_id, email=v["email"])


def _user_id(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
    return call_completed(event_id, user_id=v["user_id"], phone=_e164(v["phone"]))


def _ids(*labels: str) -> Callable[[str, Records, dict[str, str]], dict[str, Any]]:
    traits = {"contact": "salesforce_contact_id", "lead": "salesforce_lead_id"}

    def build(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
        given = {traits[label.rstrip("0123456789")]: records[label] for label in labels}
        return call_completed(event_id, phone=_e164(v["phone"]), **given)
    return build


def _no_identifiers(event_id: str, records: Records, v: dict[str, str]) -> dict[str, Any]:
    return call_completed(event_id, email=v["email"])


def _setup_contact_by_phone(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact": _contact(sf, Phone=_formatted(v["phone"]))}


def _setup_contact_and_lead_by_phone(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact": _contact(sf, Phone=f"{v['phone'][:3]}.{v['phone'][3:6]}."
                                          f"{v['phone'][6:]}"),
            "lead": _lead(sf, Phone=v["phone"])}


def _setup_two_contacts_by_phone(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact1": _contact(sf, Phone=_formatted(v["phone"]), Email=v["email"]),
            "contact2": _contact(sf, Phone=f"+1 {v['phone']}", Email=_email("other"))}


def _setup_two_contacts_same_email(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact1": _contact(sf, Email=v["email"]),
            "contact2": _contact(sf, Email=v["email"])}


def _setup_two_leads_by_phone(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"lead1": _lead(sf, Phone=_formatted(v["phone"])),
            "lead2": _lead(sf, Phone=v["phone"])}


def _setup_contact_by_email(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact": _contact(sf, Email=v["email"])}


def _setup_nothing(sf: Salesforce, v: dict[str, str]) -> Records:
    return {}


def _setup_contact_and_lead(sf: Salesforce, v: dict[str, str]) -> Records:
    return {"contact": _contact(sf), "lead": _lead(sf)}


def _setup_deleted_contact(sf: Salesforce, v: dict[str, str]) -> Records:
    contact = _contact(sf, Phone=v["phone"])
    sf.Contact.delete(contact)
    return {"contact": contact}


def _converter(suite: SuiteHandle) -> Callable[[Salesforce, dict[str, str]], Records]:
    def setup(sf: Salesforce, v: dict[str, str]) -> Records:
        lead = _lead(sf, Phone=_formatted(v["phone"]))
        facts = suite.endpoints["salesforce"]
        response = httpx.post(f"{facts['instance_url']}/sandbox/leads/{lead}/convert",
                              json={"create_opportunity": False},
                              verify=ssl.create_default_context(cafile=facts["ca_bundle"]))
        response.raise_for_status()
        return {"lead": lead, "contact": response.json()["contact_id"]}
    return setup


def _setup_user_id(*labels: str) -> Callable[[Salesforce, dict[str, str]], Records]:
    def setup(sf: Salesforce, v: dict[str, str]) -> Records:
        made: Records = {}
        for label in labels:
            create = _lead if label.startswith("lead") else _contact
            made[label] = create(sf, Title=v["user_id"])
        made["by_phone"] = _contact(sf, Phone=v["phone"])
        return made
    return setup


CONVERTED = "converted_lead_resolves_to_its_contact"
ROWS = [
    # userId (mapped to Title in this tenant), then the rest of the waterfall.
    Row("user_id_single_contact", USER_ID_TENANT, _setup_user_id("contact"), _user_id,
        "matched", "user_id", "contact"),
    Row("user_id_contact_beats_lead", USER_ID_TENANT, _setup_user_id("contact", "lead"),
        _user_id, "matched", "user_id", "contact"),
    Row("user_id_single_lead", USER_ID_TENANT, _setup_user_id("lead"), _user_id,
        "matched", "user_id", "lead"),
    Row("user_id_two_contacts_is_an_error", USER_ID_TENANT,
        _setup_user_id("contact1", "contact2"), _user_id, "ambiguous", "user_id"),
    Row("user_id_two_leads_is_an_error", USER_ID_TENANT, _setup_user_id("lead1", "lead2"),
        _user_id, "ambiguous", "user_id"),
    Row("user_id_unknown_falls_through_to_phone", USER_ID_TENANT, _setup_user_id(),
        _user_id, "matched", "phone", "by_phone"),
    # Salesforce ids in traits.
    Row("contact_id_matches", "demo", _setup_contact_and_lead, _ids("contact"),
        "matched", "salesforce_id", "contact"),
    Row(CONVERTED, "demo", _setup_nothing, _ids("lead"), "matched", "salesforce_id",
        "contact"),
    Row("converted_lead_found_by_phone_resolves_to_its_contact", "demo", _setup_nothing,
        _phone_event, "matched", "phone", "contact"),
    Row("lead_id_matches", "demo", _setup_contact_and_lead, _ids("lead"),
        "matched", "salesforce_id", "lead"),
    Row("contact_id_beats_lead_id", "demo", _setup_contact_and_lead,
        _ids("contact", "lead"), "matched", "salesforce_id", "contact"),
    Row("unknown_id_is_an_error_not_a_phone_search", "demo", _setup_deleted_contact,
        _ids("contact"), "unresolved", "salesforce_id"),
    # Phone, email off.
    Row("phone_single_contact_any_format", "demo", _setup_contact_by_phone, _phone_event,
        "matched", "phone", "contact"),
    Row("phone_contact_beats_lead", "demo", _setup_contact_and_lead_by_phone, _phone_event,
        "matched", "phone", "contact"),
    Row("phone_two_contacts_is_an_error", "demo", _setup_two_contacts_by_phone, _phone_event,
        "ambiguous", "phone"),
    Row("phone_two_leads_is_an_error", "demo", _setup_two_leads_by_phone, _phone_event,
        "ambiguous", "phone"),
    Row("phone_unknown_creates_a_lead", "demo", _setup_nothing, _phone_event,
        "no_match", "phone"),
    Row("no_phone_with_email_off_is_an_error", "demo", _setup_contact_by_email,
        _no_identifiers, "unresolved", "phone"),
    # Email on.
    Row("email_narrows_ambiguous_phone", EMAIL_TENANT, _setup_two_contacts_by_phone,
        _phone_and_email, "matched", "email", "contact1"),
    Row("ambiguous_phone_without_email_is_an_error", EMAIL_TENANT,
        _setup_two_contacts_by_phone, _phone_event, "ambiguous", "phone"),
    Row("unknown_phone_falls_through_to_email", EMAIL_TENANT, _setup_contact_by_email,
        _phone_and_email, "matched", "email", "contact"),
    Row("no_phone_goes_to_email", EMAIL_TENANT, _setup_contact_by_email, _email_only,
        "matched", "email", "contact"),
    Row("unknown_phone_and_email_is_an_error", EMAIL_TENANT, _setup_nothing,
        _phone_and_email, "unresolved", "email"),
    Row("two_contacts_by_email_is_an_error", EMAIL_TENANT, _setup_two_contacts_same_email,
        _email_only, "ambiguous", "email"),
]


@pytest.fixture(scope="module")
def tenants(suite: SuiteHandle) -> SuiteHandle:
    apply_tenant(suite, EMAIL_TENANT, use_email_to_identify=True)
    user_id_mappings = demo_mappings_with_user_id()
    apply_tenant(suite, USER_ID_TENANT, object_mappings=user_id_mappings)
    return suite


@pytest.fixture(scope="module")
def outcomes(tenants: SuiteHandle) -> dict[str, tuple[Row, Records, dict[str, str], str]]:
    """Set every row up, send all events at once per tenant, return what was sent."""
    sf = tenants.salesforce()
    sent: dict[str, tuple[Row, Records, dict[str, str], str]] = {}
    for row in ROWS:
        values = {"phone": _phone(), "email": _email(row.name.replace("_", "-")),
                  "user_id": f"uid-{secrets.token_hex(4)}"}
        setup = _converter(tenants) if "converted" in row.name else row.setup
        records = setup(sf, values)
        sent[row.name] = (row, records, values, new_event_id())
    for tenant in {row.tenant for row in ROWS}:
        post_events(tenants, tenant, [row.event(event_id, records, values)
                                      for row, records, values, event_id in sent.values()
                                      if row.tenant == tenant])
    # Once every matched event's record exists, the batches are through, so
    # a missing record for a stopped event means it was really stopped.
    wait_for_event_records(tenants, [event_id for row, _, _, event_id in sent.values()
                                     if row.winner is not None])
    return sent


@pytest.mark.parametrize("name", [row.name for row in ROWS])
def test_waterfall_branch(outcomes: dict[str, tuple[Row, Records, dict[str, str], str]],
                          suite: SuiteHandle, name: str) -> None:
    """The event is decided by the expected step, with the expected outcome and record."""
    row, records, values, event_id = outcomes[name]
    decision = decision_of(suite, event_id)

    assert (decision["outcome"], decision["step"]) == (row.outcome, row.step)
    if row.winner is not None:
        assert decision["record"] == records[row.winner]
        stored = wait_for_event_records(suite, [event_id])[event_id]
        linked = stored["Contact__c"] or stored["Lead__c"]
        assert linked == records[row.winner]
    if row.outcome in ("ambiguous", "unresolved"):
        assert set(decision["candidates"]) <= set(records.values())
        assert event_records(suite, [event_id]) == {}
    if row.outcome == "no_match":
        sf = suite.salesforce()
        leads = eventually(lambda: sf.query(
            f"SELECT Id FROM Lead WHERE Phone = '{_e164(values['phone'])}'")["records"],
            what="created Lead")
        assert len(leads) == 1


def test_decisions_never_log_phones_or_emails(
        outcomes: dict[str, tuple[Row, Records, dict[str, str], str]],
        suite: SuiteHandle) -> None:
    """The matcher's log names ids and steps, never a phone number or an email."""
    for _, _, _, event_id in outcomes.values():
        decision_of(suite, event_id)
    text = "\n".join(str(line) for line in
                     log_lines(suite, "matcher-service", "match_decided"))
    for _, _, values, _ in outcomes.values():
        assert values["phone"] not in text
        assert values["email"].lower() not in text.lower()
