"""Turn an enriched Salesforce change into the Regal events it causes.

Primary objects (Lead, Contact, Account, Person Account) follow O2-O4:
one ``Salesforce <Label> Created|Updated`` event with every mapped field
in ``traits``. Secondary objects go to their own builders
(``opportunity.py``, ``secondary.py``); each returns events or a ``Skip``.

Deleted primary records send nothing: Regal's events API has no way to
remove a profile, and an event would only re-send stale traits. An
undeleted record sends an ``Updated`` event with all its traits and no
opt-in (its consent in Regal was never removed).
"""

from __future__ import annotations

from mapping_service.domain.changes import (
    Change,
    ChangeType,
    MappingProblem,
    RegalEventOut,
    Skip,
    changed_names,
    field_value,
    mapped_value,
    record_link,
)
from mapping_service.domain.model import (
    CHANNELS,
    AttributeMapping,
    Configuration,
    ObjectMapping,
)
from mapping_service.domain.opportunity import build_opportunity_events
from mapping_service.domain.secondary import KINDS as SECONDARY_KINDS
from mapping_service.domain.secondary import build_secondary_events
from mapping_service.domain.values import JsonObject, JsonValue, Missing, iso_from_ms, put_nested

__all__ = [
    "Change",
    "ChangeType",
    "MappingProblem",
    "RegalEventOut",
    "Skip",
    "build_regal_events",
    "primary_label",
]

_LABELS = {
    "Lead": "Lead",
    "Contact": "Contact",
    "Account": "Account",
    "PersonAccount": "Person Account",
}
_ID_TRAITS = {
    "Lead": "salesforce_lead_id",
    "Contact": "salesforce_contact_id",
    "Account": "salesforce_account_id",
    "PersonAccount": "salesforce_account_id",
}
# Which identifier's change re-sends which opt-in channels (O4).
_CHANNELS_OF_TRAIT = {"traits.phone": ("voice", "sms"), "traits.email": ("email",)}


def build_regal_events(
    config: Configuration, change: Change, *, instance_url: str, now_ms: int
) -> list[RegalEventOut] | Skip:
    """Build the Regal events one Salesforce change causes, or say why none."""
    if change.object_type == "Opportunity":
        return build_opportunity_events(
            config, change, instance_url=instance_url, now_ms=now_ms
        )
    if change.object_type in SECONDARY_KINDS:
        return build_secondary_events(
            config, change, instance_url=instance_url, now_ms=now_ms
        )
    mapping = _primary_mapping(config, change)
    if isinstance(mapping, Skip):
        return mapping
    return _primary_events(config, mapping, change, instance_url, now_ms)


def primary_label(object_type: str) -> str:
    """Return the label used in event names: ``Person Account`` for PersonAccount."""
    return _LABELS[object_type]


def _primary_mapping(config: Configuration, change: Change) -> ObjectMapping | Skip:
    """Find the object mapping that speaks for this change.

    Change events name Person Accounts ``Account``; the configuration maps
    at most one of Account and PersonAccount, so the type is unambiguous.
    """
    object_type = change.object_type
    is_person = field_value(change.values, "IsPersonAccount", change.record_id)
    if object_type == "Account" and config.object_mapping("PersonAccount"):
        if is_person is False:
            return Skip("not_a_person_account", "business Account, Person Accounts synced")
        object_type = "PersonAccount"
    elif object_type == "Account" and is_person is True:
        return Skip("person_account_not_synced", "Person Account, business Accounts synced")
    mapping = config.object_mapping(object_type) if object_type in _LABELS else None
    if mapping is None:
        return Skip("object_not_mapped", f"no active mapping for {change.object_type}")
    return mapping


def _primary_events(
    config: Configuration,
    mapping: ObjectMapping,
    change: Change,
    instance_url: str,
    now_ms: int,
) -> list[RegalEventOut] | Skip:
    if change.change_type is ChangeType.DELETED:
        return Skip("record_deleted", "deleted primary records send no event")
    if mapping.object == "Lead" and _converted(change):
        # The converted record's own events speak for the profile now (O5).
        return Skip("lead_converted", "a converted Lead's changes are not sent")
    outgoing = [a for a in mapping.attributes if a.sends_to_regal]
    changed = _changed(outgoing, change)
    if change.change_type is ChangeType.UPDATED and not changed:
        return Skip("no_mapped_field_changed", "no mapped field changed")
    problems: list[MappingProblem] = []
    timestamp = iso_from_ms(change.commit_timestamp_ms or now_ms)
    traits = _traits(outgoing, change, problems, config.default_phone_region)
    traits["salesforceLink"] = record_link(instance_url, change.record_id)
    traits[_ID_TRAITS[mapping.object]] = change.record_id
    opt_in = _opt_in(config, outgoing, change, changed, timestamp, problems)
    if opt_in:
        traits["optIn"] = opt_in
    body: JsonObject = {
        "name": f"Salesforce {_LABELS[mapping.object]} {_verb(change)}",
        "eventSource": "salesforce",
        "originalTimestamp": timestamp,
        "traits": traits,
    }
    _add_user_id(body, outgoing, change, problems)
    if change.change_type is ChangeType.UPDATED:
        body["properties"] = {
            "updated_properties_regal": [a.regal for a in changed],
            "updated_properties_sf": [a.salesforce for a in changed],
        }
    return [RegalEventOut(body, change.record_id, tuple(problems))]


def _converted(change: Change) -> bool:
    return field_value(change.values, "IsConverted", change.record_id) is True


def _verb(change: Change) -> str:
    return "Created" if change.change_type is ChangeType.CREATED else "Updated"


def _changed(
    attributes: list[AttributeMapping], change: Change
) -> list[AttributeMapping]:
    """Return the mappings whose Salesforce field this change touched."""
    names = changed_names(change.changed_fields)
    return [a for a in attributes if a.salesforce.lower() in names]


def _traits(
    attributes: list[AttributeMapping],
    change: Change,
    problems: list[MappingProblem],
    phone_region: str,
) -> JsonObject:
    """Nest every mapped trait of the record; skip (and note) broken ones."""
    traits: JsonObject = {}
    for attribute in attributes:
        path = attribute.trait_path
        if path is None:
            continue
        value = mapped_value(attribute, change, problems, phone_region=phone_region)
        if not isinstance(value, Missing):
            put_nested(traits, path, value)
    return traits


def _opt_in(
    config: Configuration,
    attributes: list[AttributeMapping],
    change: Change,
    changed: list[AttributeMapping],
    timestamp: str,
    problems: list[MappingProblem],
) -> list[JsonValue]:
    """List opt-ins on create, and for channels whose phone/email/opt-in changed."""
    channels = _opt_in_channels(change, changed)
    entries: list[JsonValue] = []
    for channel in CHANNELS:
        if channel in channels:
            subscribed = _subscribed(config, attributes, channel, change, problems)
            entries.append(
                {"channel": channel, "subscribed": subscribed, "timestamp": timestamp}
            )
    return entries


def _opt_in_channels(change: Change, changed: list[AttributeMapping]) -> set[str]:
    if change.change_type is ChangeType.CREATED:
        return set(CHANNELS)
    if change.change_type is not ChangeType.UPDATED:
        return set()
    channels: set[str] = set()
    for attribute in changed:
        channels.update(_CHANNELS_OF_TRAIT.get(attribute.regal, ()))
        if attribute.opt_in_channel:
            # A consent box ticked in Salesforce must reach Regal (docs/mapping.md).
            channels.add(attribute.opt_in_channel)
    return channels


def _subscribed(
    config: Configuration,
    attributes: list[AttributeMapping],
    channel: str,
    change: Change,
    problems: list[MappingProblem],
) -> bool:
    """Read the mapped checkbox of a channel, else the configuration's default."""
    default = config.subscribed_by_default.for_channel(channel)
    attribute = next((a for a in attributes if a.opt_in_channel == channel), None)
    if attribute is None:
        return default
    value = mapped_value(attribute, change, problems)
    if isinstance(value, bool):
        return value
    if not isinstance(value, Missing):
        problems.append(MappingProblem(
            attribute.regal, attribute.salesforce, "opt-in field is not a checkbox"
        ))
    return default


def _add_user_id(
    body: JsonObject,
    attributes: list[AttributeMapping],
    change: Change,
    problems: list[MappingProblem],
) -> None:
    """Set ``userId`` only when mapped and the record has a value for it."""
    attribute = next((a for a in attributes if a.is_user_id), None)
    if attribute is None:
        return
    value = mapped_value(attribute, change, problems)
    if isinstance(value, Missing) or value is None or value == "":
        return
    body["userId"] = value if isinstance(value, str) else str(value)
