"""Writes made through simple-salesforce, seen by a Pub/Sub API client.

The whole sandbox runs as a user meets it: REST writes with
simple-salesforce over HTTPS, change events read with a client generated
from the project's Pub/Sub proto over TLS, decoded with the schema that
GetSchema returns.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastavro
import grpc
import pytest
from sf_harness import background_sandbox, client, get_token

from regalsync.contracts.eventbus.v1 import pubsub_pb2, pubsub_pb2_grpc
from regalsync.pubsub.bitmaps import field_names_from_bitmaps
from sandbox.salesforce.app import RunningSandbox
from sandbox.salesforce.context import SandboxConfig

TOPIC = "/data/ChangeEvents"


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    config = SandboxConfig(state_dir=tmp_path_factory.mktemp("cdc-org"), port=0, pubsub_port=0)
    with background_sandbox(config) as running:
        yield running


def _read_events(org: RunningSandbox, count: int) -> list[dict[str, Any]]:
    """Subscribe from the earliest event and decode the first ``count``."""
    info = org.info
    assert info.pubsub_address is not None
    metadata = (("accesstoken", get_token(org)), ("instanceurl", info.instance_url),
                ("tenantid", info.org_id))
    credentials = grpc.ssl_channel_credentials(Path(info.ca_bundle).read_bytes())
    with grpc.secure_channel(info.pubsub_address, credentials) as channel:
        stub = pubsub_pb2_grpc.PubSubStub(channel)
        request = pubsub_pb2.FetchRequest(topic_name=TOPIC, num_requested=100,
                                          replay_preset=pubsub_pb2.EARLIEST)
        stream = stub.Subscribe(iter([request]), metadata=metadata, timeout=10)
        decoded: list[dict[str, Any]] = []
        schemas: dict[str, Any] = {}
        for response in stream:
            for consumer_event in response.events:
                event = consumer_event.event
                if event.schema_id not in schemas:
                    info_json = stub.GetSchema(
                        pubsub_pb2.SchemaRequest(schema_id=event.schema_id),
                        metadata=metadata).schema_json
                    schemas[event.schema_id] = fastavro.parse_schema(json.loads(info_json))
                schema = schemas[event.schema_id]
                record = fastavro.schemaless_reader(io.BytesIO(event.payload), schema)
                header = record["ChangeEventHeader"]
                header["changed"] = field_names_from_bitmaps(
                    schema, header["changedFields"] or [])
                decoded.append({"header": header, "record": record})
            if len(decoded) >= count:
                stream.cancel()
                return decoded
    return decoded


def test_rest_update_arrives_with_compound_field_names(org: RunningSandbox) -> None:
    """An Account's BillingCity change decodes to BillingAddress.City."""
    sf = client(org, headers={"Sforce-Call-Options": "client=rest-test"})
    account_id = sf.Account.create({"Name": "Acme"})["id"]
    sf.Account.update(account_id, {"BillingCity": "Camden", "Phone": "8565597961"})

    events = [e for e in _read_events(org, 2)
              if account_id in e["header"]["recordIds"]]

    created, updated = events
    assert created["header"]["changeType"] == "CREATE"
    assert updated["header"]["changeType"] == "UPDATE"
    assert "BillingAddress.City" in updated["header"]["changed"]
    assert "Phone" in updated["header"]["changed"]
    assert updated["record"]["BillingAddress"]["City"] == "Camden"
    assert updated["header"]["changeOrigin"].endswith(";client=rest-test")


def test_search_finds_a_phone_typed_in_any_format(org: RunningSandbox) -> None:
    """SOSL IN PHONE FIELDS finds (856) 559-7962 from its bare digits."""
    sf = client(org)
    contact_id = sf.Contact.create({"LastName": "Formats", "Phone": "(856) 559-7962"})["id"]

    found = sf.search("FIND {8565597962} IN PHONE FIELDS RETURNING Contact(Id)")

    assert [r["Id"] for r in found["searchRecords"]] == [contact_id]


def test_quote_in_a_literal_cannot_widen_a_query(org: RunningSandbox) -> None:
    """An escaped quote stays inside the literal; an unescaped one is an error."""
    sf = client(org)
    sf.Contact.create({"LastName": "Victim", "Email": "victim@example.com"})
    hostile = "x\\' OR LastName != \\'"

    escaped = sf.query(f"SELECT Id FROM Contact WHERE Email = '{hostile}'")

    assert escaped["totalSize"] == 0
