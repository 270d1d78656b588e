from regalsync.contracts.common.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChangeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANGE_TYPE_UNSPECIFIED: _ClassVar[ChangeType]
    CHANGE_TYPE_CREATED: _ClassVar[ChangeType]
    CHANGE_TYPE_UPDATED: _ClassVar[ChangeType]
    CHANGE_TYPE_DELETED: _ClassVar[ChangeType]
    CHANGE_TYPE_UNDELETED: _ClassVar[ChangeType]

class WriteKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WRITE_KIND_UNSPECIFIED: _ClassVar[WriteKind]
    WRITE_KIND_CREATE: _ClassVar[WriteKind]
    WRITE_KIND_UPDATE: _ClassVar[WriteKind]
    WRITE_KIND_UPSERT: _ClassVar[WriteKind]
CHANGE_TYPE_UNSPECIFIED: ChangeType
CHANGE_TYPE_CREATED: ChangeType
CHANGE_TYPE_UPDATED: ChangeType
CHANGE_TYPE_DELETED: ChangeType
CHANGE_TYPE_UNDELETED: ChangeType
WRITE_KIND_UNSPECIFIED: WriteKind
WRITE_KIND_CREATE: WriteKind
WRITE_KIND_UPDATE: WriteKind
WRITE_KIND_UPSERT: WriteKind

class GetTenantRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListTenantsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListTenantsResponse(_message.Message):
    __slots__ = ("tenants",)
    TENANTS_FIELD_NUMBER: _ClassVar[int]
    tenants: _containers.RepeatedCompositeFieldContainer[Tenant]
    def __init__(self, tenants: _Optional[_Iterable[_Union[Tenant, _Mapping]]] = ...) -> None: ...

class Tenant(_message.Message):
    __slots__ = ("tenant_id", "configuration_version", "document_json", "salesforce", "regal", "read_plans", "match_policy")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_JSON_FIELD_NUMBER: _ClassVar[int]
    SALESFORCE_FIELD_NUMBER: _ClassVar[int]
    REGAL_FIELD_NUMBER: _ClassVar[int]
    READ_PLANS_FIELD_NUMBER: _ClassVar[int]
    MATCH_POLICY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    configuration_version: int
    document_json: bytes
    salesforce: SalesforceConnection
    regal: RegalConnection
    read_plans: _containers.RepeatedCompositeFieldContainer[ReadPlan]
    match_policy: MatchPolicy
    def __init__(self, tenant_id: _Optional[str] = ..., configuration_version: _Optional[int] = ..., document_json: _Optional[bytes] = ..., salesforce: _Optional[_Union[SalesforceConnection, _Mapping]] = ..., regal: _Optional[_Union[RegalConnection, _Mapping]] = ..., read_plans: _Optional[_Iterable[_Union[ReadPlan, _Mapping]]] = ..., match_policy: _Optional[_Union[MatchPolicy, _Mapping]] = ...) -> None: ...

class SalesforceConnection(_message.Message):
    __slots__ = ("login_url", "auth_flow", "client_id", "username", "client_secret_ref", "private_key_ref", "refresh_token_ref", "daily_api_budget_percent", "pubsub_address")
    LOGIN_URL_FIELD_NUMBER: _ClassVar[int]
    AUTH_FLOW_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_REF_FIELD_NUMBER: _ClassVar[int]
    PRIVATE_KEY_REF_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_REF_FIELD_NUMBER: _ClassVar[int]
    DAILY_API_BUDGET_PERCENT_FIELD_NUMBER: _ClassVar[int]
    PUBSUB_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    login_url: str
    auth_flow: str
    client_id: str
    username: str
    client_secret_ref: str
    private_key_ref: str
    refresh_token_ref: str
    daily_api_budget_percent: float
    pubsub_address: str
    def __init__(self, login_url: _Optional[str] = ..., auth_flow: _Optional[str] = ..., client_id: _Optional[str] = ..., username: _Optional[str] = ..., client_secret_ref: _Optional[str] = ..., private_key_ref: _Optional[str] = ..., refresh_token_ref: _Optional[str] = ..., daily_api_budget_percent: _Optional[float] = ..., pubsub_address: _Optional[str] = ...) -> None: ...

class RegalConnection(_message.Message):
    __slots__ = ("events_url", "api_key_ref", "webhook_token_ref", "timeout_seconds", "requests_per_second")
    EVENTS_URL_FIELD_NUMBER: _ClassVar[int]
    API_KEY_REF_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_TOKEN_REF_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    REQUESTS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    events_url: str
    api_key_ref: str
    webhook_token_ref: str
    timeout_seconds: float
    requests_per_second: float
    def __init__(self, events_url: _Optional[str] = ..., api_key_ref: _Optional[str] = ..., webhook_token_ref: _Optional[str] = ..., timeout_seconds: _Optional[float] = ..., requests_per_second: _Optional[float] = ...) -> None: ...

class ReadPlan(_message.Message):
    __slots__ = ("object_type", "fields")
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FIELDS_FIELD_NUMBER: _ClassVar[int]
    object_type: str
    fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, object_type: _Optional[str] = ..., fields: _Optional[_Iterable[str]] = ...) -> None: ...

class MatchPolicy(_message.Message):
    __slots__ = ("user_id_mapped", "user_id_field", "use_email", "objects")
    USER_ID_MAPPED_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_FIELD_NUMBER: _ClassVar[int]
    USE_EMAIL_FIELD_NUMBER: _ClassVar[int]
    OBJECTS_FIELD_NUMBER: _ClassVar[int]
    user_id_mapped: bool
    user_id_field: str
    use_email: bool
    objects: _containers.RepeatedCompositeFieldContainer[ObjectIdentityFields]
    def __init__(self, user_id_mapped: _Optional[bool] = ..., user_id_field: _Optional[str] = ..., use_email: _Optional[bool] = ..., objects: _Optional[_Iterable[_Union[ObjectIdentityFields, _Mapping]]] = ...) -> None: ...

class ObjectIdentityFields(_message.Message):
    __slots__ = ("object_type", "phone_fields", "email_fields")
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELDS_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELDS_FIELD_NUMBER: _ClassVar[int]
    object_type: str
    phone_fields: _containers.RepeatedScalarFieldContainer[str]
    email_fields: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, object_type: _Optional[str] = ..., phone_fields: _Optional[_Iterable[str]] = ..., email_fields: _Optional[_Iterable[str]] = ...) -> None: ...

class ConfigurationDocument(_message.Message):
    __slots__ = ("text", "source", "describe_json")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_JSON_FIELD_NUMBER: _ClassVar[int]
    text: str
    source: str
    describe_json: bytes
    def __init__(self, text: _Optional[str] = ..., source: _Optional[str] = ..., describe_json: _Optional[bytes] = ...) -> None: ...

class ValidationReport(_message.Message):
    __slots__ = ("valid", "errors", "describe_checked", "tenant_id")
    VALID_FIELD_NUMBER: _ClassVar[int]
    ERRORS_FIELD_NUMBER: _ClassVar[int]
    DESCRIBE_CHECKED_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    valid: bool
    errors: _containers.RepeatedCompositeFieldContainer[ValidationError]
    describe_checked: bool
    tenant_id: str
    def __init__(self, valid: _Optional[bool] = ..., errors: _Optional[_Iterable[_Union[ValidationError, _Mapping]]] = ..., describe_checked: _Optional[bool] = ..., tenant_id: _Optional[str] = ...) -> None: ...

class ValidationError(_message.Message):
    __slots__ = ("path", "message")
    PATH_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    path: str
    message: str
    def __init__(self, path: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class ApplyResult(_message.Message):
    __slots__ = ("tenant_id", "version", "previous_version", "changed")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PREVIOUS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    version: int
    previous_version: int
    changed: bool
    def __init__(self, tenant_id: _Optional[str] = ..., version: _Optional[int] = ..., previous_version: _Optional[int] = ..., changed: _Optional[bool] = ...) -> None: ...

class ListConfigurationVersionsRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class ListConfigurationVersionsResponse(_message.Message):
    __slots__ = ("versions",)
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[ConfigurationVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[ConfigurationVersion, _Mapping]]] = ...) -> None: ...

class ConfigurationVersion(_message.Message):
    __slots__ = ("version", "active", "created_at_ms")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    version: int
    active: bool
    created_at_ms: int
    def __init__(self, version: _Optional[int] = ..., active: _Optional[bool] = ..., created_at_ms: _Optional[int] = ...) -> None: ...

class ActivateConfigurationVersionRequest(_message.Message):
    __slots__ = ("tenant_id", "version")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    version: int
    def __init__(self, tenant_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class EnrichedChange(_message.Message):
    __slots__ = ("idempotency_key", "change_type", "changed_fields", "record", "commit_timestamp_ms", "record_missing", "instance_url")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    CHANGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_FIELDS_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    COMMIT_TIMESTAMP_MS_FIELD_NUMBER: _ClassVar[int]
    RECORD_MISSING_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_URL_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    change_type: ChangeType
    changed_fields: _containers.RepeatedScalarFieldContainer[str]
    record: _common_pb2.SalesforceRecord
    commit_timestamp_ms: int
    record_missing: bool
    instance_url: str
    def __init__(self, idempotency_key: _Optional[str] = ..., change_type: _Optional[_Union[ChangeType, str]] = ..., changed_fields: _Optional[_Iterable[str]] = ..., record: _Optional[_Union[_common_pb2.SalesforceRecord, _Mapping]] = ..., commit_timestamp_ms: _Optional[int] = ..., record_missing: _Optional[bool] = ..., instance_url: _Optional[str] = ...) -> None: ...

class ToRegalRequest(_message.Message):
    __slots__ = ("tenant_id", "changes")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    changes: _containers.RepeatedCompositeFieldContainer[EnrichedChange]
    def __init__(self, tenant_id: _Optional[str] = ..., changes: _Optional[_Iterable[_Union[EnrichedChange, _Mapping]]] = ...) -> None: ...

class ToRegalResponse(_message.Message):
    __slots__ = ("results", "events")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_common_pb2.ItemResult]
    events: _containers.RepeatedCompositeFieldContainer[RegalEvent]
    def __init__(self, results: _Optional[_Iterable[_Union[_common_pb2.ItemResult, _Mapping]]] = ..., events: _Optional[_Iterable[_Union[RegalEvent, _Mapping]]] = ...) -> None: ...

class RegalEvent(_message.Message):
    __slots__ = ("idempotency_key", "ordering_key", "body_json", "source_key")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ORDERING_KEY_FIELD_NUMBER: _ClassVar[int]
    BODY_JSON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KEY_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    ordering_key: str
    body_json: bytes
    source_key: str
    def __init__(self, idempotency_key: _Optional[str] = ..., ordering_key: _Optional[str] = ..., body_json: _Optional[bytes] = ..., source_key: _Optional[str] = ...) -> None: ...

class MatchedEvent(_message.Message):
    __slots__ = ("idempotency_key", "event_json", "match", "decided_by")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    EVENT_JSON_FIELD_NUMBER: _ClassVar[int]
    MATCH_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    event_json: bytes
    match: _common_pb2.SalesforceRecord
    decided_by: str
    def __init__(self, idempotency_key: _Optional[str] = ..., event_json: _Optional[bytes] = ..., match: _Optional[_Union[_common_pb2.SalesforceRecord, _Mapping]] = ..., decided_by: _Optional[str] = ...) -> None: ...

class ToSalesforceRequest(_message.Message):
    __slots__ = ("tenant_id", "events")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    events: _containers.RepeatedCompositeFieldContainer[MatchedEvent]
    def __init__(self, tenant_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[MatchedEvent, _Mapping]]] = ...) -> None: ...

class ToSalesforceResponse(_message.Message):
    __slots__ = ("results", "writes")
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_common_pb2.ItemResult]
    writes: _containers.RepeatedCompositeFieldContainer[SalesforceWrite]
    def __init__(self, results: _Optional[_Iterable[_Union[_common_pb2.ItemResult, _Mapping]]] = ..., writes: _Optional[_Iterable[_Union[SalesforceWrite, _Mapping]]] = ...) -> None: ...

class SalesforceWrite(_message.Message):
    __slots__ = ("idempotency_key", "ordering_key", "kind", "object_type", "record_id", "external_id_field", "external_id", "fields_json", "source_key", "append_fields", "owner_email", "origin_time_ms")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    ORDERING_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    SOURCE_KEY_FIELD_NUMBER: _ClassVar[int]
    APPEND_FIELDS_FIELD_NUMBER: _ClassVar[int]
    OWNER_EMAIL_FIELD_NUMBER: _ClassVar[int]
    ORIGIN_TIME_MS_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    ordering_key: str
    kind: WriteKind
    object_type: str
    record_id: str
    external_id_field: str
    external_id: str
    fields_json: bytes
    source_key: str
    append_fields: _containers.RepeatedScalarFieldContainer[str]
    owner_email: str
    origin_time_ms: int
    def __init__(self, idempotency_key: _Optional[str] = ..., ordering_key: _Optional[str] = ..., kind: _Optional[_Union[WriteKind, str]] = ..., object_type: _Optional[str] = ..., record_id: _Optional[str] = ..., external_id_field: _Optional[str] = ..., external_id: _Optional[str] = ..., fields_json: _Optional[bytes] = ..., source_key: _Optional[str] = ..., append_fields: _Optional[_Iterable[str]] = ..., owner_email: _Optional[str] = ..., origin_time_ms: _Optional[int] = ...) -> None: ...

class ConfigurationDiff(_message.Message):
    __slots__ = ("tenant_id", "active_version", "changes")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_VERSION_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    active_version: int
    changes: _containers.RepeatedCompositeFieldContainer[ConfigurationChange]
    def __init__(self, tenant_id: _Optional[str] = ..., active_version: _Optional[int] = ..., changes: _Optional[_Iterable[_Union[ConfigurationChange, _Mapping]]] = ...) -> None: ...

class ConfigurationChange(_message.Message):
    __slots__ = ("path", "kind", "before_json", "after_json")
    PATH_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BEFORE_JSON_FIELD_NUMBER: _ClassVar[int]
    AFTER_JSON_FIELD_NUMBER: _ClassVar[int]
    path: str
    kind: str
    before_json: str
    after_json: str
    def __init__(self, path: _Optional[str] = ..., kind: _Optional[str] = ..., before_json: _Optional[str] = ..., after_json: _Optional[str] = ...) -> None: ...

class ExportConfigurationRequest(_message.Message):
    __slots__ = ("tenant_id", "version")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    version: int
    def __init__(self, tenant_id: _Optional[str] = ..., version: _Optional[int] = ...) -> None: ...

class PreviewRequest(_message.Message):
    __slots__ = ("tenant_id", "document_text", "salesforce_change", "regal_event", "now_ms")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DOCUMENT_TEXT_FIELD_NUMBER: _ClassVar[int]
    SALESFORCE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    REGAL_EVENT_FIELD_NUMBER: _ClassVar[int]
    NOW_MS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    document_text: str
    salesforce_change: EnrichedChange
    regal_event: MatchedEvent
    now_ms: int
    def __init__(self, tenant_id: _Optional[str] = ..., document_text: _Optional[str] = ..., salesforce_change: _Optional[_Union[EnrichedChange, _Mapping]] = ..., regal_event: _Optional[_Union[MatchedEvent, _Mapping]] = ..., now_ms: _Optional[int] = ...) -> None: ...

class PreviewResponse(_message.Message):
    __slots__ = ("events", "writes", "skipped_reason", "problems", "configuration_version")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    WRITES_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_REASON_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[RegalEvent]
    writes: _containers.RepeatedCompositeFieldContainer[SalesforceWrite]
    skipped_reason: str
    problems: _containers.RepeatedScalarFieldContainer[str]
    configuration_version: int
    def __init__(self, events: _Optional[_Iterable[_Union[RegalEvent, _Mapping]]] = ..., writes: _Optional[_Iterable[_Union[SalesforceWrite, _Mapping]]] = ..., skipped_reason: _Optional[str] = ..., problems: _Optional[_Iterable[str]] = ..., configuration_version: _Optional[int] = ...) -> None: ...

class QueryEventLogRequest(_message.Message):
    __slots__ = ("tenant_id", "status", "direction", "since_ms", "limit", "within_seconds")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    WITHIN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    status: str
    direction: str
    since_ms: int
    limit: int
    within_seconds: float
    def __init__(self, tenant_id: _Optional[str] = ..., status: _Optional[str] = ..., direction: _Optional[str] = ..., since_ms: _Optional[int] = ..., limit: _Optional[int] = ..., within_seconds: _Optional[float] = ...) -> None: ...

class EventLogEntry(_message.Message):
    __slots__ = ("id", "direction", "event_type", "idempotency_key", "status", "detail", "recorded_at_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    DIRECTION_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    id: int
    direction: str
    event_type: str
    idempotency_key: str
    status: str
    detail: str
    recorded_at_ms: int
    def __init__(self, id: _Optional[int] = ..., direction: _Optional[str] = ..., event_type: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., status: _Optional[str] = ..., detail: _Optional[str] = ..., recorded_at_ms: _Optional[int] = ...) -> None: ...

class QueryEventLogResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[EventLogEntry]
    def __init__(self, entries: _Optional[_Iterable[_Union[EventLogEntry, _Mapping]]] = ...) -> None: ...

class PurgeEventLogRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PurgeEventLogResponse(_message.Message):
    __slots__ = ("purged", "retention_days")
    PURGED_FIELD_NUMBER: _ClassVar[int]
    RETENTION_DAYS_FIELD_NUMBER: _ClassVar[int]
    purged: int
    retention_days: int
    def __init__(self, purged: _Optional[int] = ..., retention_days: _Optional[int] = ...) -> None: ...

class DailySummaryRequest(_message.Message):
    __slots__ = ("tenant_id", "day")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    day: str
    def __init__(self, tenant_id: _Optional[str] = ..., day: _Optional[str] = ...) -> None: ...

class DailySummary(_message.Message):
    __slots__ = ("tenant_id", "day", "inbound", "outbound", "by_status", "errors_by_category", "configuration_version", "software_version", "by_event_type")
    class ByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ErrorsByCategoryEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    class ByEventTypeEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    DAY_FIELD_NUMBER: _ClassVar[int]
    INBOUND_FIELD_NUMBER: _ClassVar[int]
    OUTBOUND_FIELD_NUMBER: _ClassVar[int]
    BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    ERRORS_BY_CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    SOFTWARE_VERSION_FIELD_NUMBER: _ClassVar[int]
    BY_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    day: str
    inbound: int
    outbound: int
    by_status: _containers.ScalarMap[str, int]
    errors_by_category: _containers.ScalarMap[str, int]
    configuration_version: int
    software_version: str
    by_event_type: _containers.ScalarMap[str, int]
    def __init__(self, tenant_id: _Optional[str] = ..., day: _Optional[str] = ..., inbound: _Optional[int] = ..., outbound: _Optional[int] = ..., by_status: _Optional[_Mapping[str, int]] = ..., errors_by_category: _Optional[_Mapping[str, int]] = ..., configuration_version: _Optional[int] = ..., software_version: _Optional[str] = ..., by_event_type: _Optional[_Mapping[str, int]] = ...) -> None: ...

class DailySummaryResponse(_message.Message):
    __slots__ = ("summaries",)
    SUMMARIES_FIELD_NUMBER: _ClassVar[int]
    summaries: _containers.RepeatedCompositeFieldContainer[DailySummary]
    def __init__(self, summaries: _Optional[_Iterable[_Union[DailySummary, _Mapping]]] = ...) -> None: ...

class GetTenantStatusRequest(_message.Message):
    __slots__ = ("tenant_id",)
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    def __init__(self, tenant_id: _Optional[str] = ...) -> None: ...

class QueueStatus(_message.Message):
    __slots__ = ("queue", "waiting", "in_flight", "dead", "oldest_wait_seconds")
    QUEUE_FIELD_NUMBER: _ClassVar[int]
    WAITING_FIELD_NUMBER: _ClassVar[int]
    IN_FLIGHT_FIELD_NUMBER: _ClassVar[int]
    DEAD_FIELD_NUMBER: _ClassVar[int]
    OLDEST_WAIT_SECONDS_FIELD_NUMBER: _ClassVar[int]
    queue: str
    waiting: int
    in_flight: int
    dead: int
    oldest_wait_seconds: float
    def __init__(self, queue: _Optional[str] = ..., waiting: _Optional[int] = ..., in_flight: _Optional[int] = ..., dead: _Optional[int] = ..., oldest_wait_seconds: _Optional[float] = ...) -> None: ...

class ApiBudget(_message.Message):
    __slots__ = ("used_today", "org_daily_limit", "budget_percent", "budget_calls")
    USED_TODAY_FIELD_NUMBER: _ClassVar[int]
    ORG_DAILY_LIMIT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_PERCENT_FIELD_NUMBER: _ClassVar[int]
    BUDGET_CALLS_FIELD_NUMBER: _ClassVar[int]
    used_today: int
    org_daily_limit: int
    budget_percent: float
    budget_calls: int
    def __init__(self, used_today: _Optional[int] = ..., org_daily_limit: _Optional[int] = ..., budget_percent: _Optional[float] = ..., budget_calls: _Optional[int] = ...) -> None: ...

class TenantStatus(_message.Message):
    __slots__ = ("tenant_id", "configuration_version", "queues", "last_day_by_status", "api_budget", "salesforce_connection")
    class LastDayByStatusEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: int
        def __init__(self, key: _Optional[str] = ..., value: _Optional[int] = ...) -> None: ...
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_VERSION_FIELD_NUMBER: _ClassVar[int]
    QUEUES_FIELD_NUMBER: _ClassVar[int]
    LAST_DAY_BY_STATUS_FIELD_NUMBER: _ClassVar[int]
    API_BUDGET_FIELD_NUMBER: _ClassVar[int]
    SALESFORCE_CONNECTION_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    configuration_version: int
    queues: _containers.RepeatedCompositeFieldContainer[QueueStatus]
    last_day_by_status: _containers.ScalarMap[str, int]
    api_budget: ApiBudget
    salesforce_connection: SalesforceConnectionStatus
    def __init__(self, tenant_id: _Optional[str] = ..., configuration_version: _Optional[int] = ..., queues: _Optional[_Iterable[_Union[QueueStatus, _Mapping]]] = ..., last_day_by_status: _Optional[_Mapping[str, int]] = ..., api_budget: _Optional[_Union[ApiBudget, _Mapping]] = ..., salesforce_connection: _Optional[_Union[SalesforceConnectionStatus, _Mapping]] = ...) -> None: ...

class SalesforceConnectionStatus(_message.Message):
    __slots__ = ("state", "error", "since_ms", "org_id", "instance_url")
    STATE_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SINCE_MS_FIELD_NUMBER: _ClassVar[int]
    ORG_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_URL_FIELD_NUMBER: _ClassVar[int]
    state: str
    error: str
    since_ms: int
    org_id: str
    instance_url: str
    def __init__(self, state: _Optional[str] = ..., error: _Optional[str] = ..., since_ms: _Optional[int] = ..., org_id: _Optional[str] = ..., instance_url: _Optional[str] = ...) -> None: ...
