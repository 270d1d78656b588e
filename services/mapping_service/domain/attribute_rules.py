"""Check attribute mappings against the naming rules of C4 and C9."""

from __future__ import annotations

import re

from mapping_service.domain.document import Section, ValidationIssue, open_section
from mapping_service.domain.model import (
    CHANNELS,
    AttributeMapping,
    Direction,
    ObjectMapping,
    WriteCondition,
)

_ATTRIBUTE_KEYS = ("regal", "salesforce", "direction", "when", "type")
# Regal property types a mapping may declare (C6).
REGAL_PROPERTY_TYPES = ("boolean", "number", "text", "paragraph", "options", "list")
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_NAME_PART = re.compile(r"[^.\s]+")
# Traits regal-sync fills itself; a mapping would overwrite them.
_RESERVED_TRAITS = frozenset({
    "salesforceLink", "optIn", "salesforce_lead_id", "salesforce_contact_id",
    "salesforce_account_id",
})
_PRIMARY_NAMES = "traits.<name>, userId or optIn.<voice|sms|email>.subscribed"


def read_attribute(
    value: object, path: str, issues: list[ValidationIssue], object_type: str
) -> AttributeMapping:
    """Read one attribute mapping, reporting every rule it breaks."""
    section = open_section(value, path, issues, _ATTRIBUTE_KEYS)
    regal = section.required_text("regal")
    salesforce = section.required_text("salesforce")
    if salesforce == "id":
        salesforce = "Id"
    direction = section.choice("direction", [d.value for d in Direction], "both")
    when = section.choice("when", [w.value for w in WriteCondition], "always")
    regal_type = section.choice("type", REGAL_PROPERTY_TYPES, "") or None
    mapping = AttributeMapping(
        regal=regal,
        salesforce=salesforce,
        direction=Direction(direction or "both"),
        when=WriteCondition(when or "always"),
        regal_type=regal_type,
    )
    if regal:
        _check_regal_name(section, regal, object_type)
    if salesforce and not _FIELD_NAME.fullmatch(salesforce):
        section.report("salesforce", "is not a Salesforce field API name")
    if mapping.when is WriteCondition.SALESFORCE_BLANK and not mapping.writes_to_salesforce:
        section.report("when", "salesforce_blank needs a direction that writes "
                               "Salesforce (both or to_salesforce)")
    return mapping


def _check_regal_name(section: Section, regal: str, object_type: str) -> None:
    message = (
        _opportunity_name_problem(regal)
        if object_type == "Opportunity"
        else _primary_name_problem(regal)
    )
    if message:
        section.report("regal", message)


def _opportunity_name_problem(regal: str) -> str | None:
    head, _, rest = regal.partition(".")
    if head != "properties" or not _NAME_PART.fullmatch(rest):
        return "Opportunity attributes must be named properties.<name>"
    return None


def _primary_name_problem(regal: str) -> str | None:
    head, _, rest = regal.partition(".")
    if regal == "userId":
        return None
    if head == "traits":
        return _trait_name_problem(rest)
    if head == "optIn":
        channel, _, tail = rest.partition(".")
        if channel in CHANNELS and tail == "subscribed":
            return None
        return "must be optIn.<voice|sms|email>.subscribed"
    return f"must be one of {_PRIMARY_NAMES}"


def _trait_name_problem(rest: str) -> str | None:
    parts = rest.split(".")
    if not all(_NAME_PART.fullmatch(part) for part in parts):
        return "traits.<name> needs a name, with dots only between parts"
    if parts == ["userId"]:
        return "use userId, not traits.userId"
    if parts[0] in _RESERVED_TRAITS:
        return f"traits.{parts[0]} is set by regal-sync and cannot be mapped"
    return None


def check_object_mapping(section: Section, mapping: ObjectMapping) -> None:
    """Refuse duplicate and conflicting attribute mappings in one object mapping."""
    base = section.at("attributes")
    regal_seen: dict[str, int] = {}
    written: dict[str, int] = {}
    traits: dict[tuple[str, ...], int] = {}
    for index, attribute in enumerate(mapping.attributes):
        path = f"{base}[{index}]"
        if attribute.regal in regal_seen:
            _report(section, path, f'duplicate mapping of Regal attribute "{attribute.regal}" '
                                   f"(first at attributes[{regal_seen[attribute.regal]}])")
            continue
        regal_seen[attribute.regal] = index
        if attribute.writes_to_salesforce and attribute.salesforce != "Id":
            _check_single_writer(section, path, attribute, written, index)
        if attribute.trait_path is not None:
            _check_trait_overlap(section, path, attribute.trait_path, traits, index)


def _check_single_writer(
    section: Section,
    path: str,
    attribute: AttributeMapping,
    written: dict[str, int],
    index: int,
) -> None:
    field = attribute.salesforce
    if field in written:
        _report(section, path, f"Salesforce field {field} is already written from "
                               f"Regal by attributes[{written[field]}]")
        return
    written[field] = index


def _check_trait_overlap(
    section: Section,
    path: str,
    trait: tuple[str, ...],
    traits: dict[tuple[str, ...], int],
    index: int,
) -> None:
    """Refuse ``traits.a`` beside ``traits.a.b``: one cannot nest in a value."""
    for other, other_index in traits.items():
        shorter, longer = sorted((trait, other), key=len)
        if longer[: len(shorter)] == shorter:
            _report(section, path, f"traits.{'.'.join(trait)} overlaps "
                                   f"traits.{'.'.join(other)} at attributes[{other_index}]")
            return
    traits[trait] = index


def _report(section: Section, path: str, message: str) -> None:
    section.issues.append(ValidationIssue(path, message))
