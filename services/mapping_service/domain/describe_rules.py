"""Check a configuration against the org's describe metadata (C5, C6).

mapping-service never calls Salesforce: the caller (the CLI, or any
component that can read the org) passes the describe results in, and
:func:`describe_checker` turns them into a ``Checker`` for ``validate``.
Every issue names the attribute mapping's document path, the offending
object or field, and what to do instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from mapping_service.domain.configuration import Checker
from mapping_service.domain.document import ValidationIssue
from mapping_service.domain.model import (
    AttributeMapping,
    Configuration,
    ObjectMapping,
    TenantConfiguration,
)

__all__ = [
    "REGAL_TYPES",
    "FieldDescribe",
    "ObjectDescribe",
    "describe_checker",
    "described_object",
    "read_describe",
]

# Regal property type -> the Salesforce field types that can carry it (C6).
REGAL_TYPES: Mapping[str, frozenset[str]] = {
    "boolean": frozenset({"boolean"}),
    "number": frozenset({"int", "long", "double", "currency", "percent"}),
    "text": frozenset({
        "string", "phone", "email", "url", "textarea", "id", "reference",
        "date", "datetime", "time", "picklist", "combobox",
    }),
    "paragraph": frozenset({"textarea"}),
    "options": frozenset({"picklist", "combobox"}),
    "list": frozenset({"multipicklist"}),
}
# Salesforce types that no Regal property can hold.
_UNMAPPABLE = frozenset({"address", "location", "base64", "anytype", "complexvalue"})
_ADDRESS_PARTS = "Street, City, State, PostalCode and Country"
# Well-known traits and the field types that can carry them.
_TRAIT_TYPES: Mapping[str, frozenset[str]] = {
    "traits.phone": frozenset({"phone", "string"}),
    "traits.email": frozenset({"email", "string"}),
}
_USER_ID_TYPES = frozenset({
    "id", "reference", "string", "email", "phone", "int", "long", "double",
})
_PERSON_NAME_OBJECTS = frozenset({"Lead", "Contact", "PersonAccount"})


@dataclass(frozen=True)
class FieldDescribe:
    """The facts about one field that validation needs."""

    name: str
    type: str
    createable: bool
    updateable: bool
    calculated: bool = False


@dataclass(frozen=True)
class ObjectDescribe:
    """One object's fields, looked up case-insensitively like Salesforce."""

    name: str
    fields: Mapping[str, FieldDescribe]

    def field(self, name: str) -> FieldDescribe | None:
        """Return a field by API name, whatever its case."""
        return self.fields.get(name.lower())

    def names(self) -> list[str]:
        """Return every field's API name."""
        return [f.name for f in self.fields.values()]


def read_describe(raw: object) -> dict[str, ObjectDescribe]:
    """Read ``{"<Object>": {"fields": [...]}}`` as Salesforce answers it.

    Raise ValueError naming what is malformed.
    """
    if not isinstance(raw, Mapping):
        raise ValueError("describe metadata must be an object keyed by object name")
    objects: dict[str, ObjectDescribe] = {}
    for name, body in raw.items():
        fields = body.get("fields") if isinstance(body, Mapping) else None
        if not isinstance(name, str) or not isinstance(fields, list):
            raise ValueError(f"describe of {name!r} has no fields list")
        objects[name] = ObjectDescribe(name, {
            f["name"].lower(): _field(f) for f in fields
            if isinstance(f, Mapping) and isinstance(f.get("name"), str)
        })
    return objects


def _field(raw: Mapping[str, object]) -> FieldDescribe:
    return FieldDescribe(
        name=str(raw["name"]),
        type=str(raw.get("type", "string")).lower(),
        createable=bool(raw.get("createable", False)),
        updateable=bool(raw.get("updateable", False)),
        calculated=bool(raw.get("calculated", False)),
    )


def described_object(object_type: str) -> str:
    """Name the object whose describe holds a mapping's fields."""
    return "Account" if object_type == "PersonAccount" else object_type


def describe_checker(describe: Mapping[str, ObjectDescribe]) -> Checker:
    """Return a Checker that applies every describe-based rule."""
    def check(tenant: TenantConfiguration) -> Iterator[ValidationIssue]:
        for c, configuration in enumerate(tenant.configurations):
            for o, mapping in enumerate(configuration.object_mappings):
                yield from _check_object(configuration, mapping, describe, c, o)

    return check


def _check_object(
    configuration: Configuration,
    mapping: ObjectMapping,
    describe: Mapping[str, ObjectDescribe],
    c: int,
    o: int,
) -> Iterator[ValidationIssue]:
    base = f"configurations[{c}].object_mappings[{o}]"
    obj = describe.get(described_object(mapping.object))
    if obj is None:
        yield ValidationIssue(f"{base}.object", f"the org has no {mapping.object} "
                                                "object; check the object name")
        return
    if mapping.object == "PersonAccount" and obj.field("IsPersonAccount") is None:
        yield ValidationIssue(f"{base}.object", "Person Accounts are not enabled in this "
                                                "org (Account has no IsPersonAccount); "
                                                "map Account instead")
        return
    for a, attribute in enumerate(mapping.attributes):
        path = f"{base}.attributes[{a}]"
        message = _attribute_problem(configuration, mapping, attribute, obj)
        if message:
            yield ValidationIssue(path, message)


def _attribute_problem(
    configuration: Configuration,
    mapping: ObjectMapping,
    attribute: AttributeMapping,
    obj: ObjectDescribe,
) -> str | None:
    field = obj.field(attribute.salesforce)
    label = f"{obj.name}.{attribute.salesforce}"
    if field is None:
        return f"{label} does not exist in the org; {_suggestion(attribute.salesforce, obj)}"
    if field.type in _UNMAPPABLE:
        return _unmappable(label, field)
    return (
        _write_problem(configuration, mapping, attribute, field, label)
        or _type_problem(attribute, field, label)
    )


def _suggestion(name: str, obj: ObjectDescribe) -> str:
    close = difflib.get_close_matches(name, obj.names(), n=1, cutoff=0.75)
    if close:
        return f"did you mean {close[0]}?"
    return "check the field's API name (custom fields end in __c)"


def _unmappable(label: str, field: FieldDescribe) -> str:
    if field.type == "address":
        return f"{label} is a compound address field; map its parts ({_ADDRESS_PARTS}) instead"
    return f"{label} is a {field.type} field, which no Regal property can hold; map another field"


def _write_problem(
    configuration: Configuration,
    mapping: ObjectMapping,
    attribute: AttributeMapping,
    field: FieldDescribe,
    label: str,
) -> str | None:
    """Refuse Regal -> Salesforce writes the org would reject (C5)."""
    if not attribute.writes_to_salesforce or field.name == "Id":
        return None
    person_name = field.name == "Name" and mapping.object in _PERSON_NAME_OBJECTS
    if person_name and (mapping.object == "PersonAccount" or not field.updateable):
        return f"{label} is read-only; map FirstName and LastName instead"
    if field.calculated:
        return f"{label} is calculated (a formula); set direction: to_regal"
    updates = configuration.update_salesforce_from_regal
    creates = configuration.create_records_when_unmatched and mapping.is_primary
    if updates and not field.updateable:
        kind = "create-only" if field.createable else "read-only"
        return f"{label} is {kind}; set direction: to_regal"
    if creates and not (field.createable or field.updateable):
        return f"{label} is read-only; set direction: to_regal"
    return None


def _type_problem(
    attribute: AttributeMapping, field: FieldDescribe, label: str
) -> str | None:
    """Apply the type rules of C6 to the mappings whose Regal type is known."""
    if attribute.opt_in_channel is not None:
        if field.type != "boolean":
            return (f"{attribute.regal} needs a checkbox field; {label} is "
                    f"{field.type}; map a checkbox such as "
                    f"{attribute.opt_in_channel.upper()}_Opt_In__c")
        return None
    if attribute.is_user_id and field.type not in _USER_ID_TYPES:
        return f"userId needs a text or number field; {label} is {field.type}"
    allowed = _TRAIT_TYPES.get(attribute.regal)
    if allowed is not None and field.type not in allowed:
        return (f"{attribute.regal} needs a {' or '.join(sorted(allowed))} field; "
                f"{label} is {field.type}")
    if attribute.regal_type is not None:
        carriers = REGAL_TYPES[attribute.regal_type]
        if field.type not in carriers:
            return (f"{label} is {field.type}, which cannot carry a Regal "
                    f"{attribute.regal_type} property; use a field of type "
                    f"{', '.join(sorted(carriers))}")
    return None
