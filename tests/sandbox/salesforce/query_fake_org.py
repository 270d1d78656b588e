"""A small in-memory org behind the QuerySource protocol, for the query engines.

It stands in for the record store so the SOQL and SOSL engines can be
specified on their own: four objects with realistic fields and a dozen
rows, including nulls, a deleted contact, a polymorphic task and phones in
several formats.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.salesforce.schema import FieldSchema, ObjectSchema

USER_ADA = "005000000000001AAA"
USER_BOB = "005000000000002AAA"
ACME = "001000000000001AAA"
GLOBEX = "001000000000002AAA"
INITECH = "001000000000003AAA"
ALICE = "003000000000001AAA"
BRUNO = "003000000000002AAA"
CARMEN = "003000000000003AAA"
DMITRI = "003000000000004AAA"
ELENA = "003000000000005AAA"
FRANK = "003000000000006AAA"
GONE = "003000000000007AAA"
LEAD_HUGO = "00Q000000000001AAA"
LEAD_IRIS = "00Q000000000002AAA"
TASK_CALL = "00T000000000001AAA"
TASK_NOTE = "00T000000000002AAA"


def _schema(name: str, prefix: str, fields: list[FieldSchema]) -> ObjectSchema:
    schema = ObjectSchema(name, name, f"{name}s", prefix)
    for field in [
        FieldSchema("Id", "id"),
        FieldSchema("IsDeleted", "boolean"),
        FieldSchema("CreatedDate", "datetime"),
        *fields,
    ]:
        schema.add(field)
    return schema


def _owner() -> FieldSchema:
    return FieldSchema("OwnerId", "reference", reference_to=("User",), relationship_name="Owner")


def build_schemas() -> list[ObjectSchema]:
    """Return User, Account, Contact, Lead and Task as describe would."""
    user = _schema("User", "005", [
        FieldSchema("Name", "string", length=121),
        FieldSchema("Email", "email", length=128),
        FieldSchema("IsActive", "boolean"),
        FieldSchema("ManagerId", "reference", reference_to=("User",),
                    relationship_name="Manager"),
    ])
    account = _schema("Account", "001", [
        FieldSchema("Name", "string", length=255),
        FieldSchema("Phone", "phone", length=40),
        FieldSchema("NumberOfEmployees", "int"),
        FieldSchema("AnnualRevenue", "currency"),
        FieldSchema("Industry", "picklist"),
        FieldSchema("Description", "textarea", length=32000),
        FieldSchema("BillingAddress", "address"),
        _owner(),
    ])
    contact = _schema("Contact", "003", [
        FieldSchema("FirstName", "string", length=40),
        FieldSchema("LastName", "string", length=80),
        FieldSchema("Name", "string", length=121),
        FieldSchema("Email", "email", length=80),
        FieldSchema("Phone", "phone", length=40),
        FieldSchema("MobilePhone", "phone", length=40),
        FieldSchema("Birthdate", "date"),
        FieldSchema("HasOptedOutOfEmail", "boolean"),
        FieldSchema("Languages__c", "multipicklist"),
        FieldSchema("Score__c", "double"),
        FieldSchema("AccountId", "reference", reference_to=("Account",),
                    relationship_name="Account"),
        _owner(),
    ])
    lead = _schema("Lead", "00Q", [
        FieldSchema("FirstName", "string", length=40),
        FieldSchema("LastName", "string", length=80),
        FieldSchema("Name", "string", length=121),
        FieldSchema("Company", "string", length=255),
        FieldSchema("Email", "email", length=80),
        FieldSchema("Phone", "phone", length=40),
        FieldSchema("Status", "picklist"),
        _owner(),
    ])
    task = _schema("Task", "00T", [
        FieldSchema("Subject", "string", length=255),
        FieldSchema("WhoId", "reference", reference_to=("Contact", "Lead"),
                    relationship_name="Who"),
        FieldSchema("WhatId", "reference", reference_to=("Account",),
                    relationship_name="What"),
        _owner(),
    ])
    return [user, account, contact, lead, task]


def contact_row(record_id: str, first: str | None, last: str, **values: Any) -> dict[str, Any]:
    """Return a full Contact row; fields not given are null."""
    name = f"{first} {last}" if first else last
    row = {
        "Id": record_id, "IsDeleted": False, "FirstName": first, "LastName": last,
        "Name": name, "Email": None, "Phone": None, "MobilePhone": None,
        "Birthdate": None, "HasOptedOutOfEmail": False, "Languages__c": None,
        "Score__c": None, "AccountId": None, "OwnerId": USER_ADA,
        "CreatedDate": "2024-01-01T00:00:00.000+0000",
    }
    row.update(values)
    return row


def build_rows() -> dict[str, list[dict[str, Any]]]:
    """Return every object's rows in the REST representation."""
    users = [
        {"Id": USER_ADA, "IsDeleted": False, "Name": "Ada Admin",
         "Email": "ada@example.com", "IsActive": True, "ManagerId": USER_BOB,
         "CreatedDate": "2023-01-01T00:00:00.000+0000"},
        {"Id": USER_BOB, "IsDeleted": False, "Name": "Bob Boss",
         "Email": "bob@example.com", "IsActive": True, "ManagerId": None,
         "CreatedDate": "2023-01-01T00:00:00.000+0000"},
    ]
    accounts = [
        {"Id": ACME, "IsDeleted": False, "Name": "Acme", "Phone": "(415) 555-1212",
         "NumberOfEmployees": 120, "AnnualRevenue": 5000000.0, "Industry": "Energy",
         "Description": "Rockets", "BillingAddress": None, "OwnerId": USER_ADA,
         "CreatedDate": "2024-01-10T09:00:00.000+0000"},
        {"Id": GLOBEX, "IsDeleted": False, "Name": "Globex", "Phone": None,
         "NumberOfEmployees": 45, "AnnualRevenue": None, "Industry": None,
         "Description": None, "BillingAddress": None, "OwnerId": USER_BOB,
         "CreatedDate": "2024-02-10T09:00:00.000+0000"},
        {"Id": INITECH, "IsDeleted": False, "Name": "Initech", "Phone": None,
         "NumberOfEmployees": 9, "AnnualRevenue": 100.5, "Industry": "Software",
         "Description": None, "BillingAddress": None, "OwnerId": None,
         "CreatedDate": "2024-03-10T09:00:00.000+0000"},
    ]
    contacts = [
        contact_row(ALICE, "Alice", "Archer", Email="alice@acme.com",
                 Phone="(856) 559-7961", AccountId=ACME, Birthdate="1990-05-17",
                 Languages__c="English;French", Score__c=9.5,
                 CreatedDate="2024-01-31T10:00:00.000+0000"),
        contact_row(BRUNO, "Bruno", "Baker", Email="bruno@globex.com",
                 Phone="856.559.7961", AccountId=GLOBEX, Birthdate="1985-12-01",
                 Languages__c="Spanish", Score__c=3.0, HasOptedOutOfEmail=True,
                 CreatedDate="2024-01-31T09:59:59.000+0000", OwnerId=USER_BOB),
        contact_row(CARMEN, "Carmen", "Cole", Email="carmen_cole@acme.com",
                 Phone="+1 856 559 7961", AccountId=ACME,
                 CreatedDate="2024-02-15T12:00:00.000+0000"),
        contact_row(DMITRI, None, "Dvorak", Email="100%sure@initech.com",
                 Phone="8565597961", AccountId=INITECH, Score__c=7.25,
                 CreatedDate="2024-03-01T00:00:00.000+0000"),
        contact_row(ELENA, "Elena", "O'Brien", Email=None, Phone="(212) 555-0100",
                 MobilePhone="+44 20 7946 0958", Score__c=5.0,
                 CreatedDate="2023-12-31T23:00:00.000+0000"),
        contact_row(FRANK, "Frank", "Fischer", Email="frank@example.com",
                 Phone="559-7961 x22", AccountId=GLOBEX, Languages__c="French;German",
                 CreatedDate="2024-04-01T08:00:00.000+0000"),
        contact_row(GONE, "Gina", "Gone", Email="gina@example.com", IsDeleted=True,
                 CreatedDate="2024-01-05T08:00:00.000+0000"),
    ]
    leads = [
        {"Id": LEAD_HUGO, "IsDeleted": False, "FirstName": "Hugo", "LastName": "Hale",
         "Name": "Hugo Hale", "Company": "Hale & Sons", "Email": "hugo@hale.example",
         "Phone": "1-856-559-7961", "Status": "Open", "OwnerId": USER_BOB,
         "CreatedDate": "2024-05-01T00:00:00.000+0000"},
        {"Id": LEAD_IRIS, "IsDeleted": False, "FirstName": "Iris", "LastName": "Ives",
         "Name": "Iris Ives", "Company": "Ives Co", "Email": "iris@ives.example",
         "Phone": "(609) 555-0199", "Status": "Working", "OwnerId": USER_ADA,
         "CreatedDate": "2024-05-02T00:00:00.000+0000"},
    ]
    tasks = [
        {"Id": TASK_CALL, "IsDeleted": False, "Subject": "Call", "WhoId": LEAD_HUGO,
         "WhatId": None, "OwnerId": USER_ADA,
         "CreatedDate": "2024-05-03T00:00:00.000+0000"},
        {"Id": TASK_NOTE, "IsDeleted": False, "Subject": "Note", "WhoId": ALICE,
         "WhatId": ACME, "OwnerId": USER_ADA,
         "CreatedDate": "2024-05-04T00:00:00.000+0000"},
    ]
    return {"User": users, "Account": accounts, "Contact": contacts, "Lead": leads,
            "Task": tasks}


class FakeOrg:
    """Serve schemas and rows the way the record store does."""

    def __init__(self) -> None:
        self._schemas = {schema.name: schema for schema in build_schemas()}
        self._rows = build_rows()

    def add(self, object_name: str, row: dict[str, Any]) -> None:
        """Store one more row (a test's own fixture data)."""
        self._rows.setdefault(object_name, []).append(row)

    def objects(self) -> Iterable[ObjectSchema]:
        return list(self._schemas.values())

    def schema(self, object_name: str) -> ObjectSchema | None:
        for name, schema in self._schemas.items():
            if name.lower() == object_name.lower():
                return schema
        return None

    def rows(self, object_name: str, *, include_deleted: bool) -> Iterable[dict[str, Any]]:
        for row in self._rows.get(object_name, []):
            if include_deleted or not row["IsDeleted"]:
                yield row

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        for name, rows in self._rows.items():
            for row in rows:
                if row["Id"][:15] == record_id[:15]:
                    return name, row
        return None
