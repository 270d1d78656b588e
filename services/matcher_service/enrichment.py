"""Read the current values of the records that change events name.

Change events carry only changed fields; Regal wants every mapped field,
and formula fields never appear in change events at all. So the records
of a whole batch are read fresh, one SOQL query per object and chunk:
the number of calls grows with batches and objects, never with records
(docs/salesforce-api-budget.md).

Besides the mapped fields, each object brings what the mapping needs to
decide: whether a Lead was converted and into what, whether an Account
is a Person Account, and for secondary objects their related primary
record's identifiers (read in the same query through relationships).

A mapping may name a field the org does not have (a typo, or a field
deleted after configuration). Salesforce refuses the whole query then;
one describe tells which fields exist, the query is repeated without the
others, and the mapping reports the missing field (SPEC O10).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import structlog

from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.client import SalesforceApiError
from regalsync.salesforce.soql import in_list

log = structlog.get_logger(__name__)

# Keeps a query well under SOQL's 100,000-character limit.
_IDS_PER_QUERY = 500
_PRIMARY_IDENTITY = ("Phone", "Email")
_DECIDING_FIELDS: dict[str, tuple[str, ...]] = {
    "Lead": ("IsConverted", "ConvertedContactId", "ConvertedAccountId"),
    "Account": ("IsPersonAccount", "PersonContactId"),
    "Opportunity": ("AccountId", "ContactId", "CreatedDate"),
    "Case": ("ContactId", "AccountId", "OwnerId", "Owner.Name", "Owner.Email"),
    "CaseComment": ("ParentId", "Parent.ContactId", "Parent.AccountId"),
    "Event": ("WhoId", "WhatId", "OwnerId", "Owner.Name", "Owner.Email"),
}
# Deleted Cases and Events still send an event (Canceled): read the recycle bin too.
_READ_DELETED = frozenset({"Case", "Event"})
# Who and What are polymorphic: their targets are read per object, by id prefix.
_ACTIVITY_TARGETS = (("WhoId", "Who", {"00Q": "Lead", "003": "Contact"}),
                     ("WhatId", "What", {"001": "Account"}))
FRIENDLY_ID = "Regal_Friendly_Id__c"
# Where the siblings travel in an Opportunity row; the ingress takes them out.
SIBLINGS = "RegalSiblings"
_SECONDARY = ("Opportunity", "Case", "CaseComment", "Event")
# Compound values repeat their parts, which are read on their own.
_COMPOUND_TYPES = frozenset({"address", "location"})
# Relationships through which a secondary record reaches its primary one.
_RELATED_PRIMARY: dict[str, tuple[tuple[str, str], ...]] = {
    "Opportunity": (("Account", "Account"), ("Contact", "Contact")),
    "Case": (("Contact", "Contact"), ("Account", "Account")),
    "CaseComment": (("Parent.Contact", "Contact"), ("Parent.Account", "Account")),
}


async def read_records(
    client: SalesforceClient, refs: Sequence[tuple[str, str]],
    fields_by_object: dict[str, list[str]],
) -> dict[str, dict[str, Any]]:
    """Return records keyed by 15-character id for (object, id) pairs."""
    ids_by_object: dict[str, set[str]] = defaultdict(set)
    for object_type, record_id in refs:
        ids_by_object[object_type].add(record_id)
    found: dict[str, dict[str, Any]] = {}
    for object_type, ids in ids_by_object.items():
        if _wants_all_fields(object_type, fields_by_object):
            # No mapping: the event carries every field (SPEC O7).
            fields_by_object = {**fields_by_object,
                                object_type: await _all_fields(client, object_type)}
        fields = fields_to_read(object_type, fields_by_object)
        rows = await _read_object(client, object_type, sorted(ids), fields)
        if object_type == "Opportunity" and FRIENDLY_ID in fields_by_object.get(
                "Opportunity", []):
            await _attach_siblings(client, rows)
        if object_type == "Event":
            await _attach_activity_targets(client, rows, fields_by_object)
        for row in rows:
            found[str(row["Id"])[:15]] = row
    return found


def _wants_all_fields(object_type: str, fields_by_object: dict[str, list[str]]) -> bool:
    """Tell whether a secondary object has no mapping, so every field travels (O7)."""
    if object_type not in _SECONDARY:
        return False
    requested = [f for f in fields_by_object.get(object_type, []) if f not in ("Id", FRIENDLY_ID)]
    return not requested


async def _attach_siblings(client: SalesforceClient, rows: list[dict[str, Any]]) -> None:
    """Add, per Opportunity, its primary record's Opportunities (SPEC O8).

    One query for the whole batch: friendly ids are ordinals among the
    Opportunities of the same Account or Contact.
    """
    owners = sorted({str(r[k]) for r in rows for k in ("AccountId", "ContactId") if r.get(k)})
    if not owners:
        return
    soql = ("SELECT Id, AccountId, ContactId, CreatedDate, "  # noqa: S608 - ids quoted
            f"{FRIENDLY_ID} FROM Opportunity WHERE AccountId IN {in_list(owners)} "
            f"OR ContactId IN {in_list(owners)}")
    siblings = await client.query(soql)
    for row in rows:
        owner = {row.get("AccountId"), row.get("ContactId")} - {None}
        row[SIBLINGS] = [s for s in siblings
                         if {s.get("AccountId"), s.get("ContactId")} & owner]


async def _attach_activity_targets(client: SalesforceClient, rows: list[dict[str, Any]],
                                   fields_by_object: dict[str, list[str]]) -> None:
    """Put each Event's Who and What records in, as a relationship query would.

    A polymorphic relationship only offers the fields all its targets
    share, so the mapped phone and email fields are read from each mapped
    target object instead: one query per object for the whole batch.
    """
    wanted: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        for id_field, _, objects in _ACTIVITY_TARGETS:
            target = str(row.get(id_field) or "")
            object_type = objects.get(target[:3])
            if object_type and object_type in fields_by_object:
                wanted[object_type].add(target)
    found: dict[str, dict[str, Any]] = {}
    for object_type, ids in sorted(wanted.items()):
        fields = _related_fields(object_type, fields_by_object)
        for read in await _read_object(client, object_type, sorted(ids), fields):
            found[str(read["Id"])[:15]] = read
    for row in rows:
        for id_field, relationship, _ in _ACTIVITY_TARGETS:
            record = found.get(str(row.get(id_field) or "")[:15])
            if record is not None:
                row[relationship] = record


def fields_to_read(object_type: str, fields_by_object: dict[str, list[str]]) -> list[str]:
    """List the fields one object's query selects: Id, mapped, deciding, related."""
    names = ["Id", *fields_by_object.get(object_type, []),
             *_DECIDING_FIELDS.get(object_type, ())]
    for path, primary in _RELATED_PRIMARY.get(object_type, ()):
        names += [f"{path}.{name}" for name in _related_fields(primary, fields_by_object)]
    return list(dict.fromkeys(names))


def _related_fields(primary: str, fields_by_object: dict[str, list[str]]) -> list[str]:
    """Return the primary object's identifying fields worth reading alongside."""
    mapped = fields_by_object.get(primary, [])
    wanted = ["Id", *(f for f in mapped if f in _PRIMARY_IDENTITY or f.endswith("Phone")
                      or f.endswith("Email"))]
    if primary == "Account":
        wanted += ["IsPersonAccount", "PersonEmail", "PersonMobilePhone"]
    return list(dict.fromkeys(wanted))


async def _read_object(client: SalesforceClient, object_type: str, ids: list[str],
                       fields: list[str]) -> list[dict[str, Any]]:
    fields = [*fields, "IsDeleted"] if object_type in _READ_DELETED else fields
    fields = list(dict.fromkeys(fields))
    try:
        return await _query_chunks(client, object_type, ids, fields)
    except SalesforceApiError as error:
        if error.error_code != "INVALID_FIELD":
            raise
    known = await _existing_fields(client, object_type, fields)
    log.warning("enrichment_fields_dropped", object_type=object_type,
                fields=[f for f in fields if f not in known])
    return await _query_chunks(client, object_type, ids, known)


async def _query_chunks(client: SalesforceClient, object_type: str, ids: list[str],
                        fields: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _IDS_PER_QUERY):
        chunk = ids[start:start + _IDS_PER_QUERY]
        # Ids are quoted by in_list; field and object names come from the
        # validated configuration and the lists above.
        soql = (f"SELECT {', '.join(fields)} FROM {object_type} "  # noqa: S608
                f"WHERE Id IN {in_list(chunk)}")
        rows.extend(await client.query(
            soql, include_deleted=object_type in _READ_DELETED))
    # An empty relationship reads as null; it is no field of the record.
    relationships = {f.partition(".")[0] for f in fields if "." in f}
    for row in rows:
        for name in relationships:
            if row.get(name) is None:
                row.pop(name, None)
    return rows


async def _all_fields(client: SalesforceClient, object_type: str) -> list[str]:
    describe = await client.describe(object_type)
    return [str(f["name"]) for f in describe.get("fields", [])
            if f.get("type") not in _COMPOUND_TYPES]


async def _existing_fields(client: SalesforceClient, object_type: str,
                           fields: list[str]) -> list[str]:
    """Keep the fields (and relationship paths) the object's describe knows."""
    describe = await client.describe(object_type)
    names = {f["name"].lower() for f in describe.get("fields", [])}
    relations = {str(f.get("relationshipName") or "").lower()
                 for f in describe.get("fields", [])} - {""}
    kept = []
    for name in fields:
        head, dot, _ = name.partition(".")
        if (dot and head.lower() in relations) or (not dot and name.lower() in names):
            kept.append(name)
    return kept
