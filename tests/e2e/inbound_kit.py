"""What the Regal -> Salesforce end-to-end tests share: tenants, webhooks, logs."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from suite_harness import SuiteHandle, eventually

from regalsync.channels import make_channel
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

DEMO_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "demo-tenant.yaml"


def new_event_id() -> str:
    """Return a fresh Regal-style event id."""
    return uuid.uuid4().hex


def apply_tenant(suite: SuiteHandle, tenant: str, **options: Any) -> None:
    """Apply the demo tenant's document under another id, with options changed."""
    document: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text())
    sf = suite.endpoints["salesforce"]
    document["tenant"] = tenant
    document["salesforce"]["login_url"] = sf["instance_url"]
    document["regal"]["events_url"] = suite.endpoints["regal"]["base_url"] + "/events"
    config = document["configurations"][0]
    mappings = options.pop("object_mappings", None)
    config.update(options)
    if mappings is not None:
        config["object_mappings"] = mappings
    suite.run(_apply(suite.endpoints["grpc"]["mapping"], yaml.safe_dump(document)))


async def _apply(address: str, text: str) -> None:
    channel: Any = make_channel(address, service_names=["regalsync.mapping.v1.MappingService"],
                                timeout_seconds=10)
    async with channel:
        await mapping_pb2_grpc.MappingServiceStub(channel).ApplyConfiguration(
            mapping_pb2.ConfigurationDocument(text=text, source="inbound e2e"))
    await asyncio.sleep(0)


def post_events(suite: SuiteHandle, tenant: str, events: list[dict[str, Any]]) -> httpx.Response:
    """POST a batch of webhook events to a tenant's endpoint."""
    ingress = suite.endpoints["ingress"]
    url = f"{ingress['base_url']}/v1/tenants/{tenant}/regal/webhooks"
    response = httpx.post(url, json=events, headers=ingress["regal_webhook_headers"],
                          timeout=30)
    response.raise_for_status()
    return response


def log_lines(suite: SuiteHandle, process: str, event: str) -> list[dict[str, Any]]:
    """Return a process's JSON log lines for one event name."""
    path = suite.suite.supervisor.log_path(process)
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            line = json.loads(raw)
        except ValueError:
            continue
        if isinstance(line, dict) and line.get("event") == event:
            lines.append(line)
    return lines


def decision_of(suite: SuiteHandle, event_id: str, *, timeout: float = 30) -> dict[str, Any]:
    """Wait for the matcher's logged decision about one Regal event."""
    key = f"regal:{event_id}"
    return eventually(
        lambda: next((d for d in log_lines(suite, "matcher-service", "match_decided")
                      if d.get("event_key") == key), None),
        timeout=timeout, what=f"decision for {key}")


def event_records(suite: SuiteHandle, event_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the Regal_Event__c records stored for the given event ids."""
    sf = suite.salesforce()
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(event_ids), 100):
        quoted = ", ".join(f"'{i}'" for i in event_ids[start:start + 100])
        rows = sf.query_all(
            "SELECT Id, Event_Id__c, Event_Name__c, Contact__c, Lead__c, Account__c, "
            "Talk_Time__c, SMS_Content__c FROM Regal_Event__c "
            f"WHERE Event_Id__c IN ({quoted})")["records"]
        found.update((r["Event_Id__c"], r) for r in rows)
    return found


def wait_for_event_records(suite: SuiteHandle, event_ids: list[str],
                           timeout: float = 60) -> dict[str, dict[str, Any]]:
    """Wait until every event id has its event record; return them."""
    return eventually(
        lambda: (found if len(found := event_records(suite, event_ids)) == len(event_ids)
                 else None),
        timeout=timeout, what=f"{len(event_ids)} event records")


def call_completed(event_id: str, *, phone: str | None = None, email: str | None = None,
                   user_id: str | None = None, **traits: str) -> dict[str, Any]:
    """Build a call.completed webhook body with the identifiers given."""
    body_traits: dict[str, Any] = dict(traits)
    if phone is not None:
        body_traits["phone"] = phone
    if email is not None:
        body_traits["email"] = email
    body: dict[str, Any] = {
        "name": "call.completed", "eventId": event_id, "eventSource": "Regal Voice",
        "originalTimestamp": "1718805229", "traits": body_traits,
        "properties": {"talk_time": 42, "disposition": "Interested", "direction": "OUTBOUND",
                       "agent_email": "nobody@example.com"}}
    if user_id is not None:
        body["userId"] = user_id
    return body


def demo_mappings_with_user_id() -> list[dict[str, Any]]:
    """Return the demo mappings with userId mapped to Title on Lead and Contact."""
    document = yaml.safe_load(DEMO_CONFIG.read_text())
    mappings: list[dict[str, Any]] = document["configurations"][0]["object_mappings"]
    for mapping in mappings:
        if mapping["object"] in ("Lead", "Contact"):
            mapping["attributes"].append(
                {"regal": "userId", "salesforce": "Title", "direction": "to_regal"})
            mapping["attributes"] = [a for a in mapping["attributes"]
                                     if a["regal"] != "traits.title"]
    return mappings
