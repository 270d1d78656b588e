"""Describe a tenant's configuration as typed, immutable values."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from mapping_service.domain.values import JsonObject

PRIMARY_OBJECTS = ("Lead", "Contact", "Account", "PersonAccount")
# Of these, a configuration maps at most one (C3).
CONVERTED_OBJECTS = ("Contact", "Account", "PersonAccount")
MAPPABLE_OBJECTS = (*PRIMARY_OBJECTS, "Opportunity")
CHANNELS = ("voice", "sms", "email")
EVENT_TYPES = (
    "call.completed",
    "call.recording.available",
    "contact.subscribed",
    "contact.unsubscribed",
    "contact.attribute.edited",
    "contact.experiment.assigned",
    "sms.conversation.completed",
    "sms.sent",
    "sms.received",
    "mms.sent",
    "mms.received",
    "task.created",
    "task.canceled",
)
AUTH_FLOWS = ("jwt_bearer", "refresh_token", "client_credentials")


class Direction(StrEnum):
    """Say which way an attribute mapping carries values (C9)."""

    BOTH = "both"
    TO_REGAL = "to_regal"
    TO_SALESFORCE = "to_salesforce"


class WriteCondition(StrEnum):
    """Say when Regal may write a Salesforce field (C9)."""

    ALWAYS = "always"
    SALESFORCE_BLANK = "salesforce_blank"


class DesiredObjects(StrEnum):
    """Name the primary objects a configuration syncs (C2)."""

    LEADS_ONLY = "leads_only"
    LEADS_AND_CONTACTS = "leads_and_contacts"
    LEADS_AND_ACCOUNTS = "leads_and_accounts"
    LEADS_AND_PERSON_ACCOUNTS = "leads_and_person_accounts"

    @property
    def objects(self) -> tuple[str, ...]:
        """Return the primary object types this choice allows."""
        second = {
            DesiredObjects.LEADS_ONLY: (),
            DesiredObjects.LEADS_AND_CONTACTS: ("Contact",),
            DesiredObjects.LEADS_AND_ACCOUNTS: ("Account",),
            DesiredObjects.LEADS_AND_PERSON_ACCOUNTS: ("PersonAccount",),
        }[self]
        return ("Lead", *second)


@dataclass(frozen=True)
class AttributeMapping:
    """Pair one Regal attribute name with one Salesforce field (C4).

    The names derived from ``regal`` are cached: the transforms read them
    for every attribute of every event.
    """

    regal: str
    salesforce: str
    direction: Direction = Direction.BOTH
    when: WriteCondition = WriteCondition.ALWAYS
    # The Regal property type, when declared; checked against C6.
    regal_type: str | None = None

    @cached_property
    def sends_to_regal(self) -> bool:
        """Tell whether Salesforce values of this field go to Regal."""
        return self.direction is not Direction.TO_SALESFORCE

    @cached_property
    def writes_to_salesforce(self) -> bool:
        """Tell whether Regal values may be written to this field."""
        return self.direction is not Direction.TO_REGAL

    @cached_property
    def trait_path(self) -> tuple[str, ...] | None:
        """Return the nested trait keys of a ``traits.*`` name, else None."""
        head, _, rest = self.regal.partition(".")
        return tuple(rest.split(".")) if head == "traits" and rest else None

    @cached_property
    def property_name(self) -> str | None:
        """Return the name after ``properties.`` (Opportunity), else None."""
        head, _, rest = self.regal.partition(".")
        return rest if head == "properties" and rest else None

    @cached_property
    def opt_in_channel(self) -> str | None:
        """Return the channel of an ``optIn.<channel>.subscribed`` name."""
        parts = self.regal.split(".")
        if len(parts) == 3 and parts[0] == "optIn" and parts[2] == "subscribed":
            return parts[1]
        return None

    @cached_property
    def is_user_id(self) -> bool:
        """Tell whether this mapping supplies the Regal ``userId``."""
        return self.regal == "userId"

    def to_json_dict(self) -> JsonObject:
        """Render the mapping as its document form, defaults included."""
        rendered: JsonObject = {
            "regal": self.regal,
            "salesforce": self.salesforce,
            "direction": self.direction.value,
            "when": self.when.value,
        }
        if self.regal_type is not None:
            rendered["type"] = self.regal_type
        return rendered


@dataclass(frozen=True)
class ObjectMapping:
    """Name a Salesforce object type and its attribute mappings (C3)."""

    object: str
    active: bool = True
    attributes: tuple[AttributeMapping, ...] = ()

    @property
    def is_primary(self) -> bool:
        """Tell whether the object is a Lead, Contact, Account or Person Account."""
        return self.object in PRIMARY_OBJECTS

    def mapping_for(self, regal: str) -> AttributeMapping | None:
        """Return the mapping of a Regal attribute name, if any."""
        return next((a for a in self.attributes if a.regal == regal), None)

    def to_json_dict(self) -> JsonObject:
        """Render the object mapping as its document form."""
        return {
            "object": self.object,
            "active": self.active,
            "attributes": [a.to_json_dict() for a in self.attributes],
        }


@dataclass(frozen=True)
class Subscriptions:
    """Hold the default subscription per channel for new records."""

    voice: bool = False
    sms: bool = False
    email: bool = False

    def for_channel(self, channel: str) -> bool:
        """Return the default for ``voice``, ``sms`` or ``email``."""
        return {"voice": self.voice, "sms": self.sms, "email": self.email}[channel]

    def to_json_dict(self) -> JsonObject:
        """Render the defaults as their document form."""
        return {"voice": self.voice, "sms": self.sms, "email": self.email}


@dataclass(frozen=True)
class OpportunityOptions:
    """Hold the Opportunity-as-attributes options (C2, O8, I7)."""

    send_as_attributes: bool = False
    update_from_contact_events: bool = False
    friendly_id_threshold: int = 100

    def to_json_dict(self) -> JsonObject:
        """Render the options as their document form."""
        return {
            "send_as_attributes": self.send_as_attributes,
            "update_from_contact_events": self.update_from_contact_events,
            "friendly_id_threshold": self.friendly_id_threshold,
        }


@dataclass(frozen=True)
class OutboundToggles:
    """Switch events for each secondary object on or off (C2, O6)."""

    opportunity: bool = True
    case: bool = True
    case_comment: bool = True
    event: bool = True

    def to_json_dict(self) -> JsonObject:
        """Render the toggles as their document form."""
        return {
            "opportunity": self.opportunity,
            "case": self.case,
            "case_comment": self.case_comment,
            "event": self.event,
        }


class ChangeSource(StrEnum):
    """Say how regal-sync learns of an object's changes (O1)."""

    EVENTS = "events"
    POLLING = "polling"


# Objects that have no change events: always polled (O1).
POLLED_ONLY = ("CaseComment",)
WATCHED_OBJECTS = (
    "Lead", "Contact", "Account", "Opportunity", "Case", "Event", *POLLED_ONLY,
)


@dataclass(frozen=True)
class ChangeSources:
    """Choose per object between change events and polling ``SystemModstamp``."""

    default: ChangeSource = ChangeSource.EVENTS
    polling_interval_seconds: float = 60.0
    objects: tuple[tuple[str, ChangeSource], ...] = ()

    def source_of(self, object_type: str) -> ChangeSource:
        """Return the source of an object (Person Accounts are Accounts)."""
        if object_type in POLLED_ONLY:
            return ChangeSource.POLLING
        name = "Account" if object_type == "PersonAccount" else object_type
        return dict(self.objects).get(name, self.default)

    def to_json_dict(self) -> JsonObject:
        """Render the choice as its document form."""
        return {
            "default": self.default.value,
            "polling_interval_seconds": self.polling_interval_seconds,
            "objects": {name: source.value for name, source in self.objects},
        }


@dataclass(frozen=True)
class Configuration:
    """Hold one named set of sync options and mappings (C2)."""

    name: str
    desired_objects: DesiredObjects
    active: bool = False
    regal_api_key: str | None = None
    create_records_when_unmatched: bool = False
    update_salesforce_from_regal: bool = False
    use_email_to_identify: bool = False
    subscribed_by_default: Subscriptions = field(default_factory=Subscriptions)
    opportunities: OpportunityOptions = field(default_factory=OpportunityOptions)
    outbound: OutboundToggles = field(default_factory=OutboundToggles)
    event_records: frozenset[str] = frozenset(EVENT_TYPES)
    log_calls_and_sms_as_tasks: bool = False
    daily_summary: bool = False
    log_retention_days: int = 180
    event_record_retention_days: int | None = None
    object_mappings: tuple[ObjectMapping, ...] = ()
    # ISO 3166 region that phones without a country code are read in.
    default_phone_region: str = "US"
    change_sources: ChangeSources = field(default_factory=ChangeSources)

    def object_mapping(self, object_type: str) -> ObjectMapping | None:
        """Return the active mapping of an object type, if any."""
        return next(
            (m for m in self.object_mappings if m.active and m.object == object_type),
            None,
        )

    @property
    def primary_mappings(self) -> tuple[ObjectMapping, ...]:
        """Return the active primary object mappings, in document order."""
        return tuple(m for m in self.object_mappings if m.active and m.is_primary)

    def to_json_dict(self) -> JsonObject:
        """Render the configuration as its document form, defaults included."""
        return {
            "name": self.name,
            "active": self.active,
            "desired_objects": self.desired_objects.value,
            "regal_api_key": self.regal_api_key,
            "create_records_when_unmatched": self.create_records_when_unmatched,
            "update_salesforce_from_regal": self.update_salesforce_from_regal,
            "use_email_to_identify": self.use_email_to_identify,
            "subscribed_by_default": self.subscribed_by_default.to_json_dict(),
            "opportunities": self.opportunities.to_json_dict(),
            "outbound": self.outbound.to_json_dict(),
            "event_records": {t: t in self.event_records for t in EVENT_TYPES},
            "log_calls_and_sms_as_tasks": self.log_calls_and_sms_as_tasks,
            "daily_summary": self.daily_summary,
            "log_retention_days": self.log_retention_days,
            "event_record_retention_days": self.event_record_retention_days,
            "object_mappings": [m.to_json_dict() for m in self.object_mappings],
            "default_phone_region": self.default_phone_region,
            "change_sources": self.change_sources.to_json_dict(),
        }


@dataclass(frozen=True)
class SalesforceAuth:
    """Say how regal-sync signs in to the org (C8); secrets stay ``${NAME}``."""

    flow: str
    client_id: str | None = None
    username: str | None = None
    private_key: str | None = None
    client_secret: str | None = None
    refresh_token: str | None = None

    def to_json_dict(self) -> JsonObject:
        """Render the sign-in settings as their document form."""
        return {
            "flow": self.flow,
            "client_id": self.client_id,
            "username": self.username,
            "private_key": self.private_key,
            "client_secret": self.client_secret,
            "refresh_token": self.refresh_token,
        }


@dataclass(frozen=True)
class SalesforceConnection:
    """Locate the tenant's org and its API budget share."""

    login_url: str
    auth: SalesforceAuth
    daily_api_budget_percent: float = 25.0
    # host:port of the org's Pub/Sub API when not the ingress's default
    # (REGALSYNC_PUBSUB_ADDRESS), e.g. for a government-cloud org.
    pubsub_address: str | None = None

    def to_json_dict(self) -> JsonObject:
        """Render the connection as its document form."""
        document: JsonObject = {
            "login_url": self.login_url,
            "auth": self.auth.to_json_dict(),
            "daily_api_budget_percent": self.daily_api_budget_percent,
        }
        if self.pubsub_address:
            document["pubsub_address"] = self.pubsub_address
        return document


@dataclass(frozen=True)
class RegalConnection:
    """Locate the tenant's Regal account; secrets stay ``${NAME}``."""

    api_key: str
    events_url: str = "https://events.regalvoice.com/events"
    webhook_token: str | None = None
    timeout_seconds: float = 10.0
    requests_per_second: float = 300.0

    def to_json_dict(self) -> JsonObject:
        """Render the connection as its document form."""
        return {
            "events_url": self.events_url,
            "api_key": self.api_key,
            "webhook_token": self.webhook_token,
            "timeout_seconds": self.timeout_seconds,
            "requests_per_second": self.requests_per_second,
        }


@dataclass(frozen=True)
class TenantConfiguration:
    """Hold everything one tenant's document declares (C1, C7)."""

    tenant: str
    salesforce: SalesforceConnection
    regal: RegalConnection
    configurations: tuple[Configuration, ...]

    def active_configuration(self) -> Configuration | None:
        """Return the active configuration, or None when all are inactive."""
        return next((c for c in self.configurations if c.active), None)

    def to_json_dict(self) -> JsonObject:
        """Render the tenant as a document that parses back to an equal value."""
        return {
            "tenant": self.tenant,
            "salesforce": self.salesforce.to_json_dict(),
            "regal": self.regal.to_json_dict(),
            "configurations": [c.to_json_dict() for c in self.configurations],
        }
