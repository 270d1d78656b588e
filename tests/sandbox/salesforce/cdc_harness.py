"""A running change-event bus and Pub/Sub server, seen through a real client.

Tests feed the bus hand-made Transactions (as the record store would) and
observe only what a Pub/Sub API client generated from the project's proto
sees over TLS.
"""

from __future__ import annotations

import asyncio
import io
import json
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastavro
import grpc

from regalsync.contracts.eventbus.v1 import pubsub_pb2, pubsub_pb2_grpc
from sandbox.salesforce.cdc import ChangeEventBus, field_names_from_bitmaps, start_pubsub_server
from sandbox.salesforce.changes import RecordChange, Transaction
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.tls import ensure_tls

ORG_ID = "00D5e000000AbCdEAK"
TOKEN = "00D5e000000AbCdEAK!sandbox-session"
INSTANCE_URL = "https://127.0.0.1:8443"
USER_ID = "0055e000001AbCdAAK"
AUTH = (("accesstoken", TOKEN), ("instanceurl", INSTANCE_URL), ("tenantid", ORG_ID))
WAIT_SECONDS = 5.0


def org_objects() -> dict[str, ObjectSchema]:
    """Describe a small org: Account with a billing address, Contact, Lead."""
    account = _object("Account", "001", [
        FieldSchema("Id", "id", createable=False, updateable=False),
        FieldSchema("IsDeleted", "boolean", createable=False, updateable=False),
        FieldSchema("Name", "string", length=255),
        FieldSchema("Type", "picklist"),
        FieldSchema("BillingStreet", "textarea", compound_parent="BillingAddress"),
        FieldSchema("BillingCity", "string", compound_parent="BillingAddress"),
        FieldSchema("BillingState", "string", compound_parent="BillingAddress"),
        FieldSchema("BillingPostalCode", "string", compound_parent="BillingAddress"),
        FieldSchema("BillingCountry", "string", compound_parent="BillingAddress"),
        FieldSchema("BillingAddress", "address", createable=False, updateable=False),
        FieldSchema("AnnualRevenue", "currency"),
        FieldSchema("NumberOfEmployees", "int"),
        FieldSchema("IsPersonAccount", "boolean", createable=False, updateable=False),
        FieldSchema("PersonEmail", "email"),
        FieldSchema("Health_Score__c", "double", calculated=True, formula="1"),
        FieldSchema("LastModifiedDate", "datetime", createable=False, updateable=False),
        FieldSchema("SystemModstamp", "datetime", createable=False, updateable=False),
    ])
    contact = _object("Contact", "003", [
        FieldSchema("Id", "id", createable=False, updateable=False),
        FieldSchema("AccountId", "reference", reference_to=("Account",)),
        FieldSchema("FirstName", "string"),
        FieldSchema("LastName", "string"),
        FieldSchema("Email", "email"),
        FieldSchema("MobilePhone", "phone"),
        FieldSchema("Birthdate", "date"),
        FieldSchema("SMS_Opt_In__c", "boolean"),
    ])
    lead = _object("Lead", "00Q", [
        FieldSchema("Id", "id", createable=False, updateable=False),
        FieldSchema("LastName", "string"),
        FieldSchema("Company", "string"),
        FieldSchema("Phone", "phone"),
        FieldSchema("IsConverted", "boolean"),
        FieldSchema("ConvertedAccountId", "reference", reference_to=("Account",)),
        FieldSchema("ConvertedContactId", "reference", reference_to=("Contact",)),
        FieldSchema("ConvertedDate", "date"),
    ])
    invoice = _object("Invoice__c", "a01", [
        FieldSchema("Id", "id", createable=False, updateable=False),
        FieldSchema("Amount__c", "currency"),
    ])
    invoice.custom = True
    comment = _object("CaseComment", "00a", [
        FieldSchema("Id", "id", createable=False, updateable=False),
        FieldSchema("CommentBody", "textarea"),
    ])
    comment.change_events = False

    return {o.name: o for o in (account, contact, lead, invoice, comment)}


def _object(name: str, prefix: str, fields: Iterable[FieldSchema]) -> ObjectSchema:
    obj = ObjectSchema(name=name, label=name, label_plural=name + "s", key_prefix=prefix)
    for f in fields:
        obj.add(f)
    return obj


class FakeClock:
    """The sandbox clock: epoch seconds that tests move forward."""

    def __init__(self) -> None:
        self.now = 1_717_200_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def change(
    entity: str,
    change_type: str,
    record_id: str,
    values: dict[str, Any] | None = None,
    nulled: tuple[str, ...] = (),
) -> RecordChange:
    """Describe one record's change as the record store reports it."""
    values = values or {}
    return RecordChange(
        entity=entity, change_type=change_type, record_id=record_id,
        values=values, changed_fields=tuple(values), nulled_fields=nulled,
    )


def transaction(
    *changes: RecordChange, client: str = "regal-sync", commit_number: int = 1,
) -> Transaction:
    """Wrap changes in one committed transaction made through the REST API."""
    return Transaction(
        transaction_key=str(uuid.uuid4()),
        commit_timestamp_ms=1_717_200_000_123,
        commit_number=commit_number,
        commit_user=USER_ID,
        change_origin=f"com/salesforce/api/rest/59.0;client={client}",
        changes=changes,
    )


@dataclass
class Stream:
    """A client's Subscribe call: it writes FetchRequests, reads responses."""

    call: Any

    async def request(self, num_requested: int) -> None:
        await self.call.write(pubsub_pb2.FetchRequest(num_requested=num_requested))

    async def next_response(self) -> pubsub_pb2.FetchResponse:
        async with asyncio.timeout(WAIT_SECONDS):
            response = await self.call.read()
        assert response is not grpc.aio.EOF, "the server ended the stream"
        return response

    async def events(self, count: int) -> list[pubsub_pb2.ConsumerEvent]:
        """Read responses until ``count`` events arrived, skipping keepalives."""
        received: list[pubsub_pb2.ConsumerEvent] = []
        while len(received) < count:
            received.extend((await self.next_response()).events)
        assert len(received) == count, "the server sent more events than expected"
        return received

    async def keepalive(self) -> pubsub_pb2.FetchResponse:
        """Read the next response and insist it carries no events."""
        response = await self.next_response()
        assert not response.events, "expected a keepalive, got events"
        return response


@dataclass
class Org:
    """The sandbox org's change data capture, as a Pub/Sub client sees it."""

    bus: ChangeEventBus
    clock: FakeClock
    stub: pubsub_pb2_grpc.PubSubStub
    _schemas: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def subscribe(
        self,
        topic: str,
        preset: int = pubsub_pb2.LATEST,
        replay_id: bytes = b"",
        num_requested: int = 100,
        metadata: tuple[tuple[str, str], ...] = AUTH,
    ) -> Stream:
        call = self.stub.Subscribe(metadata=metadata)
        await call.write(pubsub_pb2.FetchRequest(
            topic_name=topic, replay_preset=preset, replay_id=replay_id,
            num_requested=num_requested,
        ))
        return Stream(call)

    async def schema(self, schema_id: str) -> dict[str, Any]:
        """Fetch (once) and parse the schema JSON GetSchema answers."""
        if schema_id not in self._schemas:
            info = await self.stub.GetSchema(
                pubsub_pb2.SchemaRequest(schema_id=schema_id), metadata=AUTH,
            )
            self._schemas[schema_id] = json.loads(info.schema_json)
        return self._schemas[schema_id]

    async def decode(self, event: pubsub_pb2.ConsumerEvent) -> dict[str, Any]:
        """Decode an event's Avro payload with the schema it names."""
        schema = await self.schema(event.event.schema_id)
        parsed = fastavro.parse_schema(schema)
        return fastavro.schemaless_reader(io.BytesIO(event.event.payload), parsed, None)

    async def field_names(self, event: pubsub_pb2.ConsumerEvent, bitmap_field: str) -> list[str]:
        """Turn one of the header's bitmap lists into field names."""
        decoded = await self.decode(event)
        bitmaps = decoded["ChangeEventHeader"][bitmap_field]
        return field_names_from_bitmaps(await self.schema(event.event.schema_id), bitmaps)


def error_code(error: grpc.aio.AioRpcError) -> str | None:
    """Return the ``error-code`` trailer of a failed call."""
    for key, value in error.trailing_metadata() or ():
        if key == "error-code":
            return str(value)
    return None


@asynccontextmanager
async def running_org(
    state_dir: Path, *, keepalive_seconds: float = 30.0, retention_seconds: float = 3600.0,
) -> AsyncIterator[Org]:
    """Run a bus and a TLS Pub/Sub server on port 0; connect a client."""
    clock = FakeClock()
    bus = ChangeEventBus(
        org_objects(), org_id=ORG_ID, clock=clock, retention_seconds=retention_seconds,
    )
    tls = ensure_tls(state_dir)
    server, port = await start_pubsub_server(
        bus, authenticate=lambda token, _url, org: (token, org) == (TOKEN, ORG_ID),
        host="127.0.0.1", port=0, tls=tls, keepalive_seconds=keepalive_seconds,
    )
    credentials = grpc.ssl_channel_credentials(root_certificates=tls.ca_cert.read_bytes())
    channel = grpc.aio.secure_channel(f"127.0.0.1:{port}", credentials)
    try:
        yield Org(bus, clock, pubsub_pb2_grpc.PubSubStub(channel))
    finally:
        await channel.close()
        await server.stop(grace=None)
