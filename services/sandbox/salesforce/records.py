"""How stored rows look to readers: calculated fields and REST shape."""

from __future__ import annotations

from typing import Any

from sandbox.salesforce.schema import ObjectSchema

_ADDRESS_PARTS = (
    ("street", "Street"), ("city", "City"), ("state", "State"),
    ("postalCode", "PostalCode"), ("country", "Country"),
    ("latitude", "Latitude"), ("longitude", "Longitude"),
)
# Objects whose Name is computed from the person's name parts.
_PERSON_NAMED = frozenset({"Lead", "Contact", "User"})


def full_name(row: dict[str, Any]) -> str | None:
    """Join first and last name the way the Name field shows them."""
    parts = [row.get("FirstName"), row.get("LastName")]
    joined = " ".join(p for p in parts if p)
    return joined or None


def materialize(schema: ObjectSchema, row: dict[str, Any]) -> dict[str, Any]:
    """Return every field of a stored row, calculated ones included."""
    full = dict(row)
    for f in schema.fields.values():
        if f.type == "address":
            full[f.name] = _address(schema, f.name, row)
        elif f.calculated:
            full[f.name] = _calculated(schema, f.name, row)
        elif f.name not in full:
            full[f.name] = None
    return full


def rest_record(
    schema: ObjectSchema, row: dict[str, Any], *, version: str,
    fields: list[str] | None = None,
) -> dict[str, Any]:
    """Shape a row as the REST API returns it, optionally limited to ``fields``."""
    full = materialize(schema, row)
    record: dict[str, Any] = {"attributes": {
        "type": schema.name,
        "url": f"/services/data/v{version}/sobjects/{schema.name}/{row['Id']}",
    }}
    names = fields if fields is not None else list(schema.fields)
    for name in names:
        record[name] = full.get(name)
    return record


def _address(schema: ObjectSchema, compound: str, row: dict[str, Any]) -> Any:
    components = {f.name: row.get(f.name) for f in schema.components(compound)}
    if all(v is None for v in components.values()):
        return None
    prefix = compound.removesuffix("Address")
    address: dict[str, Any] = {"geocodeAccuracy": None}
    for key, suffix in _ADDRESS_PARTS:
        address[key] = components.get(prefix + suffix)
    return address


def _calculated(schema: ObjectSchema, name: str, row: dict[str, Any]) -> Any:
    if name == "Name" and schema.name in _PERSON_NAMED:
        return full_name(row)
    # Arbitrary formulas are not evaluated; the sandbox reports them as null.
    return None
