"""Turn a tenant's YAML or JSON document into a validated configuration.

Structural validation lives here. Checks that need the org's describe
metadata (unknown fields, read-only fields, type compatibility) plug in as
``Checker`` callables that inspect the typed result; they report with the
same document paths (see ``attribute_path``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from mapping_service.domain.attribute_rules import check_object_mapping, read_attribute
from mapping_service.domain.document import (
    ConfigurationError,
    Section,
    ValidationIssue,
    load_document,
    open_section,
)
from mapping_service.domain.model import (
    AUTH_FLOWS,
    CONVERTED_OBJECTS,
    EVENT_TYPES,
    MAPPABLE_OBJECTS,
    WATCHED_OBJECTS,
    AttributeMapping,
    ChangeSource,
    ChangeSources,
    Configuration,
    DesiredObjects,
    ObjectMapping,
    OpportunityOptions,
    OutboundToggles,
    RegalConnection,
    SalesforceAuth,
    SalesforceConnection,
    Subscriptions,
    TenantConfiguration,
)

__all__ = [
    "Checker",
    "Configuration",
    "ConfigurationError",
    "TenantConfiguration",
    "ValidationIssue",
    "attribute_path",
    "parse_document",
    "validate",
]

Checker = Callable[[TenantConfiguration], Iterable[ValidationIssue]]

_TENANT_KEYS = ("tenant", "salesforce", "regal", "configurations")
_SALESFORCE_KEYS = ("login_url", "auth", "daily_api_budget_percent", "pubsub_address")
_AUTH_KEYS = (
    "flow", "client_id", "username", "private_key", "client_secret", "refresh_token",
)
_SECRET_KEYS = ("private_key", "client_secret", "refresh_token")
_REQUIRED_BY_FLOW = {
    "jwt_bearer": ("client_id", "username", "private_key"),
    "refresh_token": ("client_id", "refresh_token"),
    "client_credentials": ("client_id", "client_secret"),
}
_REGAL_KEYS = (
    "events_url", "api_key", "webhook_token", "timeout_seconds", "requests_per_second",
)
_CONFIGURATION_KEYS = (
    "name", "active", "desired_objects", "regal_api_key",
    "create_records_when_unmatched", "update_salesforce_from_regal",
    "use_email_to_identify", "subscribed_by_default", "opportunities", "outbound",
    "event_records", "log_calls_and_sms_as_tasks", "daily_summary",
    "log_retention_days", "event_record_retention_days", "object_mappings",
    "default_phone_region", "change_sources",
)
_CHANGE_SOURCE_KEYS = ("default", "polling_interval_seconds", "objects")
_OPPORTUNITY_KEYS = (
    "send_as_attributes", "update_from_contact_events", "friendly_id_threshold",
)
_OUTBOUND_KEYS = ("opportunity", "case", "case_comment", "event")
_OBJECT_MAPPING_KEYS = ("object", "active", "attributes")


def parse_document(
    text: str, source: str = "", checkers: Sequence[Checker] = ()
) -> TenantConfiguration:
    """Parse and validate one tenant document, or raise ConfigurationError."""
    return validate(load_document(text, source), checkers, source)


def validate(
    document: object, checkers: Sequence[Checker] = (), source: str = ""
) -> TenantConfiguration:
    """Validate parsed document values, then run the extra checkers."""
    issues: list[ValidationIssue] = []
    tenant = _read_tenant(document, issues)
    if not issues:
        for checker in checkers:
            issues.extend(checker(tenant))
    if issues:
        raise ConfigurationError(issues, source)
    return tenant


def attribute_path(configuration: int, object_mapping: int, attribute: int) -> str:
    """Return the document path of one attribute mapping."""
    return (
        f"configurations[{configuration}].object_mappings[{object_mapping}]"
        f".attributes[{attribute}]"
    )


def _read_tenant(document: object, issues: list[ValidationIssue]) -> TenantConfiguration:
    root = open_section(document, "", issues, _TENANT_KEYS)
    tenant = root.required_text("tenant")
    salesforce = _read_salesforce(
        open_section(root.raw("salesforce"), "salesforce", issues, _SALESFORCE_KEYS)
    )
    regal = _read_regal(open_section(root.raw("regal"), "regal", issues, _REGAL_KEYS))
    configurations = _read_configurations(root)
    return TenantConfiguration(tenant, salesforce, regal, configurations)


def _read_salesforce(section: Section) -> SalesforceConnection:
    login_url = section.required_text("login_url")
    if login_url and not login_url.startswith(("https://", "http://")):
        section.report("login_url", "must be an http(s) URL")
    auth_section = open_section(
        section.raw("auth"), section.at("auth"), section.issues, _AUTH_KEYS
    )
    return SalesforceConnection(
        login_url=login_url,
        auth=_read_auth(auth_section),
        daily_api_budget_percent=section.number(
            "daily_api_budget_percent", 25.0, 0.0, 100.0
        ),
        pubsub_address=section.text("pubsub_address"),
    )


def _read_auth(section: Section) -> SalesforceAuth:
    flow = section.choice("flow", AUTH_FLOWS, None) or AUTH_FLOWS[0]
    values = {key: section.text(key) for key in _AUTH_KEYS[1:]}
    for key in _REQUIRED_BY_FLOW[flow]:
        if not values[key]:
            section.report(key, f"is required for the {flow} flow")
    for key in _SECRET_KEYS:
        _require_reference(section, key, values[key])
    return SalesforceAuth(flow=flow, **values)


def _require_reference(section: Section, key: str, value: str | None) -> None:
    """Refuse secrets written inline: they must be ``${NAME}`` references."""
    if value is None:
        return
    name = value[2:-1] if value.startswith("${") and value.endswith("}") else ""
    if not (name.replace("_", "a").isalnum() and name[:1].isalpha()):
        section.report(key, "must be a ${NAME} reference; secrets are never written inline")


def _read_regal(section: Section) -> RegalConnection:
    api_key = section.required_text("api_key")
    _require_reference(section, "api_key", api_key or None)
    webhook_token = section.text("webhook_token")
    _require_reference(section, "webhook_token", webhook_token)
    return RegalConnection(
        api_key=api_key,
        events_url=section.text("events_url") or RegalConnection.events_url,
        webhook_token=webhook_token,
        timeout_seconds=section.number("timeout_seconds", 10.0, 0.0, 120.0),
        requests_per_second=section.number("requests_per_second", 300.0, 0.0, 300.0),
    )


def _read_configurations(root: Section) -> tuple[Configuration, ...]:
    items = root.items("configurations")
    if not items:
        root.report("configurations", "needs at least one configuration")
    configurations = tuple(
        _read_configuration(open_section(value, path, root.issues, _CONFIGURATION_KEYS))
        for path, value in items
    )
    _check_one_active(root, configurations)
    _check_unique_names(root, configurations)
    return configurations


def _check_one_active(root: Section, configurations: Sequence[Configuration]) -> None:
    first: int | None = None
    for index, configuration in enumerate(configurations):
        if not configuration.active:
            continue
        if first is None:
            first = index
            continue
        root.issues.append(ValidationIssue(
            f"configurations[{index}].active",
            f"only one configuration may be active; configurations[{first}] is active",
        ))


def _check_unique_names(root: Section, configurations: Sequence[Configuration]) -> None:
    seen: dict[str, int] = {}
    for index, configuration in enumerate(configurations):
        if configuration.name in seen:
            root.issues.append(ValidationIssue(
                f"configurations[{index}].name",
                f'duplicate configuration name "{configuration.name}" '
                f"(first at configurations[{seen[configuration.name]}])",
            ))
        seen.setdefault(configuration.name, index)


def _read_configuration(section: Section) -> Configuration:
    desired = section.choice("desired_objects", [d.value for d in DesiredObjects], None)
    desired_objects = DesiredObjects(desired or DesiredObjects.LEADS_ONLY)
    opportunities = _read_opportunities(section.section("opportunities", _OPPORTUNITY_KEYS))
    regal_api_key = section.text("regal_api_key")
    _require_reference(section, "regal_api_key", regal_api_key)
    mappings = _read_object_mappings(section, desired_objects if desired else None)
    return Configuration(
        name=section.required_text("name"),
        desired_objects=desired_objects,
        active=section.flag("active", False),
        regal_api_key=regal_api_key,
        create_records_when_unmatched=section.flag("create_records_when_unmatched", False),
        update_salesforce_from_regal=section.flag("update_salesforce_from_regal", False),
        use_email_to_identify=section.flag("use_email_to_identify", False),
        subscribed_by_default=_read_subscriptions(section),
        opportunities=opportunities,
        outbound=_read_outbound(section.section("outbound", _OUTBOUND_KEYS)),
        event_records=_read_event_records(section.section("event_records", EVENT_TYPES)),
        log_calls_and_sms_as_tasks=section.flag("log_calls_and_sms_as_tasks", False),
        daily_summary=section.flag("daily_summary", False),
        log_retention_days=section.integer("log_retention_days", 180, 1),
        event_record_retention_days=section.optional_integer(
            "event_record_retention_days", 1
        ),
        object_mappings=mappings,
        default_phone_region=_read_region(section),
        change_sources=_read_change_sources(
            section.section("change_sources", _CHANGE_SOURCE_KEYS)),
    )


def _read_region(section: Section) -> str:
    region = section.text("default_phone_region", "US") or "US"
    if len(region) != 2 or not region.isalpha() or not region.isupper():
        section.report("default_phone_region",
                       "must be a two-letter ISO 3166 region code such as US")
        return "US"
    return region


def _read_change_sources(section: Section) -> ChangeSources:
    sources = [s.value for s in ChangeSource]
    default = section.choice("default", sources, ChangeSource.EVENTS.value)
    objects = section.section("objects", WATCHED_OBJECTS)
    chosen = tuple((name, ChangeSource(choice)) for name in WATCHED_OBJECTS
                   if (choice := objects.choice(name, sources, "")))
    return ChangeSources(
        default=ChangeSource(default or ChangeSource.EVENTS.value),
        polling_interval_seconds=section.number(
            "polling_interval_seconds", 60.0, 0.0, 86400.0),
        objects=chosen,
    )


def _read_subscriptions(section: Section) -> Subscriptions:
    defaults = section.section("subscribed_by_default", ("voice", "sms", "email"))
    return Subscriptions(
        voice=defaults.flag("voice", False),
        sms=defaults.flag("sms", False),
        email=defaults.flag("email", False),
    )


def _read_opportunities(section: Section) -> OpportunityOptions:
    options = OpportunityOptions(
        send_as_attributes=section.flag("send_as_attributes", False),
        update_from_contact_events=section.flag("update_from_contact_events", False),
        friendly_id_threshold=section.integer("friendly_id_threshold", 100, 1),
    )
    if options.update_from_contact_events and not options.send_as_attributes:
        section.report(
            "update_from_contact_events", "requires opportunities.send_as_attributes"
        )
    return options


def _read_outbound(section: Section) -> OutboundToggles:
    return OutboundToggles(**{key: section.flag(key, True) for key in _OUTBOUND_KEYS})


def _read_event_records(section: Section) -> frozenset[str]:
    return frozenset(name for name in EVENT_TYPES if section.flag(name, True))


def _read_object_mappings(
    section: Section, desired: DesiredObjects | None
) -> tuple[ObjectMapping, ...]:
    mappings: list[ObjectMapping] = []
    for path, value in section.items("object_mappings"):
        item = open_section(value, path, section.issues, _OBJECT_MAPPING_KEYS)
        mappings.append(_read_object_mapping(item))
    _check_objects(section, mappings, desired)
    return tuple(mappings)


def _read_object_mapping(section: Section) -> ObjectMapping:
    object_type = section.choice("object", MAPPABLE_OBJECTS, None) or ""
    attributes: list[AttributeMapping] = []
    for path, value in section.items("attributes"):
        attributes.append(read_attribute(value, path, section.issues, object_type))
    mapping = ObjectMapping(
        object=object_type,
        active=section.flag("active", True),
        attributes=tuple(attributes),
    )
    check_object_mapping(section, mapping)
    return mapping


def _check_objects(
    section: Section, mappings: Sequence[ObjectMapping], desired: DesiredObjects | None
) -> None:
    """Apply C3: one mapping per object, one converted object, desired objects."""
    first_of: dict[str, int] = {}
    converted: tuple[str, int] | None = None
    for index, mapping in enumerate(mappings):
        path = f"{section.at('object_mappings')}[{index}]"
        if not mapping.object:
            continue
        if mapping.object in first_of:
            _report(section, path, f"duplicate object mapping for {mapping.object} "
                                   f"(first at object_mappings[{first_of[mapping.object]}])")
            continue
        first_of[mapping.object] = index
        if not mapping.active or not mapping.is_primary:
            continue
        if desired is not None and mapping.object not in desired.objects:
            _report(section, f"{path}.object", f"{mapping.object} is not synced when "
                                               f"desired_objects is {desired.value}")
        if mapping.object not in CONVERTED_OBJECTS:
            continue
        if converted is not None:
            _report(section, path, "map at most one of Contact, Account and "
                                   f"PersonAccount; {converted[0]} is mapped at "
                                   f"object_mappings[{converted[1]}]")
        else:
            converted = (mapping.object, index)


def _report(section: Section, path: str, message: str) -> None:
    section.issues.append(ValidationIssue(path, message))
