"""Person Accounts: an Account and its person Contact kept as one.

A person account is an Account with the person record type. The org
creates a Contact behind it, links it through ``PersonContactId`` and
mirrors the person fields both ways (``PersonEmail`` <-> ``Email``,
``X__pc`` <-> ``X__c``), so each change emits an Account and a Contact
change in one transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sandbox.salesforce import writes
from sandbox.salesforce.records import full_name
from sandbox.salesforce.schema import ObjectSchema

if TYPE_CHECKING:
    from sandbox.salesforce.unit import UnitOfWork

Row = dict[str, Any]
# Account field -> the person Contact's field it mirrors.
_STANDARD_PAIRS = {
    "Salutation": "Salutation", "FirstName": "FirstName", "LastName": "LastName",
    "Phone": "Phone", "PersonEmail": "Email", "PersonMobilePhone": "MobilePhone",
    "PersonHomePhone": "HomePhone", "PersonTitle": "Title",
    "PersonBirthdate": "Birthdate", "PersonHasOptedOutOfEmail": "HasOptedOutOfEmail",
    "PersonDoNotCall": "DoNotCall",
    **{f"PersonMailing{p}": f"Mailing{p}" for p in (
        "Street", "City", "State", "PostalCode", "Country", "Latitude", "Longitude",
    )},
}
# Fields shared by both kinds of account, so not person-only.
_SHARED = frozenset({"Phone"})


def account_to_contact(account: ObjectSchema) -> dict[str, str]:
    """Map each mirrored Account field to its person Contact field."""
    pairs = dict(_STANDARD_PAIRS)
    for name in account.fields:
        if name.endswith("__pc"):
            pairs[name] = name.removesuffix("__pc") + "__c"
    return pairs


def create_account(unit: UnitOfWork, schema: ObjectSchema, fields: Row) -> str:
    """Insert a business or person account; a person one gets its Contact."""
    pairs = account_to_contact(schema)
    if fields.get("RecordTypeId") != unit.store.person_record_type_id:
        _refuse_person_fields(fields, pairs, creating=True)
        if not fields.get("Name"):
            writes.raise_missing(["Name"])
        return unit.insert_row(schema, fields)
    writes.check_writable([n for n in fields if n == "Name"], creating=True)
    if not fields.get("LastName"):
        writes.raise_missing(["LastName"])
    contact = unit.require_schema("Contact")
    contact_id = unit.store.new_id(contact)
    account_id = unit.insert_row(schema, {
        **fields, "IsPersonAccount": True, "Name": full_name(fields),
        "PersonContactId": contact_id,
    })
    mirrored = {c: fields[a] for a, c in pairs.items() if fields.get(a) is not None}
    owner = fields.get("OwnerId", unit.ctx.user_id)
    unit.insert_row(contact, {
        **mirrored, "AccountId": account_id, "IsPersonAccount": True, "OwnerId": owner,
    }, record_id=contact_id)
    return account_id


def update_account(unit: UnitOfWork, schema: ObjectSchema, row: Row, fields: Row) -> None:
    """Update an account, mirroring person fields to its person Contact."""
    pairs = account_to_contact(schema)
    if "RecordTypeId" in fields and fields["RecordTypeId"] != row.get("RecordTypeId"):
        writes.check_writable(["RecordTypeId"], creating=False)
    if not row.get("IsPersonAccount"):
        _refuse_person_fields(fields, pairs, creating=False)
        unit.modify_row(schema, row, fields)
        return
    writes.check_writable([n for n in fields if n == "Name"], creating=False)
    merged = {**row, **fields}
    unit.modify_row(schema, row, {**fields, "Name": full_name(merged)})
    mirrored = {pairs[a]: v for a, v in fields.items() if a in pairs}
    contact = _person_contact(unit, row)
    if mirrored and contact is not None:
        unit.modify_row(unit.require_schema("Contact"), contact, mirrored)


def update_person_contact(
    unit: UnitOfWork, schema: ObjectSchema, row: Row, fields: Row,
) -> None:
    """Update a person Contact and mirror the change back to its Account."""
    account_schema = unit.require_schema("Account")
    to_account = {c: a for a, c in account_to_contact(account_schema).items()}
    found = unit.store.raw(row["AccountId"]) if row.get("AccountId") else None
    if found is None:
        unit.modify_row(schema, row, fields)
        return
    account = found[1]
    mirrored = {to_account[c]: v for c, v in fields.items() if c in to_account}
    merged = {**account, **mirrored}
    unit.modify_row(account_schema, account, {**mirrored, "Name": full_name(merged)})
    unit.modify_row(schema, row, fields)


def after_account_delete(
    unit: UnitOfWork, schema: ObjectSchema, row: Row, *, deleted: bool,
) -> None:
    """Move a person account's Contact in or out of the recycle bin with it."""
    if schema.name != "Account" or not row.get("IsPersonAccount"):
        return
    contact = _person_contact(unit, row)
    if contact is not None and contact["IsDeleted"] != deleted:
        unit.set_deleted(unit.require_schema("Contact"), contact, deleted=deleted)


def _person_contact(unit: UnitOfWork, account: Mapping[str, Any]) -> Row | None:
    contact_id = account.get("PersonContactId")
    found = unit.store.raw(contact_id) if contact_id else None
    return found[1] if found is not None else None


def _refuse_person_fields(fields: Row, pairs: Mapping[str, str], *, creating: bool) -> None:
    person_only = [
        n for n, v in fields.items() if n in pairs and n not in _SHARED and v is not None
    ]
    writes.check_writable(person_only, creating=creating)
