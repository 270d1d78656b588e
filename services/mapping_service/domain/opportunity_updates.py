"""Update Opportunities edited as contact attributes in Regal (SPEC I7).

With "send Opportunity data as attributes" on, each Opportunity shows in
Regal as ``traits.salesforce_opportunity_<N>``, N being its friendly id.
With "update Opportunities from contact events" also on, an agent's edit
of such an attribute arrives as ``contact.attribute.edited`` and updates
that Opportunity: the matcher found the matched record's Opportunity
numbered N and put its id in the match's fields (``RegalOpportunities``).

Only the values the edit changed are written. With an active Opportunity
mapping, keys are the mapped ``properties.<name>`` names and only fields
mapped toward Salesforce are written; without one, keys are Salesforce
field names, as the outbound events send them, and the writer drops any
field the Opportunity does not have or cannot update.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from mapping_service.domain.model import Configuration, ObjectMapping
from mapping_service.domain.regal_event import RegalEvent
from mapping_service.domain.values import JsonObject, JsonValue
from mapping_service.domain.writes import MatchedRecord, WriteKind, WriteOut

OPPORTUNITIES = "RegalOpportunities"
FRIENDLY_ID = "Regal_Friendly_Id__c"
_ATTRIBUTE = re.compile(r"^salesforce_opportunity_([1-9][0-9]{0,8})$")
_FIELD_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Keys the outbound events add that are no Opportunity field to write.
_NOT_WRITTEN = frozenset({"id", "salesforcelink", FRIENDLY_ID.lower()})


def opportunity_update_writes(
    config: Configuration, event: RegalEvent, match: MatchedRecord | None
) -> list[WriteOut]:
    """Build one Opportunity update per edited ``salesforce_opportunity_<N>``."""
    if match is None or not config.opportunities.update_from_contact_events:
        return []
    found = match.fields.get(OPPORTUNITIES)
    if event.name != "contact.attribute.edited" or not isinstance(found, dict):
        return []
    mapping = config.object_mapping("Opportunity")
    writes: list[WriteOut] = []
    for number, edited in edited_opportunities(event).items():
        record_id = found.get(str(number))
        fields = _fields(mapping, edited)
        if isinstance(record_id, str) and record_id and fields:
            writes.append(WriteOut(
                kind=WriteKind.UPDATE,
                object_type="Opportunity",
                fields=fields,
                ordering_key=record_id,
                purpose=f"opportunity_{number}",
                record_id=record_id,
            ))
    return writes


def edited_opportunities(event: RegalEvent) -> dict[int, JsonObject]:
    """Return, per friendly id, the values an attribute edit changed."""
    changes = event.properties.get("changes")
    if not isinstance(changes, dict):
        return {}
    custom = changes.get("custom_properties")
    named = {**changes, **(custom if isinstance(custom, dict) else {})}
    edited: dict[int, JsonObject] = {}
    for name, change in named.items():
        matched = _ATTRIBUTE.match(name)
        if matched and isinstance(change, dict):
            values = _changed_values(change)
            if values:
                edited[int(matched.group(1))] = values
    return edited


def _changed_values(change: Mapping[str, JsonValue]) -> JsonObject:
    """Keep the keys whose new value differs from the old one."""
    new = change.get("new_value")
    old = change.get("old_value")
    if not isinstance(new, dict):
        return {}
    before = old if isinstance(old, dict) else {}
    return {key: value for key, value in new.items()
            if key.lower() not in _NOT_WRITTEN
            and (key not in before or before[key] != value)}


def _fields(mapping: ObjectMapping | None, values: Mapping[str, JsonValue]) -> JsonObject:
    if mapping is None:
        return {key: value for key, value in values.items() if _FIELD_NAME.match(key)}
    fields: JsonObject = {}
    for attribute in mapping.attributes:
        name = attribute.property_name
        if name is None or name not in values or attribute.salesforce == "Id":
            continue
        if attribute.writes_to_salesforce:
            fields[attribute.salesforce] = values[name]
    return fields
