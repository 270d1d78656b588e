"""Turn an Opportunity change into a ``Salesforce Opportunity`` event (O6, O7).

With an active Opportunity object mapping only mapped fields count and
travel, under their mapped names; without one every change sends, with
Salesforce API names. Opportunity-as-attributes (O8) needs the stored
friendly ids and is not built here yet.
"""

from __future__ import annotations

from mapping_service.domain.changes import (
    Change,
    ChangeType,
    MappingProblem,
    RegalEventOut,
    RelatedRecord,
    Skip,
    changed_names,
    mapped_value,
    record_link,
)
from mapping_service.domain.model import Configuration, ObjectMapping
from mapping_service.domain.related import (
    plain_values,
    related_identity,
    related_mapping,
    related_primary,
)
from mapping_service.domain.values import (
    JsonObject,
    JsonValue,
    Missing,
    iso_from_ms,
    regal_value,
)

FRIENDLY_ID = "Regal_Friendly_Id__c"
# Fields that change on every save, or that regal-sync itself keeps.
AUDIT_FIELDS = frozenset({"lastmodifieddate", "lastmodifiedbyid", "systemmodstamp",
                          FRIENDLY_ID.lower()})


def build_opportunity_events(
    config: Configuration, change: Change, *, instance_url: str, now_ms: int
) -> list[RegalEventOut] | Skip:
    """Build the Opportunity event for a create or update, or say why none."""
    if not config.outbound.opportunity:
        return Skip("outbound_disabled", "Opportunity events are switched off")
    if change.change_type not in (ChangeType.CREATED, ChangeType.UPDATED):
        return Skip("change_type_not_sent", f"Opportunity {change.change_type.value}")
    related = related_primary(config, change)
    primary = related_mapping(config, related) if related else None
    if related is None or primary is None:
        return Skip("no_related_primary_record", "no mapped primary record to attach to")
    problems: list[MappingProblem] = []
    mapping = config.object_mapping("Opportunity")
    if mapping is not None:
        properties, changed = _mapped_properties(mapping, change, problems)
    else:
        properties, changed = _all_properties(change)
    if change.change_type is ChangeType.UPDATED and not changed:
        return Skip("no_mapped_field_changed", "no mapped Opportunity field changed")
    body = _body(change, related, primary, instance_url, now_ms, properties, problems,
                 config.default_phone_region)
    if config.opportunities.send_as_attributes:
        _add_friendly_trait(body, change, properties, instance_url)
    if change.change_type is ChangeType.UPDATED:
        properties["updated_properties_regal"] = [regal for regal, _ in changed]
        properties["updated_properties_sf"] = [sf for _, sf in changed]
    return [RegalEventOut(body, related.record_id, tuple(problems))]


def _add_friendly_trait(
    body: JsonObject, change: Change, properties: JsonObject, instance_url: str
) -> None:
    """Repeat the properties as ``traits.salesforce_opportunity_<N>`` (O8).

    N is the friendly id the ingress assigned and stored; without one
    (above the threshold) the event goes without the trait.
    """
    number = change.values.get(FRIENDLY_ID)
    traits = body["traits"]
    if isinstance(number, bool) or not isinstance(number, int | float) or number < 1:
        return
    if isinstance(traits, dict):
        traits[f"salesforce_opportunity_{int(number)}"] = {
            "salesforceLink": record_link(instance_url, change.record_id), **properties,
        }


def _body(
    change: Change,
    related: RelatedRecord,
    primary: ObjectMapping,
    instance_url: str,
    now_ms: int,
    properties: JsonObject,
    problems: list[MappingProblem],
    phone_region: str,
) -> JsonObject:
    traits, body = related_identity(primary, related, problems, phone_region)
    verb = "Created" if change.change_type is ChangeType.CREATED else "Updated"
    return {
        "name": f"Salesforce Opportunity {verb}",
        "eventSource": "salesforce",
        "originalTimestamp": iso_from_ms(change.commit_timestamp_ms or now_ms),
        **body,
        "traits": traits,
        "salesforce_opportunity_id": change.record_id,
        "salesforceLink": record_link(instance_url, change.record_id),
        "properties": properties,
    }


def _mapped_properties(
    mapping: ObjectMapping, change: Change, problems: list[MappingProblem]
) -> tuple[JsonObject, list[tuple[str, str]]]:
    names = changed_names(change.changed_fields)
    is_update = change.change_type is ChangeType.UPDATED
    properties: JsonObject = {}
    changed: list[tuple[str, str]] = []
    for attribute in mapping.attributes:
        name = attribute.property_name
        if name is None or not attribute.sends_to_regal:
            continue
        touched = attribute.salesforce.lower() in names
        if touched:
            changed.append((attribute.regal, attribute.salesforce))
        if is_update and not touched:
            continue
        value = mapped_value(attribute, change, problems)
        if not isinstance(value, Missing):
            properties[name] = value
    properties["Id"] = change.record_id
    return properties, changed


def _all_properties(change: Change) -> tuple[JsonObject, list[tuple[str, str]]]:
    # Audit fields change with every save; alone they are not news (docs/mapping.md).
    names = changed_names(change.changed_fields) - AUDIT_FIELDS
    is_update = change.change_type is ChangeType.UPDATED
    properties: JsonObject = {}
    changed: list[tuple[str, str]] = []
    for name, value in plain_values(change.values).items():
        if name == FRIENDLY_ID:
            continue
        touched = name.lower() in names
        if touched:
            changed.append((name, name))
        if not is_update or touched:
            properties[name] = _typed(change, name, value)
    properties["Id"] = change.record_id
    return properties, changed


def _typed(change: Change, name: str, value: JsonValue) -> JsonValue:
    return regal_value(value, change.field_types.get(name))
