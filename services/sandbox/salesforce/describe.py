"""Describe results: the global sObject list and one object's fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sandbox.salesforce.schema import FieldSchema, ObjectSchema

_SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "int": "xsd:int",
    "double": "xsd:double", "currency": "xsd:double", "percent": "xsd:double",
    "date": "xsd:date", "datetime": "xsd:dateTime", "time": "xsd:time",
    "address": "urn:address",
}
# Objects that callers cannot insert into or change through the API.
_READ_ONLY_OBJECTS = frozenset({"RecordType"})


def global_describe(objects: Iterable[ObjectSchema], version: str) -> dict[str, Any]:
    """Describe every object briefly, as ``GET /sobjects`` does."""
    return {
        "encoding": "UTF-8", "maxBatchSize": 200,
        "sobjects": [_summary(o, version) for o in objects],
    }


def object_info(obj: ObjectSchema, version: str) -> dict[str, Any]:
    """Answer ``GET /sobjects/<Object>``: the summary and recent items."""
    return {"objectDescribe": _summary(obj, version), "recentItems": []}


def describe_object(
    obj: ObjectSchema, version: str, record_types: list[dict[str, Any]],
) -> dict[str, Any]:
    """Describe one object in full, fields in order."""
    body = _summary(obj, version)
    body.update({
        "fields": [describe_field(f, obj) for f in obj.fields.values()],
        "recordTypeInfos": [
            {
                "active": True, "available": True, "defaultRecordTypeMapping": i == 0,
                "developerName": rt["DeveloperName"], "master": False,
                "name": rt["Name"], "recordTypeId": rt["Id"],
            }
            for i, rt in enumerate(record_types)
        ],
        "childRelationships": [], "supportedScopes": [], "namedLayoutInfos": [],
    })
    return body


def describe_field(f: FieldSchema, obj: ObjectSchema) -> dict[str, Any]:
    """Describe one field with the attributes integrations read."""
    textual = f.type not in _SOAP_TYPES
    return {
        "name": f.name, "label": f.label, "type": f.type,
        "length": f.length if textual or f.type in ("id", "reference") else 0,
        "byteLength": f.length * 3 if textual else 18 if f.type in ("id", "reference") else 0,
        "precision": f.precision if f.type != "int" else 0,
        "scale": f.scale, "digits": f.precision if f.type == "int" else 0,
        "createable": f.createable and obj.name not in _READ_ONLY_OBJECTS,
        "updateable": f.updateable and obj.name not in _READ_ONLY_OBJECTS,
        "calculated": f.calculated, "calculatedFormula": f.formula,
        "nillable": f.nillable, "defaultedOnCreate": f.default_value is not None
        or f.name == "OwnerId" or f.auto_number_format is not None,
        "defaultValue": f.default_value if f.type != "boolean" else bool(f.default_value),
        "externalId": f.external_id, "unique": f.unique,
        "idLookup": f.name == "Id" or f.external_id,
        "autoNumber": f.auto_number_format is not None,
        "custom": f.name.endswith(("__c", "__pc")),
        "nameField": f.name == "Name",
        "picklistValues": [
            {"active": v.active, "defaultValue": v.default_value, "label": v.label,
             "validFor": None, "value": v.value}
            for v in f.picklist_values
        ],
        "restrictedPicklist": f.restricted_picklist,
        "referenceTo": list(f.reference_to),
        "relationshipName": f.relationship_name,
        "compoundFieldName": f.compound_parent,
        "soapType": _SOAP_TYPES.get(f.type, "xsd:string"),
        "filterable": f.type not in ("textarea", "address"),
        "sortable": f.type not in ("textarea", "address", "multipicklist"),
        "groupable": f.type not in ("textarea", "address", "double", "datetime"),
        "updateableByApi": f.updateable,
    }


def _summary(obj: ObjectSchema, version: str) -> dict[str, Any]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    writable = obj.name not in _READ_ONLY_OBJECTS
    return {
        "name": obj.name, "label": obj.label, "labelPlural": obj.label_plural,
        "keyPrefix": obj.key_prefix, "custom": obj.custom,
        "createable": writable, "updateable": writable, "deletable": writable,
        "undeletable": writable, "queryable": True, "searchable": True,
        "retrieveable": True, "triggerable": True, "replicateable": True,
        "urls": {
            "sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}",
        },
    }
