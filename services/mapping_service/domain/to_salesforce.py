"""Turn a matched Regal webhook event into the Salesforce writes it causes.

Per accepted event (I1), in this order: create a record when nothing
matched (I4), update the matched record's mapped fields (I3) and the
Opportunities an attribute edit names (I7), store the event record (I5),
log a Task (I6). Other event names cause no writes.
Values pass through with their JSON types; the writer coerces them by the
Salesforce field type and truncates long text.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from mapping_service.domain.changes import MappingProblem, field_value
from mapping_service.domain.event_record import event_record_write
from mapping_service.domain.model import (
    EVENT_TYPES,
    Configuration,
    ObjectMapping,
    WriteCondition,
)
from mapping_service.domain.opportunity_updates import opportunity_update_writes
from mapping_service.domain.regal_event import RegalEvent, read_event
from mapping_service.domain.tasks import TASK_EVENTS, message_write, task_write
from mapping_service.domain.values import JsonObject, JsonValue, Missing, get_nested
from mapping_service.domain.writes import CreatedRecord, MatchedRecord, WriteKind, WriteOut

__all__ = ["MatchedRecord", "WriteKind", "WriteOut", "build_salesforce_writes"]

_SUBSCRIPTION_EVENTS = {"contact.subscribed": True, "contact.unsubscribed": False}
# Fields Salesforce refuses to create a record without, filled when unknown.
_REQUIRED_ON_CREATE = {
    "Lead": ("LastName", "Company"),
    "Contact": ("LastName",),
    "Account": ("Name",),
    "PersonAccount": ("LastName",),
}
PLACEHOLDER = "[not provided]"


def build_salesforce_writes(
    config: Configuration, event: Mapping[str, JsonValue], match: MatchedRecord | None
) -> list[WriteOut]:
    """Build the writes one Regal event causes for the matched record (or none)."""
    regal_event = read_event(event)
    if regal_event.name not in EVENT_TYPES:
        return []
    incoming = incoming_values(regal_event)
    writes: list[WriteOut] = []
    created: CreatedRecord | None = None
    if match is None and config.create_records_when_unmatched:
        creation = _create_when_unmatched(config, regal_event, incoming)
        if creation is not None:
            created, write = creation
            writes.append(write)
    if match is not None and config.update_salesforce_from_regal:
        writes.extend(_update_matched(config, incoming, match))
    # Its own option (C2), independent of updating the matched record.
    writes.extend(opportunity_update_writes(config, regal_event, match))
    if regal_event.name in config.event_records:
        writes.append(event_record_write(regal_event, match, created))
    target = match or created
    if target is not None and config.log_calls_and_sms_as_tasks:
        task = task_write(regal_event, target) if regal_event.name in TASK_EVENTS else None
        task = task or message_write(regal_event, target)
        writes.extend([task] if task else [])
    return writes


def incoming_values(event: RegalEvent) -> dict[str, JsonValue]:
    """Collect the Regal attribute values an event states, by mapped name.

    ``contact.attribute.edited`` carries ``changes.custom_properties.<name>
    .new_value`` and standard trait changes as ``changes.<name>``; a subscribe
    event sets ``optIn.<channel>.subscribed``. Object values (an address) also
    appear flattened, so ``traits.address.city`` finds its part.
    """
    values: dict[str, JsonValue] = {}
    changes = event.properties.get("changes")
    if event.name == "contact.attribute.edited" and isinstance(changes, dict):
        for name, change in changes.items():
            if name == "custom_properties" and isinstance(change, dict):
                for custom, custom_change in change.items():
                    _put_new_value(values, f"traits.{custom}", custom_change)
            else:
                _put_new_value(values, f"traits.{name}", change)
    subscribed = _SUBSCRIPTION_EVENTS.get(event.name)
    channel = event.text("channel")
    if subscribed is not None and channel:
        values[f"optIn.{channel}.subscribed"] = subscribed
    return values


def _put_new_value(values: dict[str, JsonValue], name: str, change: JsonValue) -> None:
    if isinstance(change, dict) and "new_value" in change:
        _flatten(values, name, change["new_value"])
    elif isinstance(change, list) and change and isinstance(change[-1], str):
        # changes.phone lists numbers; the last one is the number just added.
        values[name] = change[-1]


def _flatten(values: dict[str, JsonValue], name: str, value: JsonValue) -> None:
    values[name] = value
    if isinstance(value, dict):
        for key, part in value.items():
            _flatten(values, f"{name}.{key}", part)


def _object_mapping(config: Configuration, match: MatchedRecord) -> ObjectMapping | None:
    mapping = config.object_mapping(match.object_type)
    if mapping is None and match.object_type == "Account":
        mapping = config.object_mapping("PersonAccount")
    return mapping


def _update_matched(
    config: Configuration, incoming: Mapping[str, JsonValue], match: MatchedRecord
) -> list[WriteOut]:
    """Write the mapped fields an event changed, honouring direction and ``when``."""
    mapping = _object_mapping(config, match)
    if mapping is None or not incoming:
        return []
    fields: JsonObject = {}
    problems: list[MappingProblem] = []
    for attribute in mapping.attributes:
        if not attribute.writes_to_salesforce or attribute.regal not in incoming:
            continue
        if attribute.salesforce == "Id":
            continue
        if attribute.when is WriteCondition.SALESFORCE_BLANK:
            current = field_value(match.fields, attribute.salesforce, match.record_id)
            if isinstance(current, Missing):
                problems.append(MappingProblem(
                    attribute.regal, attribute.salesforce,
                    "current Salesforce value unknown; salesforce_blank not applied",
                ))
                continue
            if not _is_blank(current):
                continue
        fields[attribute.salesforce] = incoming[attribute.regal]
    if not fields:
        return []
    return [WriteOut(
        kind=WriteKind.UPDATE,
        object_type=match.sobject,
        fields=fields,
        ordering_key=match.record_id,
        purpose="attributes",
        record_id=match.record_id,
        problems=tuple(problems),
    )]


def _is_blank(value: JsonValue) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _create_when_unmatched(
    config: Configuration, event: RegalEvent, incoming: Mapping[str, JsonValue]
) -> tuple[CreatedRecord, WriteOut] | None:
    """Create a Lead when Leads are mapped, else the mapped primary object (I4).

    The record's sync key derives from the event's phone (digits) or email,
    so events about one unknown person create one record between them.
    """
    mapping = config.object_mapping("Lead") or next(iter(config.primary_mappings), None)
    if mapping is None:
        return None
    stated: dict[str, JsonValue] = {"traits.phone": event.phone, "traits.email": event.email}
    stated.update(incoming)
    fields: JsonObject = {}
    for attribute in mapping.attributes:
        if not attribute.writes_to_salesforce or attribute.salesforce == "Id":
            continue
        value = _stated_value(attribute.regal, attribute.trait_path, stated, event)
        if value is not None:
            fields[attribute.salesforce] = value
    identity = _identity(event)
    if not identity or not fields:
        return None
    for required in _REQUIRED_ON_CREATE[mapping.object]:
        fields.setdefault(required, PLACEHOLDER)
    digest = hashlib.sha256(identity.encode()).hexdigest()[:16]
    created = CreatedRecord(mapping.object, f"regal-created:{digest}", f"unmatched:{digest}")
    return created, WriteOut(
        kind=WriteKind.CREATE,
        object_type=created.sobject,
        fields=fields,
        ordering_key=created.ordering_key,
        purpose="create_record",
        external_id=created.sync_key,
    )


def _identity(event: RegalEvent) -> str:
    """Name the unknown person: the phone's digits, else the lower-cased email."""
    digits = "".join(c for c in event.phone or "" if c.isdigit())
    return digits or (event.email or "").strip().lower()


def _stated_value(
    regal: str,
    trait_path: tuple[str, ...] | None,
    stated: Mapping[str, JsonValue],
    event: RegalEvent,
) -> JsonValue:
    if stated.get(regal) is not None:
        return stated[regal]
    if trait_path is None:
        return None
    value = get_nested(event.traits, trait_path)
    return None if isinstance(value, Missing) else value
