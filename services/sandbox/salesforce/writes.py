"""Turn a caller's field map into validated values, with Salesforce's errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sandbox.salesforce import values
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.schema import FieldSchema, ObjectSchema

# Keys a caller may send that are not fields.
_IGNORED_KEYS = frozenset({"attributes"})


def prepare(
    schema: ObjectSchema, body: Mapping[str, Any], *, creating: bool,
) -> dict[str, Any]:
    """Validate the fields of a create or update body and convert their values."""
    known: list[tuple[FieldSchema, Any]] = []
    for key, raw in body.items():
        if key in _IGNORED_KEYS:
            continue
        f = schema.field_ci(key)
        if f is None:
            raise SalesforceError(
                "INVALID_FIELD",
                f"No such column '{key}' on sobject of type {schema.name}",
                fields=[key],
            )
        known.append((f, raw))
    check_writable(
        [f.name for f, _ in known if not (f.createable if creating else f.updateable)],
        creating=creating,
    )
    prepared = {f.name: values.coerce(f, raw) for f, raw in known}
    if not creating:
        _check_not_nulled(schema, prepared)
    return prepared


def check_writable(names: list[str], *, creating: bool) -> None:
    """Refuse fields the caller may not set, all named in one error."""
    if not names:
        return
    verb = "create" if creating else "update"
    raise SalesforceError(
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        f"Unable to {verb} fields: {', '.join(names)}. Please check the security "
        "settings of this field and verify that it is read/write for your profile "
        "or permission set.",
        fields=names,
    )


def check_required(schema: ObjectSchema, row: Mapping[str, Any]) -> None:
    """Refuse a new record that lacks a required field."""
    missing = [
        f.name for f in schema.fields.values()
        if f.required_on_create and row.get(f.name) in (None, "")
    ]
    if missing:
        raise_missing(missing)


def raise_missing(names: list[str]) -> None:
    """Raise Salesforce's error for missing required fields."""
    raise SalesforceError(
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(names)}]",
        fields=names,
    )


def defaults(schema: ObjectSchema) -> dict[str, Any]:
    """Return the values a new record starts with before the caller's fields."""
    start: dict[str, Any] = {}
    for f in schema.fields.values():
        if f.default_value is not None:
            start[f.name] = f.default_value
    return start


def _check_not_nulled(schema: ObjectSchema, prepared: Mapping[str, Any]) -> None:
    cleared = [
        name for name, value in prepared.items()
        if value in (None, "") and schema.fields[name].required_on_create
    ]
    if cleared:
        raise_missing(cleared)
