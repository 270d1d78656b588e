"""The narrated demo: one change each way through the running suite."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import requests
from simple_salesforce.api import Salesforce

from regalsync.salesforce.soql import quote

T = TypeVar("T")
_STEP_TIMEOUT = 30.0


async def run_scenario(endpoints: dict[str, Any], say: Callable[[str], None]) -> bool:
    """Create a Lead in Salesforce and complete a call in Regal; report each step."""
    sf = _salesforce(endpoints["salesforce"])
    regal = endpoints["regal"]
    phone = f"(555) {int(time.time()) % 900 + 100:03d}-{int(time.time() * 7) % 10000:04d}"
    say("1. Creating a Lead in Salesforce ...")
    lead = {"FirstName": "Dana", "LastName": "Demo", "Company": "Demo Co", "Phone": phone}
    created = await asyncio.to_thread(
        lambda: sf.restful("sobjects/Lead", method="POST", json=lead))
    lead_id = str((created or {})["id"])
    event = await _eventually(lambda: _regal_event(regal, "Salesforce Lead Created", lead_id))
    if event is None:
        say("   x Regal did not receive 'Salesforce Lead Created'")
        return False
    say(f"   ok Regal received 'Salesforce Lead Created' for {lead_id}")

    say("2. Completing a call in Regal for that phone ...")
    async with httpx.AsyncClient() as http:
        answer = await http.post(f"{regal['base_url']}/sandbox/trigger", json={
            "api_key": regal["api_key"], "event_type": "call.completed",
            "profile": {"phone": event["traits"]["phone"]}})
    if answer.status_code != 200:
        say(f"   x the Regal sandbox refused the trigger: HTTP {answer.status_code}")
        return False
    soql = ("SELECT Id, Event_Name__c FROM Regal_Event__c "  # noqa: S608 - quoted
            f"WHERE Lead__c = {quote(lead_id)}")
    found = await _eventually(lambda: _first(sf, soql))
    if found is None:
        say("   x no Regal event record reached the Lead in Salesforce")
        return False
    say(f"   ok Salesforce stored '{found['Event_Name__c']}' on the Lead ({found['Id']})")
    return True


def _salesforce(facts: dict[str, Any]) -> Salesforce:
    session = requests.Session()
    session.trust_env = False
    session.verify = facts["ca_bundle"]
    return Salesforce(instance_url=facts["instance_url"], session_id=facts["access_token"],
                      session=session)


async def _regal_event(regal: dict[str, Any], name: str, record_id: str) -> Any:
    async with httpx.AsyncClient() as http:
        events = (await http.get(f"{regal['base_url']}/sandbox/events")).json()["events"]
    for received in events:
        body = received["body"]
        if body.get("name") == name and record_id in str(body.get("traits", {})):
            return body
    return None


async def _first(sf: Salesforce, soql: str) -> Any:
    result = await asyncio.to_thread(sf.query, soql)
    return result["records"][0] if result["records"] else None


async def _eventually(probe: Callable[[], Awaitable[T | None]]) -> T | None:
    deadline = time.monotonic() + _STEP_TIMEOUT
    while time.monotonic() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.25)
    return None
