"""Avro schemas of change events, built from the org's describe model.

Each object with change data capture gets a ``com.sforce.eventbus``
record named ``<Object>ChangeEvent``: the ``ChangeEventHeader`` first, then
one nullable field per describe field in describe order. Compound fields
(addresses, person names) become one nested record at the parent's
position, which is what the compound entries of the field bitmaps point at.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import fastavro

from sandbox.salesforce.schema import FieldSchema, ObjectSchema

NAMESPACE = "com.sforce.eventbus"

CHANGE_TYPE_SYMBOLS = (
    "CREATE", "UPDATE", "DELETE", "UNDELETE",
    "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW",
)

# Change events leave these out: the record id travels in the header, and
# deletion state and the modstamp are not changes a subscriber acts on.
_LEFT_OUT = frozenset({"Id", "IsDeleted", "SystemModstamp"})

_COMPOUND_TYPES = frozenset({"address", "location"})

# Describe type -> the value kind the payload converter produces.
_KIND_BY_TYPE = {
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "currency": "double",
    "percent": "double",
    "date": "date",
    "datetime": "datetime",
}

_AVRO_BY_KIND = {
    "string": "string",
    "boolean": "boolean",
    "int": "int",
    "double": "double",
    "date": "int",
    "datetime": "long",
}


@dataclass(frozen=True)
class Component:
    """One field nested inside a compound field's record."""

    name: str
    source: str
    kind: str


@dataclass(frozen=True)
class Slot:
    """One top-level field of a change event, after the header.

    ``position`` is the field's index in the Avro record (the header is 0)
    and therefore its bit in the top-level bitmap. A compound slot has
    ``components``; a plain slot reads the describe field ``source``.
    """

    name: str
    position: int
    source: str
    kind: str
    components: tuple[Component, ...] = ()

    @property
    def is_compound(self) -> bool:
        return bool(self.components)


@dataclass(frozen=True)
class ChangeEventSchema:
    """The Avro schema of one object's change events and its field layout."""

    entity: str
    schema_id: str
    schema_json: str
    parsed: Any
    slots: tuple[Slot, ...]

    def slot_for(self, field_name: str) -> tuple[Slot, Component | None] | None:
        """Find the slot (and component) a describe field feeds, if any."""
        return self._slots_by_source.get(field_name)

    @functools.cached_property
    def _slots_by_source(self) -> dict[str, tuple[Slot, Component | None]]:
        # Every change event looks up each of its fields; a scan of all
        # slots per field was most of the cost of encoding an event.
        found: dict[str, tuple[Slot, Component | None]] = {}
        for slot in self.slots:
            found.setdefault(slot.source, (slot, None))
            for component in slot.components:
                found.setdefault(component.source, (slot, component))
        return found


def event_name(entity: str) -> str:
    """Name the change event of an object (``Foo__c`` -> ``Foo__ChangeEvent``)."""
    if entity.endswith("__c"):
        return entity[: -len("c")] + "ChangeEvent"
    return entity + "ChangeEvent"


def build_change_event_schema(obj: ObjectSchema) -> ChangeEventSchema:
    """Build the change event schema of ``obj`` from its describe fields."""
    slots = _layout(obj)
    record = {
        "type": "record",
        "name": event_name(obj.name),
        "namespace": NAMESPACE,
        "fields": [_header_field(), *_avro_fields(slots)],
    }
    schema_json = json.dumps(record, separators=(",", ":"))

    return ChangeEventSchema(
        entity=obj.name,
        schema_id=schema_id_of(schema_json),
        schema_json=schema_json,
        parsed=fastavro.parse_schema(json.loads(schema_json)),
        slots=slots,
    )


def schema_id_of(schema_json: str) -> str:
    """Derive a short, stable, opaque id from the schema text."""
    digest = hashlib.sha256(schema_json.encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _layout(obj: ObjectSchema) -> tuple[Slot, ...]:
    fields = [f for f in obj.fields.values() if _carried(f)]
    parents = {f.compound_parent for f in fields if f.compound_parent}
    components: dict[str, list[FieldSchema]] = {}
    for f in fields:
        if f.compound_parent:
            components.setdefault(f.compound_parent, []).append(f)

    slots: list[Slot] = []
    placed: set[str] = set()
    for f in fields:
        # A compound sits where its parent (or its first component) appears;
        # a compound type without components has nothing to carry.
        name = f.compound_parent or f.name
        if name in placed or (f.type in _COMPOUND_TYPES and name not in parents):
            continue
        placed.add(name)
        position = len(slots) + 1
        if name in parents:
            nested = tuple(_component(name, c) for c in components[name])
            slots.append(Slot(name, position, name, "record", nested))
        else:
            slots.append(Slot(name, position, name, _kind(f)))

    return tuple(slots)


def _carried(f: FieldSchema) -> bool:
    if f.name in _LEFT_OUT:
        return False
    # Formula fields are left out; a compound parent is kept even when
    # describe reports it as calculated (Name on Contact is).
    return not f.calculated or f.type in _COMPOUND_TYPES


def _component(parent: str, f: FieldSchema) -> Component:
    prefix = _component_prefix(parent)
    name = f.name[len(prefix):] if prefix and f.name.startswith(prefix) else f.name
    return Component(name=name, source=f.name, kind=_kind(f))


def _component_prefix(parent: str) -> str:
    if parent.endswith("Address"):
        return parent[: -len("Address")]
    if parent.endswith("__c"):
        return parent[: -len("c")]
    return ""


def _kind(f: FieldSchema) -> str:
    return _KIND_BY_TYPE.get(f.type, "string")


def _header_field() -> dict[str, Any]:
    strings = {"type": "array", "items": "string"}
    header = {
        "type": "record",
        "name": "ChangeEventHeader",
        "fields": [
            {"name": "entityName", "type": "string"},
            {"name": "recordIds", "type": strings},
            {"name": "changeType", "type": {
                "type": "enum", "name": "ChangeType",
                "symbols": list(CHANGE_TYPE_SYMBOLS),
            }},
            {"name": "changeOrigin", "type": "string"},
            {"name": "transactionKey", "type": "string"},
            {"name": "sequenceNumber", "type": "int"},
            {"name": "commitTimestamp", "type": "long"},
            {"name": "commitNumber", "type": "long"},
            {"name": "commitUser", "type": "string"},
            {"name": "nulledFields", "type": strings},
            {"name": "diffFields", "type": strings},
            {"name": "changedFields", "type": strings},
        ],
    }
    return {"name": "ChangeEventHeader", "type": header}


def _avro_fields(slots: Iterable[Slot]) -> list[dict[str, Any]]:
    # Avro names a record type once; a second compound with the same shape
    # (ShippingAddress after BillingAddress) refers to it by name.
    defined: dict[str, tuple[Component, ...]] = {}
    fields = []
    for slot in slots:
        if slot.is_compound:
            fields.append(_nullable(slot.name, _nested_type(slot, defined)))
        else:
            fields.append(_nullable(slot.name, _AVRO_BY_KIND[slot.kind]))

    return fields


def _nested_type(slot: Slot, defined: dict[str, tuple[Component, ...]]) -> Any:
    type_name = _nested_type_name(slot)
    if defined.get(type_name) == slot.components:
        return type_name
    if type_name in defined:
        type_name = slot.name + "Compound"
    defined[type_name] = slot.components

    return {
        "type": "record",
        "name": type_name,
        "fields": [
            _nullable(c.name, _AVRO_BY_KIND[c.kind]) for c in slot.components
        ],
    }


def _nested_type_name(slot: Slot) -> str:
    if slot.name.endswith("Address"):
        return "Address"
    if slot.name == "Name":
        return "PersonName"
    return slot.name + "Compound"


def _nullable(name: str, value_type: Any) -> dict[str, Any]:
    return {"name": name, "type": ["null", value_type], "default": None}
