"""Inbound: Regal webhooks through the suite to Salesforce, beside a naive loop."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import psutil
import requests
from simple_salesforce.api import Salesforce

from regalsync.bench.figures import Figures
from regalsync.bench.org_client import OrgClient, RegalInbox
from regalsync.bench.sampling import ProcessSampler, record_processes, wait_until_quiet
from regalsync.salesforce.soql import quote
from regalsync.suite.local_suite import LocalSuite, TenantSandbox

_CONCURRENCY = 20
_DEADLINE_SECONDS = 300


def seed_contacts(suite: LocalSuite, count: int) -> list[str]:
    """Create ``count`` Contacts with distinct phones; wait until Regal has them
    and the suite has finished what the seed set off."""
    tenant = suite.tenants[0]
    org = OrgClient(tenant.salesforce)
    inbox = RegalInbox(suite.regal["base_url"])
    phones = [_phone(i) for i in range(count)]
    for first in range(0, count, 200):
        org.create("Contact", [{"LastName": f"Inbound{i}", "Phone": phones[i]}
                               for i in range(first, min(first + 200, count))])
    seen = 0
    deadline = time.monotonic() + _DEADLINE_SECONDS
    while seen < count and time.monotonic() < deadline:
        seen += sum(1 for _, body in inbox.new_events()
                    if body.get("name") == "Salesforce Contact Created")
        time.sleep(0.2)
    org.close()
    inbox.close()
    # What the seed set off (profile updates, enrichment, our own writes
    # coming back as change events) must not be measured as inbound work.
    everyone = suite.supervisor.names()
    wait_until_quiet(lambda: {n: suite.supervisor.pid(n) for n in everyone})
    return phones


def run_inbound(suite: LocalSuite, phones: list[str], *, run_id: str,
                rate: float = 0.0) -> Figures:
    """Post one call.completed per phone, one per request; time acks and writes.

    With ``rate``, webhooks are offered at that many per second and each
    latency counts from the moment its webhook was due, so a slow answer
    that delays the next ones is counted against them too.
    """
    tenant = suite.tenants[0]
    org = OrgClient(tenant.salesforce)
    usage_before = org.api_usage()
    measured = Figures("regal-sync")
    everyone = suite.supervisor.names()
    with ProcessSampler(lambda: {n: suite.supervisor.pid(n) for n in everyone}) as sampler:
        started = time.time()
        measured.latencies_ms = asyncio.run(
            _post_webhooks(suite, tenant, phones, run_id, rate))
        acked = time.time()
        soql = ("SELECT COUNT() FROM Regal_Event__c "  # noqa: S608 - run_id is ours
                f"WHERE Event_Id__c LIKE '{run_id}%'")
        deadline = time.monotonic() + _DEADLINE_SECONDS
        applied = 0
        while applied < len(phones) and time.monotonic() < deadline:
            applied = org.count(soql)
            measured.progress.append((time.time() - started, applied))
            time.sleep(0.2)
        finished = time.time()
    measured.events = applied
    measured.seconds = finished - started
    record_processes(measured, sampler, suite.service_processes())
    measured.salesforce_api_calls = org.api_usage() - usage_before - org.calls
    measured.notes.append(
        f"regal-sync: {len(phones)} webhooks acknowledged at "
        f"{len(phones) / (acked - started):.0f}/s; latency = acknowledgement time")
    org.close()
    return measured


def run_naive(suite: LocalSuite, phones: list[str], *, run_id: str) -> Figures:
    """Apply the same events one at a time: one query and one write each."""
    tenant = suite.tenants[0]
    sf = _simple_salesforce(tenant)
    org = OrgClient(tenant.salesforce)
    usage_before = org.api_usage()
    me = psutil.Process()
    cpu_before = sum(me.cpu_times()[:2])
    naive = Figures("naive loop")
    started = time.time()
    for index, phone in enumerate(phones):
        began = time.perf_counter()
        soql = f"SELECT Id FROM Contact WHERE Phone = {quote(phone)} LIMIT 1"  # noqa: S608
        found = sf.query(soql)
        contact = found["records"][0]["Id"] if found["records"] else None
        sf.restful(f"sobjects/Regal_Event__c/Event_Id__c/{run_id}{index:020d}",
                   method="PATCH", json={"Event_Name__c": "call.completed",
                                         "Contact__c": contact, "Talk_Time__c": 30})
        naive.latencies_ms.append((time.perf_counter() - began) * 1000)
    naive.seconds = time.time() - started
    naive.events = len(phones)
    naive.cpu_seconds = sum(me.cpu_times()[:2]) - cpu_before
    naive.salesforce_api_calls = org.api_usage() - usage_before
    naive.notes.append("naive loop: latency = time to apply one event; CPU = the loop's process")
    org.close()
    return naive


async def _post_webhooks(suite: LocalSuite, tenant: TenantSandbox, phones: list[str],
                         run_id: str, rate: float) -> list[float]:
    # aiohttp's client: the load generator should spend little CPU of the
    # two cores it shares with the suite (httpx costs about 5x more here).
    url = suite.webhook_url(tenant.tenant)
    headers = {"X-Regal-Webhook-Token": tenant.webhook_token}
    # Paced, no webhook is held back: each goes when it is due.
    slots = asyncio.Semaphore(_CONCURRENCY if not rate else max(len(phones), 1))
    latencies: list[float] = []

    async def post(http: aiohttp.ClientSession, index: int, phone: str,
                   due: float | None) -> None:
        body = json.dumps(_call_completed(f"{run_id}{index:020d}", phone))
        async with slots:
            began = time.perf_counter() if due is None else due
            async with http.post(url, data=body, headers=headers) as answer:
                await answer.read()
            latencies.append((time.perf_counter() - began) * 1000)
        answer.raise_for_status()

    connector = aiohttp.TCPConnector(limit=_CONCURRENCY if not rate else 0)
    async with aiohttp.ClientSession(connector=connector) as http:
        if not rate:
            await asyncio.gather(*(post(http, i, p, None) for i, p in enumerate(phones)))
            return latencies
        started = time.perf_counter()
        posts = []
        for index, phone in enumerate(phones):
            due = started + index / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            posts.append(asyncio.create_task(post(http, index, phone, due)))
        await asyncio.gather(*posts)
    return latencies


def _call_completed(event_id: str, phone: str) -> dict[str, Any]:
    return {"userId": f"bench-{event_id}", "originalTimestamp": str(int(time.time())),
            "traits": {"phone": phone}, "name": "call.completed", "eventId": event_id,
            "eventSource": "Regal Voice",
            "properties": {"talk_time": 30, "disposition": "Connected",
                           "direction": "OUTBOUND", "agent_email": "agent@example.com"}}


def _simple_salesforce(tenant: TenantSandbox) -> Salesforce:
    facts = tenant.salesforce
    session = requests.Session()
    session.trust_env = False
    session.verify = facts["ca_bundle"]
    token = session.post(f"{facts['instance_url']}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": facts["client_id"],
        "client_secret": facts["client_secret"]}).json()["access_token"]
    return Salesforce(instance_url=facts["instance_url"], session_id=token, session=session)


def _phone(index: int) -> str:
    return f"(303) {500 + index // 10000:03d}-{index % 10000:04d}"
