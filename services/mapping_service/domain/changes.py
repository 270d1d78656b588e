"""Describe Salesforce record changes and the Regal events made from them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from mapping_service.domain.model import AttributeMapping
from mapping_service.domain.phones import e164, is_phone
from mapping_service.domain.values import (
    MISSING,
    JsonObject,
    JsonValue,
    Missing,
    regal_value,
)


class ChangeType(StrEnum):
    """Name what happened to a Salesforce record."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    UNDELETED = "undeleted"


@dataclass(frozen=True)
class RelatedRecord:
    """Hold the primary record behind a secondary one (an Opportunity's Contact)."""

    object_type: str
    record_id: str
    values: Mapping[str, JsonValue] = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """Hold one enriched Salesforce change: what changed and the current values.

    ``values`` holds the record's current values of the mapped fields, read
    by the matcher; ``field_types`` the Salesforce describe types when known
    (``multipicklist``, ``date``...), used to keep values JSON-typed.
    """

    object_type: str
    record_id: str
    change_type: ChangeType
    changed_fields: tuple[str, ...] = ()
    values: Mapping[str, JsonValue] = field(default_factory=dict)
    commit_timestamp_ms: int = 0
    field_types: Mapping[str, str] = field(default_factory=dict)
    related: RelatedRecord | None = None


@dataclass(frozen=True)
class MappingProblem:
    """Say why one attribute mapping was left out of an event (O10)."""

    regal: str
    salesforce: str
    message: str


@dataclass(frozen=True)
class RegalEventOut:
    """Hold one body for Regal's events API and the key that orders it."""

    body: JsonObject
    ordering_key: str
    problems: tuple[MappingProblem, ...] = ()


@dataclass(frozen=True)
class Skip:
    """Say why a change produces no Regal event, with a machine-readable code."""

    code: str
    detail: str


def record_link(instance_url: str, record_id: str) -> str:
    """Link to a record in the org: ``https://<instance host>/<Id>``."""
    parts = urlsplit(instance_url if "//" in instance_url else f"https://{instance_url}")
    return f"{parts.scheme or 'https'}://{parts.netloc}/{record_id}"


def field_value(
    values: Mapping[str, JsonValue], name: str, record_id: str
) -> JsonValue | Missing:
    """Read a field by API name, case-insensitively; ``Id`` is always known."""
    if name in values:
        return values[name]
    lowered = name.lower()
    for key, value in values.items():
        if key.lower() == lowered:
            return value
    return record_id if lowered == "id" else MISSING


def changed_names(changed_fields: tuple[str, ...]) -> frozenset[str]:
    """Lower-case changed field names, flattening compound ones.

    Change events name compound parts as ``MailingAddress.Street`` or
    ``Name.FirstName``; mappings use the flat names ``MailingStreet`` and
    ``FirstName``.
    """
    names: set[str] = set()
    for name in changed_fields:
        parent, dot, child = name.partition(".")
        if not dot:
            names.add(name.lower())
        elif parent.endswith("Address"):
            names.add((parent[: -len("Address")] + child).lower())
        else:
            names.add(child.lower())
    return frozenset(names)


def mapped_value(
    attribute: AttributeMapping,
    change: Change,
    problems: list[MappingProblem],
    *,
    phone_region: str | None = None,
) -> JsonValue | Missing:
    """Read and type the value of one mapping, noting a problem when absent.

    With ``phone_region``, phone values go out in E.164 when they parse
    (``phones.py``).
    """
    value = field_value(change.values, attribute.salesforce, change.record_id)
    if isinstance(value, Missing):
        problems.append(MappingProblem(
            attribute.regal, attribute.salesforce, "field missing from the record"
        ))
        return value
    typed = regal_value(value, change.field_types.get(attribute.salesforce))
    if phone_region and is_phone(attribute, change.field_types):
        return e164(typed, phone_region)
    return typed
