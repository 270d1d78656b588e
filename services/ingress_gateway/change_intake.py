"""Subscribe to each tenant's change events and record them in the inbox.

One subscription per tenant runs at a time across ingress replicas (a
lease in storage). A batch of events is written to the inbox first and
only then is its last replay id committed, so a crash at any point
replays events the inbox already has (its keys make that harmless) and
never skips one. Flow control asks for at most 100 events at a time.

A tenant's first subscription starts from the earliest retained event
and keeps only changes committed after the tenant was first seen, so no
change made after onboarding is missed while the stream is being set up.

Change events cannot always name what changed. Gap events name records
without their changes (the pipeline re-reads them whole); a
``GAP_OVERFLOW`` names no records at all, so the object's records
modified since the last commit taken are queried (``resync.py``). A
stored replay id older than the bus keeps (72 h) would stall the tenant:
instead the watched objects' records modified since the last commit
taken are queried and queued, and the stream restarts from the earliest
retained event, keeping only changes committed after what the query saw.
Both are logged and counted (``regalsync_events_total`` with types
``salesforce_resync`` and ``replay_id_expired``).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

import fastavro
import grpc
import structlog

from ingress_gateway.inbox import QUEUE, RecordChange, change_item, resync_item
from ingress_gateway.intake_counts import count_accepted
from ingress_gateway.resync import changed_since
from regalsync.contracts.eventbus.v1 import pubsub_pb2, pubsub_pb2_grpc
from regalsync.metrics import current_metrics
from regalsync.pubsub.bitmaps import field_names_from_bitmaps
from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.auth import SalesforceToken, TokenProvider
from regalsync.storage import QueueItem, Storage

log = structlog.get_logger(__name__)

TOPIC = "/data/ChangeEvents"
BATCH = 100
_REPLAY_CHECKPOINT = f"pubsub:{TOPIC}"
_START_CHECKPOINT = "pubsub:first_seen_ms"
_LAST_COMMIT_CHECKPOINT = "pubsub:last_commit_ms"
# A dead holder's subscription is taken over within this many seconds.
_LEASE_SECONDS = 15.0
_REPLAY_EXPIRED = "replayid.corrupted"
_OVERFLOW = "GAP_OVERFLOW"
Watched = Callable[[], Awaitable[Collection[str]]]


@dataclass(frozen=True)
class EventSchema:
    """A change event's Avro schema, whole and cut down to its header.

    The pipeline needs only the ChangeEventHeader: the record's fields are
    read from Salesforce when the change is handled, and most events are
    our own writes coming back, dropped on the header alone. Avro writes
    fields in order and the header comes first, so a schema of that one
    field decodes it and stops, instead of building every field of the
    record (about 60 us for a record of 60 fields).
    """

    full: dict[str, Any]
    header_only: dict[str, Any]

    @classmethod
    def parse(cls, raw: dict[str, Any]) -> EventSchema:
        full: Any = fastavro.parse_schema(raw)
        fields = raw.get("fields") or []
        if not fields or fields[0].get("name") != "ChangeEventHeader":
            return cls(full, full)
        header_only: Any = fastavro.parse_schema({**raw, "fields": fields[:1]})
        return cls(full, header_only)


class TenantSubscription:
    """Keep one tenant's change-event stream flowing into the inbox."""

    def __init__(self, tenant_id: str, storage: Storage, tokens: TokenProvider, *,
                 address: str, root_certificates: bytes | None, holder: str,
                 client_tag: str, on_accepted: Any,
                 salesforce: SalesforceClient | None = None,
                 watched: Watched | None = None) -> None:
        self._tenant = tenant_id
        self._salesforce = salesforce
        self._watched = watched
        self._storage = storage
        self._tokens = tokens
        self._address = address
        self._roots = root_certificates
        self._holder = holder
        self._client_tag = client_tag
        self._on_accepted = on_accepted
        self._schemas: dict[str, EventSchema] = {}
        self.live = False

    async def run(self, stop: asyncio.Event) -> None:
        """Hold the lease and stream until stopped, reconnecting on errors."""
        backoff = 1.0
        while not stop.is_set():
            lease = f"pubsub:{self._tenant}"
            if not await self._storage.acquire_lease(lease, self._holder, _LEASE_SECONDS):
                await _wait(stop, _LEASE_SECONDS / 3)
                continue
            try:
                await self._stream(stop)
                backoff = 1.0
            except grpc.aio.AioRpcError as error:
                log.warning("pubsub_stream_error", tenant=self._tenant,
                            code=error.code().name, error_code=_error_code(error))
                if error.code() == grpc.StatusCode.UNAUTHENTICATED:
                    await self._refresh_token()
                if _error_code(error).endswith(_REPLAY_EXPIRED):
                    await self._recover()
            except Exception:
                log.exception("pubsub_stream_failed", tenant=self._tenant)
            finally:
                self.live = False
            await _wait(stop, backoff)
            backoff = min(backoff * 2, 30.0)
        with contextlib.suppress(Exception):
            await self._storage.release_lease(f"pubsub:{self._tenant}", self._holder)

    async def _refresh_token(self) -> None:
        """Get a new token; a revoked connection is retried after the backoff."""
        try:
            await self._tokens.refresh(await self._tokens.token())
        except Exception as error:  # revoked or unreachable: keep the task alive
            log.warning("pubsub_token_refresh_failed", tenant=self._tenant,
                        error=type(error).__name__)

    async def _stream(self, stop: asyncio.Event) -> None:
        token = await self._tokens.token()
        first_seen = await self._first_seen_ms()
        replay = await self._storage.get_checkpoint(self._tenant, _REPLAY_CHECKPOINT)
        credentials = grpc.ssl_channel_credentials(root_certificates=self._roots)
        async with grpc.aio.secure_channel(self._address, credentials) as channel:
            stub = pubsub_pb2_grpc.PubSubStub(channel)
            requests: asyncio.Queue[pubsub_pb2.FetchRequest] = asyncio.Queue()
            await requests.put(_first_request(replay))
            call = stub.Subscribe(_drain(requests, stop), metadata=_metadata(token))
            self.live = True
            log.info("pubsub_subscribed", tenant=self._tenant, resumed=replay is not None)
            stopping = asyncio.ensure_future(stop.wait())
            renewing = asyncio.create_task(self._renew_lease(stopping))
            try:
                async for response in _until(call, stopping):
                    await self._take(stub, token, response, first_seen)
                    if response.pending_num_requested == 0:
                        await requests.put(pubsub_pb2.FetchRequest(
                            topic_name=TOPIC, num_requested=BATCH))
            finally:
                stopping.cancel()
                renewing.cancel()
                call.cancel()

    async def _renew_lease(self, stopping: asyncio.Future[Any]) -> None:
        while not stopping.done():
            await asyncio.sleep(_LEASE_SECONDS / 3)
            if not await self._storage.renew_lease(f"pubsub:{self._tenant}", self._holder,
                                                   _LEASE_SECONDS):
                log.warning("pubsub_lease_lost", tenant=self._tenant)

    async def _take(self, stub: pubsub_pb2_grpc.PubSubStub, token: SalesforceToken,
                    response: pubsub_pb2.FetchResponse, first_seen: int) -> None:
        if not response.events:
            return
        items: list[QueueItem] = []
        last_commit = await self._last_commit_ms()
        newest = last_commit
        for consumer_event in response.events:
            event = consumer_event.event
            schema = await self._schema(stub, token, event.schema_id)
            record: Any = fastavro.schemaless_reader(io.BytesIO(event.payload),
                                                     schema.header_only)
            header: dict[str, Any] = record["ChangeEventHeader"]
            newest = max(newest, int(header.get("commitTimestamp") or 0))
            if header.get("changeType") == _OVERFLOW:
                items += await self._resync(str(header["entityName"]), last_commit, "overflow")
                continue
            for change in self._changes(schema.full, header, first_seen):
                items.append(change_item(self._tenant, consumer_event.replay_id, change))
        if items:
            count_accepted(self._tenant, items, await self._storage.enqueue(QUEUE, items))
            self._on_accepted()
        last = response.events[-1].replay_id
        await self._storage.set_checkpoint(self._tenant, _LAST_COMMIT_CHECKPOINT,
                                           str(newest).encode())
        await self._storage.set_checkpoint(self._tenant, _REPLAY_CHECKPOINT, last)
        log.info("change_events_taken", tenant=self._tenant, events=len(response.events),
                 records=len(items))

    def _changes(self, schema: dict[str, Any], header: dict[str, Any],
                 first_seen: int) -> list[RecordChange]:
        origin = str(header.get("changeOrigin") or "")
        if f"client={self._client_tag}" in origin.split(";"):
            return []  # our own write coming back: never echo it to Regal
        if int(header.get("commitTimestamp") or 0) < first_seen:
            return []
        changed = field_names_from_bitmaps(schema, header.get("changedFields") or [])
        nulled = field_names_from_bitmaps(schema, header.get("nulledFields") or [])
        fields = tuple(dict.fromkeys([*changed, *nulled]))
        return [RecordChange(str(header["entityName"]), str(header["changeType"]), record_id,
                             fields, int(header.get("commitTimestamp") or 0))
                for record_id in header.get("recordIds") or []]

    async def _recover(self) -> None:
        """Queue what changed since the last commit taken, then restart the stream."""
        since = await self._last_commit_ms() or await self._first_seen_ms()
        log.warning("replay_id_expired", tenant=self._tenant, since_ms=since)
        _count(self._tenant, "replay_id_expired")
        items: list[QueueItem] = []
        for entity in sorted(await self._watched()) if self._watched else ():
            items += await self._resync(entity, since, "recovery")
        if items:
            count_accepted(self._tenant, items, await self._storage.enqueue(QUEUE, items))
            self._on_accepted()
        covered = max([since, *(json.loads(i.payload)["commit_timestamp_ms"] for i in items)])
        # Events committed before what the query saw are already queued.
        await self._storage.set_checkpoint(self._tenant, _START_CHECKPOINT,
                                           str(covered).encode())
        await self._storage.set_checkpoint(self._tenant, _REPLAY_CHECKPOINT, b"")
        log.info("replay_recovered", tenant=self._tenant, records=len(items),
                 resumes_after_ms=covered)

    async def _resync(self, entity: str, since_ms: int, source: str) -> list[QueueItem]:
        """Turn the entity's records modified since ``since_ms`` into inbox items."""
        if self._salesforce is None:
            log.error("resync_unavailable", tenant=self._tenant, entity=entity)
            return []
        found = await changed_since(self._salesforce, entity, since_ms)
        log.info("salesforce_resync", tenant=self._tenant, entity=entity, source=source,
                 since_ms=since_ms, records=len(found))
        _count(self._tenant, "salesforce_resync", len(found))
        return [resync_item(self._tenant, source, RecordChange(
                    entity, "GAP_CREATE" if r.created_ms > since_ms else "GAP_UPDATE",
                    r.record_id, (), r.modified_ms))
                for r in found]

    async def _last_commit_ms(self) -> int:
        stored = await self._storage.get_checkpoint(self._tenant, _LAST_COMMIT_CHECKPOINT)
        return int(stored.decode()) if stored else 0

    async def _schema(self, stub: pubsub_pb2_grpc.PubSubStub, token: SalesforceToken,
                      schema_id: str) -> EventSchema:
        if schema_id not in self._schemas:
            info = await stub.GetSchema(pubsub_pb2.SchemaRequest(schema_id=schema_id),
                                        metadata=_metadata(token))
            self._schemas[schema_id] = EventSchema.parse(json.loads(info.schema_json))
        return self._schemas[schema_id]

    async def _first_seen_ms(self) -> int:
        stored = await self._storage.get_checkpoint(self._tenant, _START_CHECKPOINT)
        if stored:
            return int(stored.decode())
        now = int(time.time() * 1000)
        await self._storage.compare_and_set_checkpoint(
            self._tenant, _START_CHECKPOINT, None, str(now).encode())
        stored = await self._storage.get_checkpoint(self._tenant, _START_CHECKPOINT)
        return int(stored.decode()) if stored else now


def _count(tenant: str, what: str, count: int = 1) -> None:
    metrics = current_metrics()
    if metrics is not None and count:
        metrics.event("in", tenant, what, count)


def _first_request(replay: bytes | None) -> pubsub_pb2.FetchRequest:
    if not replay:
        return pubsub_pb2.FetchRequest(topic_name=TOPIC, num_requested=BATCH,
                                       replay_preset=pubsub_pb2.EARLIEST)
    return pubsub_pb2.FetchRequest(topic_name=TOPIC, num_requested=BATCH,
                                   replay_preset=pubsub_pb2.CUSTOM, replay_id=replay)


def _metadata(token: SalesforceToken) -> tuple[tuple[str, str], ...]:
    return (("accesstoken", token.access_token), ("instanceurl", token.instance_url),
            ("tenantid", token.org_id))


async def _drain(requests: asyncio.Queue[pubsub_pb2.FetchRequest],
                 stop: asyncio.Event) -> AsyncIterator[pubsub_pb2.FetchRequest]:
    while not stop.is_set():
        yield await requests.get()


async def _until(call: Any, stopping: asyncio.Future[Any]) -> AsyncIterator[Any]:
    iterator = call.__aiter__()
    while True:
        nxt = asyncio.ensure_future(iterator.__anext__())
        done, _ = await asyncio.wait({nxt, stopping}, return_when=asyncio.FIRST_COMPLETED)
        if nxt not in done:
            nxt.cancel()
            return
        try:
            yield nxt.result()
        except StopAsyncIteration:
            return


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _error_code(error: grpc.aio.AioRpcError) -> str:
    for key, value in error.trailing_metadata() or ():
        if key == "error-code":
            return str(value)
    return ""
