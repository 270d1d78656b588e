"""Derive what the matcher searches by, from a configuration and an event (I2)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from mapping_service.domain.model import Configuration, ObjectMapping
from mapping_service.domain.regal_event import read_event
from mapping_service.domain.values import JsonValue

# Converted records win over Leads, so the waterfall searches them first.
_SEARCH_ORDER = ("Contact", "Account", "PersonAccount", "Lead")
_ID_TRAITS = (
    ("salesforce_contact_id", "Contact"),
    ("salesforce_account_id", "Account"),
    ("salesforce_lead_id", "Lead"),
)
# Extra fields every read of these objects needs (Person Account handling).
_EXTRA_FIELDS = {"PersonAccount": ("IsPersonAccount", "PersonContactId")}


@dataclass(frozen=True)
class RecordRef:
    """Name one Salesforce record by object type and id."""

    object_type: str
    record_id: str


@dataclass(frozen=True)
class Identifiers:
    """Hold the identifiers of a Regal event the waterfall may use."""

    user_id: str | None
    salesforce_ids: tuple[RecordRef, ...]
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class ObjectIdentity:
    """Say which fields of one primary object hold the userId, phones, emails."""

    object_type: str
    user_id_field: str | None
    phone_fields: tuple[str, ...]
    email_fields: tuple[str, ...]


@dataclass(frozen=True)
class MatchPolicy:
    """Say what the matcher's waterfall may use, in search order."""

    user_id_mapped: bool
    user_id_field: str | None
    use_email: bool
    objects: tuple[ObjectIdentity, ...]


@dataclass(frozen=True)
class ReadPlan:
    """Name the fields to read when a change or a match names a record."""

    object_type: str
    fields: tuple[str, ...]


def match_policy(config: Configuration) -> MatchPolicy:
    """Derive the waterfall's inputs: Contact/Account/PersonAccount before Lead."""
    objects = tuple(
        _object_identity(mapping)
        for object_type in _SEARCH_ORDER
        if (mapping := config.object_mapping(object_type)) is not None
    )
    user_id_fields = [o.user_id_field for o in objects if o.user_id_field]
    return MatchPolicy(
        user_id_mapped=bool(user_id_fields),
        user_id_field=user_id_fields[0] if user_id_fields else None,
        use_email=config.use_email_to_identify and any(o.email_fields for o in objects),
        objects=objects,
    )


def _object_identity(mapping: ObjectMapping) -> ObjectIdentity:
    def fields_of(regal: str) -> tuple[str, ...]:
        return tuple(a.salesforce for a in mapping.attributes if a.regal == regal)

    user_id = fields_of("userId")
    return ObjectIdentity(
        object_type=mapping.object,
        user_id_field=user_id[0] if user_id else None,
        phone_fields=fields_of("traits.phone"),
        email_fields=fields_of("traits.email"),
    )


def identifiers_of(event: Mapping[str, JsonValue], config: Configuration) -> Identifiers:
    """Pick the identifiers of an event that the configuration lets the waterfall use."""
    regal_event = read_event(event)
    policy = match_policy(config)
    searched = {o.object_type for o in policy.objects}
    has_phone = any(o.phone_fields for o in policy.objects)
    return Identifiers(
        user_id=regal_event.user_id if policy.user_id_mapped else None,
        salesforce_ids=_salesforce_ids(regal_event.traits, searched),
        phone=regal_event.phone if has_phone else None,
        email=regal_event.email if policy.use_email else None,
    )


def _salesforce_ids(
    traits: Mapping[str, JsonValue], searched: set[str]
) -> tuple[RecordRef, ...]:
    refs: list[RecordRef] = []
    for trait, object_type in _ID_TRAITS:
        value = traits.get(trait)
        if not isinstance(value, str) or not value:
            continue
        if object_type == "Account" and "PersonAccount" in searched:
            object_type = "PersonAccount"
        if object_type in searched:
            refs.append(RecordRef(object_type, value))
    return tuple(refs)


def read_plans(config: Configuration) -> tuple[ReadPlan, ...]:
    """List, per mapped object, the fields a read must fetch (Id first)."""
    plans: list[ReadPlan] = []
    for mapping in config.object_mappings:
        if not mapping.active:
            continue
        names = ["Id", *_EXTRA_FIELDS.get(mapping.object, ())]
        names += [a.salesforce for a in mapping.attributes]
        unique = tuple(dict.fromkeys(names))
        sobject = "Account" if mapping.object == "PersonAccount" else mapping.object
        plans.append(ReadPlan(sobject, unique))
    return tuple(plans)
