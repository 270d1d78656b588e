from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ItemStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ITEM_STATUS_UNSPECIFIED: _ClassVar[ItemStatus]
    ITEM_STATUS_ACCEPTED: _ClassVar[ItemStatus]
    ITEM_STATUS_DUPLICATE: _ClassVar[ItemStatus]
    ITEM_STATUS_SKIPPED: _ClassVar[ItemStatus]
    ITEM_STATUS_REJECTED: _ClassVar[ItemStatus]
ITEM_STATUS_UNSPECIFIED: ItemStatus
ITEM_STATUS_ACCEPTED: ItemStatus
ITEM_STATUS_DUPLICATE: ItemStatus
ITEM_STATUS_SKIPPED: ItemStatus
ITEM_STATUS_REJECTED: ItemStatus

class ItemResult(_message.Message):
    __slots__ = ("idempotency_key", "status", "error_code", "message")
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    idempotency_key: str
    status: ItemStatus
    error_code: str
    message: str
    def __init__(self, idempotency_key: _Optional[str] = ..., status: _Optional[_Union[ItemStatus, str]] = ..., error_code: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class SalesforceRecord(_message.Message):
    __slots__ = ("object_type", "id", "fields_json")
    OBJECT_TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELDS_JSON_FIELD_NUMBER: _ClassVar[int]
    object_type: str
    id: str
    fields_json: bytes
    def __init__(self, object_type: _Optional[str] = ..., id: _Optional[str] = ..., fields_json: _Optional[bytes] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("id", "tenant_id", "idempotency_key", "reason", "attempts", "failed_at_ms", "payload_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_AT_MS_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_JSON_FIELD_NUMBER: _ClassVar[int]
    id: int
    tenant_id: str
    idempotency_key: str
    reason: str
    attempts: int
    failed_at_ms: int
    payload_json: bytes
    def __init__(self, id: _Optional[int] = ..., tenant_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ..., reason: _Optional[str] = ..., attempts: _Optional[int] = ..., failed_at_ms: _Optional[int] = ..., payload_json: _Optional[bytes] = ...) -> None: ...

class ListDeadLettersRequest(_message.Message):
    __slots__ = ("tenant_id", "limit")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    limit: int
    def __init__(self, tenant_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class ListDeadLettersResponse(_message.Message):
    __slots__ = ("dead_letters",)
    DEAD_LETTERS_FIELD_NUMBER: _ClassVar[int]
    dead_letters: _containers.RepeatedCompositeFieldContainer[DeadLetter]
    def __init__(self, dead_letters: _Optional[_Iterable[_Union[DeadLetter, _Mapping]]] = ...) -> None: ...

class ReplayDeadLettersRequest(_message.Message):
    __slots__ = ("tenant_id", "ids")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    IDS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    ids: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, tenant_id: _Optional[str] = ..., ids: _Optional[_Iterable[int]] = ...) -> None: ...

class ReplayDeadLettersResponse(_message.Message):
    __slots__ = ("replayed",)
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    replayed: int
    def __init__(self, replayed: _Optional[int] = ...) -> None: ...
