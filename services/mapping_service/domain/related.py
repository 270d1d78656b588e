"""Find the primary record behind a secondary one in its enriched values.

The matcher reads a secondary record together with its related primary
records through relationships (``Account.Phone``, ``Contact.Email``),
so the values hold them as nested objects, the way Salesforce's query
results do: ``{"AccountId": "001...", "Account": {"Id": ..., "Phone": ...}}``.
The configuration decides which of them speaks for the profile.
"""

from __future__ import annotations

from collections.abc import Mapping

from mapping_service.domain.changes import (
    Change,
    ChangeType,
    MappingProblem,
    RelatedRecord,
    mapped_value,
)
from mapping_service.domain.model import Configuration, ObjectMapping
from mapping_service.domain.values import JsonObject, JsonValue, Missing

ID_TRAITS = {
    "Lead": "salesforce_lead_id",
    "Contact": "salesforce_contact_id",
    "Account": "salesforce_account_id",
    "PersonAccount": "salesforce_account_id",
}
_IDENTITY_TRAITS = ("traits.phone", "traits.email")

# Relationship names to try, per mapped primary object, in order.
_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    "Contact": (("Contact",), ("Who",), ("Parent", "Contact")),
    "Account": (("Account",), ("What",), ("Parent", "Account")),
    "PersonAccount": (("Account",), ("What",), ("Parent", "Account")),
    "Lead": (("Who",),),
}


def related_primary(config: Configuration, change: Change) -> RelatedRecord | None:
    """Return the mapped primary record the secondary change belongs to."""
    if change.related is not None:
        return change.related
    for mapping in config.primary_mappings:
        for path in _PATHS.get(mapping.object, ()):
            found = _walk(change.values, path)
            if found is None or not _is_a(found, mapping.object):
                continue
            record_id = found.get("Id")
            if isinstance(record_id, str) and record_id:
                return RelatedRecord(mapping.object, record_id, _plain(found))
    return None


def related_mapping(
    config: Configuration, related: RelatedRecord
) -> ObjectMapping | None:
    """Return the active primary mapping that speaks for the related record."""
    mapping = config.object_mapping(related.object_type)
    if mapping is None and related.object_type == "Account":
        mapping = config.object_mapping("PersonAccount")
    return mapping if mapping is not None and mapping.is_primary else None


def related_identity(
    primary: ObjectMapping,
    related: RelatedRecord,
    problems: list[MappingProblem],
    phone_region: str,
) -> tuple[JsonObject, JsonObject]:
    """Return the related record's traits (phone, email, id) and its ``userId``.

    The traits say which Regal profile a secondary event belongs to; the
    second object holds ``userId`` when the primary object maps one.
    """
    record = Change(
        related.object_type, related.record_id, ChangeType.UPDATED, values=related.values
    )
    traits: JsonObject = {}
    top: JsonObject = {}
    for attribute in primary.attributes:
        wanted = attribute.regal in _IDENTITY_TRAITS or attribute.is_user_id
        if not (wanted and attribute.sends_to_regal):
            continue
        value = mapped_value(attribute, record, problems, phone_region=phone_region)
        if isinstance(value, Missing) or value is None:
            continue
        if attribute.is_user_id:
            top["userId"] = str(value)
        else:
            traits[attribute.regal.removeprefix("traits.")] = value
    traits[ID_TRAITS[primary.object]] = related.record_id
    return traits, top


def plain_values(values: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    """Drop the nested relationship objects, keeping the record's own fields."""
    return _plain(values)


def _walk(values: Mapping[str, JsonValue], path: tuple[str, ...]) -> dict[str, JsonValue] | None:
    node: JsonValue = dict(values)
    for name in path:
        if not isinstance(node, dict):
            return None
        node = node.get(name)
    return node if isinstance(node, dict) else None


def _is_a(record: Mapping[str, JsonValue], object_type: str) -> bool:
    """Check a related record's type by its id prefix or its polymorphic ``Type``."""
    record_id = str(record.get("Id") or "")
    prefix = {"Lead": "00Q", "Contact": "003"}.get(object_type)
    person = record.get("IsPersonAccount")
    if object_type == "PersonAccount":
        return record_id.startswith("001") and person is not False
    if object_type == "Account":
        return record_id.startswith("001") and person is not True
    return prefix is not None and record_id.startswith(prefix)


def _plain(values: Mapping[str, JsonValue]) -> dict[str, JsonValue]:
    return {k: v for k, v in values.items() if not isinstance(v, dict) and k != "attributes"}
