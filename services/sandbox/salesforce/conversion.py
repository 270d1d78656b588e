"""Lead conversion: the SOAP ``convertLead`` call, as one ordered transaction.

Creates (or reuses) an Account and a Contact, optionally creates an
Opportunity, then marks the Lead converted with the new ids, so the
change events arrive in the order Salesforce commits them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sandbox.salesforce import values
from sandbox.salesforce.errors import SalesforceError

if TYPE_CHECKING:
    from sandbox.salesforce.unit import UnitOfWork

Row = dict[str, Any]
_ADDRESS_PARTS = ("Street", "City", "State", "PostalCode", "Country")
_CONTACT_COPIES = (
    "Salutation", "FirstName", "LastName", "Title", "Email", "Phone",
    "MobilePhone", "LeadSource", "HasOptedOutOfEmail", "DoNotCall", "Description",
)
_ACCOUNT_COPIES = ("Phone", "Website", "Industry", "AnnualRevenue", "NumberOfEmployees")
# Salesforce sets a new opportunity's close date to the end of the quarter;
# a fixed horizon is close enough for integrations.
_CLOSE_AFTER = dt.timedelta(days=30)


@dataclass(frozen=True)
class ConversionRequest:
    lead_id: str
    account_id: str | None = None
    contact_id: str | None = None
    create_opportunity: bool = True
    opportunity_name: str | None = None
    converted_status: str = "Closed - Converted"


@dataclass(frozen=True)
class ConversionResult:
    lead_id: str
    account_id: str
    contact_id: str
    opportunity_id: str | None


def convert_lead(unit: UnitOfWork, request: ConversionRequest) -> ConversionResult:
    """Convert a lead inside ``unit``; every write is undone if one fails."""
    lead_schema = unit.require_schema("Lead")
    lead = unit.live_row(lead_schema, request.lead_id)
    if lead.get("IsConverted"):
        raise SalesforceError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
    status = values.coerce(lead_schema.fields["Status"], request.converted_status)
    _check_existing(unit, request)
    with unit.atomic():
        account_id = request.account_id or _new_account(unit, lead)
        contact_id = request.contact_id or _new_contact(unit, lead, account_id)
        opportunity_id = (
            _new_opportunity(unit, lead, account_id, request.opportunity_name)
            if request.create_opportunity else None
        )
        unit.modify_row(lead_schema, lead, {
            "IsConverted": True, "Status": status,
            "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
            "ConvertedOpportunityId": opportunity_id,
            "ConvertedDate": unit.now[:10],
        })
    return ConversionResult(lead["Id"], account_id, contact_id, opportunity_id)


def _check_existing(unit: UnitOfWork, request: ConversionRequest) -> None:
    if request.account_id:
        unit.live_row(unit.require_schema("Account"), request.account_id)
    if request.contact_id:
        unit.live_row(unit.require_schema("Contact"), request.contact_id)


def _new_account(unit: UnitOfWork, lead: Row) -> str:
    schema = unit.require_schema("Account")
    fields: Row = {"Name": lead.get("Company") or lead["LastName"], "OwnerId": lead["OwnerId"]}
    fields.update({k: lead[k] for k in _ACCOUNT_COPIES if lead.get(k) is not None})
    fields.update({
        f"Billing{p}": lead[p] for p in _ADDRESS_PARTS if lead.get(p) is not None
    })
    return unit.insert_row(schema, fields)


def _new_contact(unit: UnitOfWork, lead: Row, account_id: str) -> str:
    schema = unit.require_schema("Contact")
    fields: Row = {"AccountId": account_id, "OwnerId": lead["OwnerId"]}
    fields.update({k: lead[k] for k in _CONTACT_COPIES if lead.get(k) is not None})
    fields.update({
        f"Mailing{p}": lead[p] for p in _ADDRESS_PARTS if lead.get(p) is not None
    })
    # Custom fields with the same API name on both objects carry over, as a
    # lead field mapping would configure them.
    fields.update({
        name: value for name, value in lead.items()
        if name.endswith("__c") and name in schema.fields and value is not None
    })
    return unit.insert_row(schema, fields)


def _new_opportunity(
    unit: UnitOfWork, lead: Row, account_id: str, name: str | None,
) -> str:
    schema = unit.require_schema("Opportunity")
    close = dt.date.fromisoformat(unit.now[:10]) + _CLOSE_AFTER
    return unit.insert_row(schema, {
        "Name": name or f"{lead.get('Company') or lead['LastName']}-",
        "StageName": "Prospecting", "CloseDate": close.isoformat(),
        "AccountId": account_id, "OwnerId": lead["OwnerId"],
        "LeadSource": lead.get("LeadSource"),
    })
