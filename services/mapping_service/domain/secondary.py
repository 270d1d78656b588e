"""Turn Case, Case comment and calendar Event changes into Regal events (O6).

These objects have no attribute mappings: every change sends, with the
record's fields under their Salesforce API names (all of them on create,
the changed ones plus ``Id`` on update). Each event belongs to the
profile of the related primary record (a Case's Contact or Account, a
comment's Case's, an Event's Who or What), whose phone, email and
``salesforce_<type>_id`` travel in ``traits``.

Case and Event bodies add the assigned user (the owner), so Regal can
hand the follow-up to the same agent. Deleting a Case or Event sends
``Canceled`` with the record as it was; restoring one from the recycle
bin sends ``Created`` again (**decision**: the record is back, and
journeys that a cancel stopped should start again). Case comments have
no change events; polling cannot see their deletion, so they only ever
send ``Added`` and ``Edited``.
"""

from __future__ import annotations

from dataclasses import dataclass

from mapping_service.domain.changes import (
    Change,
    ChangeType,
    MappingProblem,
    RegalEventOut,
    Skip,
    changed_names,
    record_link,
)
from mapping_service.domain.model import Configuration
from mapping_service.domain.opportunity import AUDIT_FIELDS
from mapping_service.domain.related import (
    plain_values,
    related_identity,
    related_mapping,
    related_primary,
)
from mapping_service.domain.values import JsonObject, JsonValue, iso_from_ms, regal_value

OWNER = "Owner"


@dataclass(frozen=True)
class SecondaryKind:
    """How one secondary object is named and switched in events."""

    label: str
    toggle: str
    id_key: str
    verbs: dict[ChangeType, str]
    has_owner: bool


_CANCELABLE = {ChangeType.CREATED: "Created", ChangeType.UPDATED: "Updated",
               ChangeType.DELETED: "Canceled", ChangeType.UNDELETED: "Created"}
KINDS = {
    "Case": SecondaryKind("Case", "case", "salesforce_case_id", _CANCELABLE, True),
    "CaseComment": SecondaryKind(
        "Case Comment", "case_comment", "salesforce_case_comment_id",
        {ChangeType.CREATED: "Added", ChangeType.UPDATED: "Edited"}, False),
    "Event": SecondaryKind("Event", "event", "salesforce_event_id", _CANCELABLE, True),
}


def build_secondary_events(
    config: Configuration, change: Change, *, instance_url: str, now_ms: int
) -> list[RegalEventOut] | Skip:
    """Build the event one Case, Case comment or Event change sends, or say why none."""
    kind = KINDS[change.object_type]
    if not getattr(config.outbound, kind.toggle):
        return Skip("outbound_disabled", f"{kind.label} events are switched off")
    verb = kind.verbs.get(change.change_type)
    if verb is None:
        return Skip("change_type_not_sent", f"{kind.label} {change.change_type.value}")
    related = related_primary(config, change)
    primary = related_mapping(config, related) if related else None
    if related is None or primary is None:
        return Skip("no_related_primary_record", "no mapped primary record to attach to")
    properties = _properties(change)
    if properties is None:
        return Skip("no_field_changed", f"only audit fields of the {kind.label} changed")
    if kind.has_owner:
        properties.update(_assigned_user(change))
    problems: list[MappingProblem] = []
    traits, top = related_identity(primary, related, problems, config.default_phone_region)
    body: JsonObject = {
        "name": f"Salesforce {kind.label} {verb}",
        "eventSource": "salesforce",
        "originalTimestamp": iso_from_ms(change.commit_timestamp_ms or now_ms),
        **top,
        "traits": traits,
        kind.id_key: change.record_id,
        "salesforceLink": record_link(instance_url, change.record_id),
        "properties": properties,
    }
    if change.object_type == "CaseComment":
        _add_parent_case(body, change)
    return [RegalEventOut(body, related.record_id, tuple(problems))]


def _properties(change: Change) -> JsonObject | None:
    """List all fields, or on update the changed ones; None when none changed.

    Updates add the changed API names twice (``updated_properties_regal``
    and ``_sf``), as mapped objects do; unmapped names are the same in both.
    """
    values = plain_values(change.values)
    if change.change_type is not ChangeType.UPDATED:
        properties = {k: _typed(change, k, v) for k, v in values.items()}
        properties["Id"] = change.record_id
        return properties
    names = changed_names(change.changed_fields) - AUDIT_FIELDS
    changed = [k for k in values if k.lower() in names]
    if not changed:
        return None
    properties = {k: _typed(change, k, values[k]) for k in changed}
    properties["Id"] = change.record_id
    properties["updated_properties_regal"] = list(changed)
    properties["updated_properties_sf"] = list(changed)
    return properties


def _assigned_user(change: Change) -> JsonObject:
    """Name the record's owner, as the matcher read it through ``Owner``."""
    owner = change.values.get(OWNER)
    if not isinstance(owner, dict):
        return {"assigned_user_name": None, "assigned_user_email": None}
    return {"assigned_user_name": owner.get("Name"),
            "assigned_user_email": owner.get("Email")}


def _add_parent_case(body: JsonObject, change: Change) -> None:
    """Name a comment's Case, so journeys can tie the two together."""
    parent = change.values.get("ParentId")
    if isinstance(parent, str) and parent:
        body["salesforce_case_id"] = parent


def _typed(change: Change, name: str, value: JsonValue) -> JsonValue:
    return regal_value(value, change.field_types.get(name))
