"""Describe-level model of the sandbox org's objects and fields.

Both the REST layer (describe, validation, SOQL) and the change-event layer
(Avro schemas, bitmaps) read objects through these types, so the two can
never disagree about which fields exist or in which order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Salesforce's describe type names, as the REST API spells them.
FIELD_TYPES = frozenset({
    "id", "reference", "string", "textarea", "boolean", "int", "double",
    "currency", "percent", "date", "datetime", "time", "phone", "email",
    "url", "picklist", "multipicklist", "address", "location",
})


@dataclass(frozen=True)
class PicklistValue:
    value: str
    label: str
    active: bool = True
    default_value: bool = False


@dataclass(frozen=True)
class FieldSchema:
    """One field as describe reports it.

    ``compound_parent`` names the compound field a component belongs to
    (``BillingCity`` -> ``BillingAddress``); change events nest components
    under their parent. ``relationship_name`` is the name SOQL uses to walk a
    reference (``Owner`` for ``OwnerId``).
    """

    name: str
    type: str
    label: str = ""
    length: int = 0
    precision: int = 0
    scale: int = 0
    createable: bool = True
    updateable: bool = True
    calculated: bool = False
    nillable: bool = True
    required_on_create: bool = False
    external_id: bool = False
    unique: bool = False
    picklist_values: tuple[PicklistValue, ...] = ()
    restricted_picklist: bool = False
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    compound_parent: str | None = None
    formula: str | None = None
    default_value: object = None
    # Display format of an auto-number field, e.g. "RE-{00000000}".
    auto_number_format: str | None = None


@dataclass
class ObjectSchema:
    """One sObject type; ``fields`` keeps describe order (insertion order)."""

    name: str
    label: str
    label_plural: str
    key_prefix: str
    custom: bool = False
    fields: dict[str, FieldSchema] = field(default_factory=dict)
    # Change data capture is available for this object (CaseComment: no).
    change_events: bool = True
    # compound field name -> its components; derived from ``fields``, so
    # ``add`` forgets it.
    _components: dict[str, tuple[FieldSchema, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False,
    )

    def add(self, f: FieldSchema) -> None:
        self.fields[f.name] = f
        self._components.clear()

    def components(self, compound: str) -> tuple[FieldSchema, ...]:
        """Return the fields of a compound field (``BillingCity``...), in describe order."""
        found = self._components.get(compound)
        if found is None:
            found = tuple(f for f in self.fields.values() if f.compound_parent == compound)
            self._components[compound] = found
        return found

    def field_ci(self, name: str) -> FieldSchema | None:
        """Find a field by name, case-insensitively, as the API does."""
        found = self.fields.get(name)
        if found is not None:
            return found
        lowered = name.lower()
        for candidate in self.fields.values():
            if candidate.name.lower() == lowered:
                return candidate
        return None
