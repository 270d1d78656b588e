from regalsync.contracts.common.v1 import common_pb2 as _common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2 as _mapping_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EnqueueRequest(_message.Message):
    __slots__ = ("tenant_id", "events")
    TENANT_ID_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    tenant_id: str
    events: _containers.RepeatedCompositeFieldContainer[_mapping_pb2.RegalEvent]
    def __init__(self, tenant_id: _Optional[str] = ..., events: _Optional[_Iterable[_Union[_mapping_pb2.RegalEvent, _Mapping]]] = ...) -> None: ...

class EnqueueResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[_common_pb2.ItemResult]
    def __init__(self, results: _Optional[_Iterable[_Union[_common_pb2.ItemResult, _Mapping]]] = ...) -> None: ...
