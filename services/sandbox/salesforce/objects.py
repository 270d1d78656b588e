"""The standard objects of the sandbox org, with the fields integrations use."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from sandbox.salesforce import fieldkit as fk
from sandbox.salesforce.schema import FieldSchema, ObjectSchema

SALUTATIONS = ("Mr.", "Ms.", "Mrs.", "Dr.", "Prof.")
LEAD_SOURCES = ("Web", "Phone Inquiry", "Partner Referral", "Purchased List", "Other")
LEAD_STATUSES = (
    "Open - Not Contacted", "Working - Contacted",
    "Closed - Converted", "Closed - Not Converted",
)
STAGES = (
    "Prospecting", "Qualification", "Needs Analysis", "Value Proposition",
    "Id. Decision Makers", "Perception Analysis", "Proposal/Price Quote",
    "Negotiation/Review", "Closed Won", "Closed Lost",
)
INDUSTRIES = ("Banking", "Education", "Healthcare", "Insurance", "Retail", "Technology")
# Activities may point at these objects through WhatId.
WHAT_TARGETS = ("Account", "Opportunity", "Case")


def standard_objects() -> dict[str, ObjectSchema]:
    """Build every standard object the sandbox org has, keyed by API name."""
    builders = (
        _lead, _contact, _account, _opportunity, _contact_role, _case,
        _case_comment, _task, _event, _user, _record_type,
    )
    built = [build() for build in builders]
    return {o.name: o for o in built}


def _object(
    name: str, prefix: str, fields: Iterable[FieldSchema], *,
    plural: str | None = None, owner: bool = True, change_events: bool = True,
) -> ObjectSchema:
    obj = ObjectSchema(
        name=name, label=fk.label_for(name), label_plural=plural or f"{name}s",
        key_prefix=prefix, change_events=change_events,
    )
    for f in [fk.id_field(), *fields, *fk.system_fields(owner=owner)]:
        obj.add(f)
    return obj


def _person_name() -> list[FieldSchema]:
    # Name is compound: change events nest the parts under it.
    parts = [
        fk.picklist("Salutation", SALUTATIONS),
        fk.text("FirstName", 40),
        fk.required(fk.text("LastName", 80)),
    ]
    return [
        *(dataclasses.replace(p, compound_parent="Name") for p in parts),
        fk.readonly(fk.text("Name", 121, label="Full Name"), calculated=True),
    ]


def _lead() -> ObjectSchema:
    return _object("Lead", "00Q", [
        *_person_name(),
        fk.text("Title", 128),
        fk.required(fk.text("Company", 255)),
        *fk.address("", "Address"),
        fk.phone("Phone"), fk.phone("MobilePhone"), fk.email("Email"),
        fk.url("Website"), fk.textarea("Description"),
        fk.picklist("LeadSource", LEAD_SOURCES),
        fk.picklist(
            "Status", LEAD_STATUSES, default=LEAD_STATUSES[0], restricted=True,
            nillable=False,
        ),
        fk.picklist("Industry", INDUSTRIES),
        fk.picklist("Rating", ("Hot", "Warm", "Cold")),
        fk.number("AnnualRevenue", 18, 0, "currency"),
        fk.integer("NumberOfEmployees"),
        fk.boolean("HasOptedOutOfEmail"), fk.boolean("DoNotCall"),
        fk.readonly(fk.boolean("IsConverted")),
        fk.readonly(fk.date("ConvertedDate")),
        fk.readonly(fk.reference("ConvertedAccountId", "Account")),
        fk.readonly(fk.reference("ConvertedContactId", "Contact")),
        fk.readonly(fk.reference("ConvertedOpportunityId", "Opportunity")),
        fk.boolean("IsUnreadByOwner"),
    ])


def _contact() -> ObjectSchema:
    return _object("Contact", "003", [
        fk.reference("AccountId", "Account"),
        *_person_name(),
        *fk.address("Mailing"),
        fk.phone("Phone"), fk.phone("MobilePhone"), fk.phone("HomePhone"),
        fk.phone("OtherPhone"), fk.email("Email"),
        fk.text("Title", 128), fk.text("Department", 80),
        fk.date("Birthdate"),
        fk.picklist("LeadSource", LEAD_SOURCES),
        fk.textarea("Description"),
        fk.boolean("HasOptedOutOfEmail"), fk.boolean("DoNotCall"),
        fk.readonly(fk.boolean("IsPersonAccount")),
    ])


def _account() -> ObjectSchema:
    # Name is required for business accounts only; the store checks it.
    return _object("Account", "001", [
        fk.text("Name", 255, label="Account Name"),
        fk.reference("RecordTypeId", "RecordType"),
        fk.reference("ParentId", "Account", "Parent"),
        fk.picklist("Type", ("Prospect", "Customer", "Partner", "Other")),
        *fk.address("Billing"), *fk.address("Shipping"),
        fk.phone("Phone"), fk.phone("Fax"), fk.url("Website"),
        fk.picklist("Industry", INDUSTRIES),
        fk.number("AnnualRevenue", 18, 0, "currency"),
        fk.integer("NumberOfEmployees"),
        fk.text("AccountNumber", 40), fk.textarea("Description"),
        fk.readonly(fk.boolean("IsPersonAccount")),
        fk.readonly(fk.reference("PersonContactId", "Contact", "PersonContact")),
        fk.picklist("Salutation", SALUTATIONS),
        fk.text("FirstName", 40), fk.text("LastName", 80),
        fk.email("PersonEmail"), fk.phone("PersonMobilePhone"),
        fk.phone("PersonHomePhone"), fk.text("PersonTitle", 80),
        *fk.address("PersonMailing"),
        fk.date("PersonBirthdate"),
        fk.boolean("PersonHasOptedOutOfEmail"), fk.boolean("PersonDoNotCall"),
    ])


def _opportunity() -> ObjectSchema:
    return _object("Opportunity", "006", [
        fk.reference("AccountId", "Account"),
        fk.required(fk.text("Name", 120)),
        fk.required(fk.picklist("StageName", STAGES)),
        fk.number("Amount", 16, 2, "currency"),
        fk.required(fk.date("CloseDate")),
        fk.number("Probability", 3, 0, "percent"),
        fk.picklist("Type", ("New Customer", "Existing Customer - Upgrade")),
        fk.picklist("LeadSource", LEAD_SOURCES),
        fk.text("NextStep", 255), fk.textarea("Description"),
        fk.create_only(fk.reference("ContactId", "Contact")),
        fk.readonly(fk.boolean("IsClosed")), fk.readonly(fk.boolean("IsWon")),
    ], plural="Opportunities")


def _contact_role() -> ObjectSchema:
    return _object("OpportunityContactRole", "00K", [
        fk.required(fk.create_only(fk.reference("OpportunityId", "Opportunity"))),
        fk.required(fk.reference("ContactId", "Contact")),
        fk.picklist("Role", ("Decision Maker", "Economic Buyer", "Influencer", "Other")),
        fk.boolean("IsPrimary"),
    ], owner=False)


def _case() -> ObjectSchema:
    return _object("Case", "500", [
        fk.auto_number("CaseNumber", "{00000000}"),
        fk.reference("ContactId", "Contact"), fk.reference("AccountId", "Account"),
        fk.text("Subject", 255), fk.textarea("Description"),
        fk.picklist("Status", ("New", "Working", "Escalated", "Closed"), default="New"),
        fk.picklist("Priority", ("High", "Medium", "Low"), default="Medium"),
        fk.picklist("Origin", ("Phone", "Email", "Web")),
        fk.picklist("Type", ("Question", "Problem", "Feature Request")),
        fk.picklist("Reason", ("Installation", "Performance", "Other")),
        fk.readonly(fk.boolean("IsClosed")),
        fk.readonly(fk.datetime("ClosedDate")),
        fk.email("SuppliedEmail"), fk.phone("SuppliedPhone"),
        fk.text("SuppliedName", 80),
    ])


def _case_comment() -> ObjectSchema:
    return _object("CaseComment", "00a", [
        fk.required(fk.create_only(fk.reference("ParentId", "Case", "Parent"))),
        fk.textarea("CommentBody", 4000),
        fk.boolean("IsPublished"),
    ], owner=False, change_events=False)


def _activity() -> list[FieldSchema]:
    return [
        fk.reference("WhoId", ("Lead", "Contact"), "Who"),
        fk.reference("WhatId", WHAT_TARGETS, "What"),
        fk.text("Subject", 255),
        fk.textarea("Description"),
    ]


def _task() -> ObjectSchema:
    return _object("Task", "00T", [
        *_activity(),
        fk.date("ActivityDate", label="Due Date Only"),
        fk.picklist(
            "Status", ("Not Started", "In Progress", "Completed", "Deferred"),
            default="Not Started", nillable=False,
        ),
        fk.picklist("Priority", ("High", "Normal", "Low"), default="Normal", nillable=False),
        fk.picklist("Type", ("Call", "Email", "Meeting", "Other")),
        fk.create_only(fk.picklist("TaskSubtype", ("Task", "Email", "Call"), default="Task")),
        fk.picklist("CallType", ("Inbound", "Outbound", "Internal")),
        fk.integer("CallDurationInSeconds", label="Call Duration"),
        fk.text("CallDisposition", 255, label="Call Result"),
        fk.text("CallObject", 255, label="Call Object Identifier"),
        fk.readonly(fk.boolean("IsClosed")),
    ])


def _event() -> ObjectSchema:
    return _object("Event", "00U", [
        *_activity(),
        fk.text("Location", 255),
        fk.datetime("StartDateTime"), fk.datetime("EndDateTime"),
        fk.datetime("ActivityDateTime"), fk.date("ActivityDate"),
        fk.integer("DurationInMinutes", label="Duration"),
        fk.boolean("IsAllDayEvent"),
        fk.picklist("ShowAs", ("Busy", "OutOfOffice", "Free"), default="Busy"),
    ])


def _user() -> ObjectSchema:
    return _object("User", "005", [
        fk.required(fk.text("Username", 80)),
        fk.text("FirstName", 40), fk.required(fk.text("LastName", 80)),
        fk.readonly(fk.text("Name", 121, label="Full Name"), calculated=True),
        fk.required(fk.email("Email")), fk.required(fk.text("Alias", 8)),
        fk.boolean("IsActive", default=True),
        fk.text("Title", 80), fk.phone("Phone"), fk.phone("MobilePhone"),
        fk.text("TimeZoneSidKey", 40, label="Time Zone"),
    ], owner=False)


def _record_type() -> ObjectSchema:
    return _object("RecordType", "012", [
        fk.readonly(fk.text("Name", 80)),
        fk.readonly(fk.text("DeveloperName", 80, label="Record Type Name")),
        fk.readonly(fk.text("SobjectType", 40)),
        fk.readonly(fk.boolean("IsActive")),
        fk.readonly(fk.boolean("IsPersonType")),
        fk.readonly(fk.text("Description", 255)),
    ], owner=False)
