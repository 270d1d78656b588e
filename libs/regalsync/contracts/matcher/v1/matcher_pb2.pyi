from regalsync.contracts.common.v1 import common_pb2 as _common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2 as _mapping_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class MatchOutcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    MATCH_OUTCOME_UNSPECIFIED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_MATCHED: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_NO_MATCH: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_AMBIGUOUS: _ClassVar[MatchOutcome]
    MATCH_OUTCOME_UNRESOLVED: _ClassVar[MatchOutcome]
MATCH_OUTCOME_UNSPECIFIED: MatchOutcome
MATCH_OUTCOME_MATCHED: MatchOutcome
MATCH_OUTCOME_NO_MATCH: MatchOutcome
MATCH_OUTCOME_AMBIGUOUS: MatchOutcome
MATCH_OUTCOME_UNRESOLVED: MatchOutcome

class RecordRef(_message.Message):
    __slots__ = ("idempotency_key", "object_type", "record_id")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    RECORD_ID_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    object_type: str
    record_id: str
    def __init__(self, idempotency_key: _Optional[str] = ..., object_type: _Optional[str] = ..., record_id: _Optional[str] = ...) -> None: ...

class EnrichRequest(_message.Message):
    __slots__ = ("tenant_id", "records", "read_plans")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    READ_PLANS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    records: _containers.RepeatedCompositeFieldContainer[RecordRef]
    read_plans: _containers.RepeatedCompositeFieldContainer[_mapping_pb2.ReadPlan]
    def __init__(self, tenant_id: _Optional[str] = ..., records: _Optional[_Iterable[_Union[RecordRef, _Mapping]]] = ..., read_plans: _Optional[_Iterable[_Union[_mapping_pb2.ReadPlan, _Mapping]]] = ...) -> None: ...

class EnrichResponse(_message.Message):
    __slots__ = ("records", "instance_url")
    RECORDS_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_URL_FIELD_NUMBER: _ClassVar[int]
    records: _containers.RepeatedCompositeFieldContainer[EnrichedRecord]
    instance_url: str
    def __init__(self, records: _Optional[_Iterable[_Union[EnrichedRecord, _Mapping]]] = ..., instance_url: _Optional[str] = ...) -> None: ...

class EnrichedRecord(_message.Message):
    __slots__ = ("idempotency_key", "record", "missing")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    MISSING_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    record: _common_pb2.SalesforceRecord
    missing: bool
    def __init__(self, idempotency_key: _Optional[str] = ..., record: _Optional[_Union[_common_pb2.SalesforceRecord, _Mapping]] = ..., missing: _Optional[bool] = ...) -> None: ...

class Identifiers(_message.Message):
    __slots__ = ("idempotency_key", "user_id", "salesforce_ids", "phone", "email", "opportunity_numbers")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SALESFORCE_IDS_FIELD_NUMBER: _ClassVar[int]
    PHONE_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    OPPORTUNITY_NUMBERS_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    user_id: str
    salesforce_ids: _containers.RepeatedScalarFieldContainer[str]
    phone: str
    email: str
    opportunity_numbers: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, idempotency_key: _Optional[str] = ..., user_id: _Optional[str] = ..., salesforce_ids: _Optional[_Iterable[str]] = ..., phone: _Optional[str] = ..., email: _Optional[str] = ..., opportunity_numbers: _Optional[_Iterable[int]] = ...) -> None: ...

class ResolveRequest(_message.Message):
    __slots__ = ("tenant_id", "events", "policy", "read_plans")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    POLICY_FIELD_NUMBER: _ClassVar[int]
    READ_PLANS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    events: _containers.RepeatedCompositeFieldContainer[Identifiers]
    policy: _mapping_pb2.MatchPolicy
    read_plans: _containers.RepeatedCompositeFieldContainer[_mapping_pb2.ReadPlan]
    def __init__(self, tenant_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[Identifiers, _Mapping]]] = ..., policy: _Optional[_Union[_mapping_pb2.MatchPolicy, _Mapping]] = ..., read_plans: _Optional[_Iterable[_Union[_mapping_pb2.ReadPlan, _Mapping]]] = ...) -> None: ...

class ResolveResponse(_message.Message):
    __slots__ = ("matches",)
    MATCHES_FIELD_NUMBER: _ClassVar[int]
    matches: _containers.RepeatedCompositeFieldContainer[Match]
    def __init__(self, matches: _Optional[_Iterable[_Union[Match, _Mapping]]] = ...) -> None: ...

class Match(_message.Message):
    __slots__ = ("idempotency_key", "outcome", "record", "decided_by", "candidate_ids", "reason")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RECORD_FIELD_NUMBER: _ClassVar[int]
    DECIDED_BY_FIELD_NUMBER: _ClassVar[int]
    CANDIDATE_IDS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    outcome: MatchOutcome
    record: _common_pb2.SalesforceRecord
    decided_by: str
    candidate_ids: _containers.RepeatedScalarFieldContainer[str]
    reason: str
    def __init__(self, idempotency_key: _Optional[str] = ..., outcome: _Optional[_Union[MatchOutcome, str]] = ..., record: _Optional[_Union[_common_pb2.SalesforceRecord, _Mapping]] = ..., decided_by: _Optional[str] = ..., candidate_ids: _Optional[_Iterable[str]] = ..., reason: _Optional[str] = ...) -> None: ...
