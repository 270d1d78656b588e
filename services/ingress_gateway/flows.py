"""What the two flows share: the downstream stubs and the event log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from regalsync.contracts.common.v1 import common_pb2
from regalsync.contracts.mapping.v1 import mapping_pb2_grpc
from regalsync.contracts.matcher.v1 import matcher_pb2_grpc
from regalsync.contracts.publisher.v1 import publisher_pb2_grpc
from regalsync.contracts.writer.v1 import writer_pb2_grpc
from regalsync.storage import LogEntry, Storage


@dataclass(frozen=True)
class Downstream:
    mapping: mapping_pb2_grpc.MappingServiceStub
    matcher: matcher_pb2_grpc.MatcherServiceStub
    publisher: publisher_pb2_grpc.RegalPublisherStub
    writer: writer_pb2_grpc.SalesforceWriterStub


async def log_results(storage: Storage, tenant_id: str, direction: str,
                      results: Sequence[common_pb2.ItemResult],
                      event_types: Mapping[str, str] | None = None) -> None:
    """Record each item's outcome in the tenant's event log (ids only).

    ``event_types`` names each item's event type by idempotency key (a
    Regal event name, a Salesforce change such as ``Lead CREATE``), so
    the daily summary can count by type.
    """
    types = event_types or {}
    entries = [LogEntry(tenant=tenant_id, direction=direction,
                        event_type=types.get(r.idempotency_key, ""),
                        idempotency_key=r.idempotency_key,
                        status=common_pb2.ItemStatus.Name(r.status).removeprefix(
                            "ITEM_STATUS_").lower(),
                        detail=r.error_code)
               for r in results]
    if entries:
        await storage.append_log(entries)
