"""Short constructors for field schemas, shared by standard and custom objects."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

from sandbox.salesforce.schema import FieldSchema, PicklistValue

# Long text fields have this length unless the metadata says otherwise.
LONG_TEXT = 32000
_WORD_BREAK = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def label_for(name: str) -> str:
    """Derive a human label from an API name, as Salesforce's defaults read."""
    base = name.removesuffix("__c").removesuffix("__pc").replace("_", " ")
    if base.endswith("Id") and len(base) > 2:
        return _WORD_BREAK.sub(" ", base[:-2]) + " ID"
    return _WORD_BREAK.sub(" ", base)


def make(name: str, type_: str, **kw: Any) -> FieldSchema:
    """Build a field with a derived label unless one is given."""
    kw.setdefault("label", label_for(name))
    return FieldSchema(name=name, type=type_, **kw)


def text(name: str, length: int = 255, **kw: Any) -> FieldSchema:
    return make(name, "string", length=length, **kw)


def textarea(name: str, length: int = LONG_TEXT, **kw: Any) -> FieldSchema:
    return make(name, "textarea", length=length, **kw)


def phone(name: str, **kw: Any) -> FieldSchema:
    return make(name, "phone", length=40, **kw)


def email(name: str, **kw: Any) -> FieldSchema:
    return make(name, "email", length=80, **kw)


def url(name: str, **kw: Any) -> FieldSchema:
    return make(name, "url", length=255, **kw)


def boolean(name: str, default: bool = False, **kw: Any) -> FieldSchema:
    return make(name, "boolean", nillable=False, default_value=default, **kw)


def number(
    name: str, precision: int = 18, scale: int = 0, type_: str = "double", **kw: Any,
) -> FieldSchema:
    return make(name, type_, precision=precision, scale=scale, **kw)


def integer(name: str, **kw: Any) -> FieldSchema:
    return make(name, "int", precision=9, **kw)


def date(name: str, **kw: Any) -> FieldSchema:
    return make(name, "date", **kw)


def datetime(name: str, **kw: Any) -> FieldSchema:
    return make(name, "datetime", **kw)


def picklist(
    name: str, values: Sequence[str], *, default: str | None = None,
    restricted: bool = False, multi: bool = False, **kw: Any,
) -> FieldSchema:
    options = tuple(PicklistValue(v, v, default_value=v == default) for v in values)
    return make(
        name, "multipicklist" if multi else "picklist", length=4099 if multi else 255,
        picklist_values=options, restricted_picklist=restricted,
        default_value=default, **kw,
    )


def reference(
    name: str, to: str | Sequence[str], relationship: str | None = None, **kw: Any,
) -> FieldSchema:
    targets = (to,) if isinstance(to, str) else tuple(to)
    rel = relationship if relationship is not None else name.removesuffix("Id")
    return make(
        name, "reference", length=18, reference_to=targets,
        relationship_name=rel, **kw,
    )


def required(f: FieldSchema) -> FieldSchema:
    """Mark a field as required when a record is created."""
    return dataclasses.replace(f, nillable=False, required_on_create=True)


def readonly(f: FieldSchema, *, calculated: bool = False) -> FieldSchema:
    """Mark a field as maintained by the org, not writable by callers."""
    return dataclasses.replace(
        f, createable=False, updateable=False, calculated=calculated,
    )


def create_only(f: FieldSchema) -> FieldSchema:
    """Mark a field as settable on create and fixed afterwards."""
    return dataclasses.replace(f, updateable=False)


def address(prefix: str, parent: str | None = None) -> list[FieldSchema]:
    """Build the components of a compound address and the compound itself."""
    compound = parent or f"{prefix}Address"
    parts = [
        textarea(f"{prefix}Street", 255),
        text(f"{prefix}City", 40),
        text(f"{prefix}State", 80),
        text(f"{prefix}PostalCode", 20),
        text(f"{prefix}Country", 80),
        number(f"{prefix}Latitude", 18, 15),
        number(f"{prefix}Longitude", 18, 15),
    ]
    components = [dataclasses.replace(p, compound_parent=compound) for p in parts]
    whole = readonly(make(compound, "address"))
    return [*components, whole]


def auto_number(name: str, display_format: str, **kw: Any) -> FieldSchema:
    """Build a read-only text field the org numbers on create."""
    return readonly(text(name, 30, auto_number_format=display_format, **kw))


def id_field() -> FieldSchema:
    return readonly(make("Id", "id", label="Record ID", length=18, nillable=False))


def system_fields(*, owner: bool = True) -> list[FieldSchema]:
    """Build the audit fields every object has, and OwnerId where it applies."""
    fields: list[FieldSchema] = []
    if owner:
        fields.append(reference("OwnerId", "User", "Owner", nillable=False))
    fields += [
        readonly(boolean("IsDeleted")),
        readonly(datetime("CreatedDate", nillable=False)),
        readonly(reference("CreatedById", "User", "CreatedBy", nillable=False)),
        readonly(datetime("LastModifiedDate", nillable=False)),
        readonly(reference("LastModifiedById", "User", "LastModifiedBy", nillable=False)),
        readonly(datetime("SystemModstamp", nillable=False)),
    ]
    return fields

