"""Specify how change intake recovers when change events cannot carry on (SPEC O1).

The Salesforce sandbox runs in-process with its Pub/Sub server; the
subscription, storage and Salesforce client are the real ones. Tokens
live 30 days here, so moving the sandbox clock past the 72 h retention
expires events but not the session.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from ingress_gateway.change_intake import TenantSubscription
from ingress_gateway.inbox import QUEUE
from regalsync.salesforce import SalesforceClient
from regalsync.salesforce.auth import OAuthCredentials, TokenProvider
from regalsync.storage import Storage, open_storage
from sandbox.salesforce.app import RunningSandbox, running_sandbox
from sandbox.salesforce.context import SandboxConfig

RETENTION_SECONDS = 72 * 3600


@dataclass
class Org:
    sandbox: RunningSandbox
    storage: Storage
    tokens: TokenProvider
    ours: SalesforceClient
    users: SalesforceClient
    taken: dict[str, dict[str, Any]]
    accepted: asyncio.Event

    async def create(self, **fields: Any) -> str:
        [result] = await self.users.collection(
            "POST", [{"attributes": {"type": "Contact"}, **fields}])
        return str(result["id"])

    async def update(self, record_id: str, **fields: Any) -> None:
        await self.users.collection(
            "PATCH", [{"attributes": {"type": "Contact"}, "Id": record_id, **fields}])

    async def inbox(self) -> dict[str, dict[str, Any]]:
        """Return every inbox item taken so far, by idempotency key."""
        items = await self.storage.claim(QUEUE, worker="test", limit=500, lease_seconds=60)
        for item in items:
            self.taken[item.idempotency_key] = json.loads(item.payload)
        # Acknowledged, the next item of the same record becomes claimable.
        await self.storage.ack(QUEUE, [item.id for item in items])
        return self.taken

    async def until(self, found: Callable[[dict[str, dict[str, Any]]], bool]) -> None:
        """Wait, woken by each inbox write, until ``found`` holds for what was taken."""
        async with asyncio.timeout(20):
            while True:
                self.accepted.clear()
                if found(await self.inbox()):
                    return
                await self.accepted.wait()


def client(tokens: TokenProvider, ca_bundle: str, tag: str) -> SalesforceClient:
    return SalesforceClient(tokens, executor=ThreadPoolExecutor(2), ca_bundle=ca_bundle,
                            call_options_client=tag)


@pytest.fixture
async def org(tmp_path: Path) -> AsyncIterator[Org]:
    config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=0,
                           token_ttl_seconds=30 * 24 * 3600)
    async with running_sandbox(config) as sandbox:
        info = sandbox.info
        tokens = TokenProvider(OAuthCredentials(
            login_url=info.instance_url, flow="client_credentials",
            client_id=info.client_id, client_secret=info.client_secret),
            ca_bundle=info.ca_bundle)
        storage = await open_storage(f"sqlite:///{tmp_path}/regalsync.db")
        try:
            yield Org(sandbox, storage, tokens, client(tokens, info.ca_bundle, "regalsync"),
                      client(tokens, info.ca_bundle, "a-user"), {}, asyncio.Event())
        finally:
            await storage.close()


async def watched() -> frozenset[str]:
    return frozenset({"Contact"})


async def subscribed(org: Org) -> tuple[asyncio.Event, asyncio.Task[None]]:
    info = org.sandbox.info
    assert info.pubsub_address is not None
    roots = await asyncio.to_thread(Path(info.ca_bundle).read_bytes)
    subscription = TenantSubscription(
        "acme", org.storage, org.tokens, address=info.pubsub_address,
        root_certificates=roots, holder="ingress-test", client_tag="regalsync",
        on_accepted=org.accepted.set, salesforce=org.ours, watched=watched)
    stop = asyncio.Event()
    task = asyncio.create_task(subscription.run(stop))
    async with asyncio.timeout(10):
        # The subscription exposes a flag, not an event, for going live.
        while not subscription.live:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
    return stop, task


def about(taken: dict[str, dict[str, Any]], record_id: str) -> list[dict[str, Any]]:
    return [body for body in taken.values() if body["record_id"] == record_id]


class TestExpiredReplayId:
    async def test_changes_past_retention_are_queried_then_the_stream_resumes(
            self, org: Org) -> None:
        """Records changed while the replay id expired are queued, then live events flow."""
        stop, task = await subscribed(org)
        kept = await org.create(LastName="Before", Phone="2025550303")
        await org.until(lambda taken: bool(about(taken, kept)))
        stop.set()
        await task

        org.sandbox.state.clock.advance(RETENTION_SECONDS + 3600)
        await org.update(kept, Title="while away")
        created = await org.create(LastName="Away")
        with capture_logs() as logs:
            stop, task = await subscribed(org)
            await org.until(lambda taken: len(about(taken, kept)) >= 2
                            and bool(about(taken, created)))
            live = await org.create(LastName="Live")
            await org.until(lambda taken: bool(about(taken, live)))
        stop.set()
        await task

        assert [b.get("source") for b in about(org.taken, kept)][1] == "recovery"
        assert about(org.taken, created)[0]["source"] == "recovery"
        assert about(org.taken, live)[0].get("source") is None
        events = [entry["event"] for entry in logs]
        assert "replay_id_expired" in events and "replay_recovered" in events


class TestOverflow:
    async def test_overflow_queues_what_changed_since_the_last_commit(
            self, org: Org) -> None:
        """A GAP_OVERFLOW names no records: the object's recent changes are queried."""
        stop, task = await subscribed(org)
        first = await org.create(LastName="First")
        await org.until(lambda taken: bool(about(taken, first)))
        await org.ours.collection("PATCH", [{"attributes": {"type": "Contact"},
                                             "Id": first, "Title": "quiet"}])
        assert org.sandbox.state.bus is not None
        org.sandbox.state.bus.emit_overflow("Contact")
        await org.until(lambda taken: len(about(taken, first)) >= 2)
        stop.set()
        await task

        resynced = about(org.taken, first)[1]
        assert resynced["source"] == "overflow"
        assert resynced["change_type"] == "GAP_UPDATE"

    async def test_our_own_writes_are_not_taken(self, org: Org) -> None:
        """A change written with regal-sync's client id never enters the inbox (O9)."""
        stop, task = await subscribed(org)
        mine = await org.create(LastName="Mine")
        await org.until(lambda taken: bool(about(taken, mine)))
        await org.ours.collection("PATCH", [{"attributes": {"type": "Contact"},
                                             "Id": mine, "Department": "ours"}])
        await org.update(mine, Title="theirs")
        await org.until(lambda taken: len(about(taken, mine)) >= 2)
        stop.set()
        await task

        second = about(org.taken, mine)[1]["changed_fields"]
        assert "Title" in second and "Department" not in second
        assert len(about(org.taken, mine)) == 2
