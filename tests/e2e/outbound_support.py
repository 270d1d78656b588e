"""What the Salesforce -> Regal end-to-end tests share.

Each test module applies its own configuration to the demo tenant, then
makes changes in the Salesforce sandbox and reads what the Regal sandbox
accepted. Bodies are compared whole; only the timestamps regal-sync
takes from the commit are checked for shape and then set aside.
"""

from __future__ import annotations

import copy
import json
import re
import ssl
import time
from collections.abc import Callable
from typing import Any

import grpc
import httpx
import requests
import yaml
from simple_salesforce.api import Salesforce
from suite_harness import SuiteHandle, eventually

from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

TENANT = "demo"
# Processes cache a tenant for 5 s (regalsync.tenants.DEFAULT_TTL_SECONDS).
CACHE_SECONDS = 5.5
_ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def attribute(regal: str, salesforce: str, **extra: str) -> dict[str, str]:
    return {"regal": regal, "salesforce": salesforce, **extra}


def apply_configuration(suite: SuiteHandle, configuration: dict[str, Any],
                        **tenant: Any) -> None:
    """Replace the demo tenant's configuration and wait out the caches."""
    with grpc.insecure_channel(suite.endpoints["grpc"]["mapping"]) as channel:
        stub = mapping_pb2_grpc.MappingServiceStub(channel)
        current = stub.GetTenant(mapping_pb2.GetTenantRequest(tenant_id=TENANT), timeout=10)
        document = json.loads(current.document_json)
        document["configurations"] = [configuration]
        for key, value in tenant.items():
            document[key] = {**document.get(key, {}), **value}
        stub.ApplyConfiguration(mapping_pb2.ConfigurationDocument(
            text=yaml.safe_dump(document), source="e2e"), timeout=10)
    # The cache has no invalidation signal to await; its TTL is the bound.
    time.sleep(CACHE_SECONDS)


def configuration(desired: str, mappings: list[dict[str, Any]], **options: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "e2e", "active": True, "desired_objects": desired,
        "subscribed_by_default": {"voice": True, "sms": True, "email": False},
        "object_mappings": mappings,
    }
    base.update(copy.deepcopy(options))
    return base


SALES_REP = "sales.rep@example.com"


def user_salesforce(suite: SuiteHandle) -> Salesforce:
    """Return a client signed in as a sales rep, not regal-sync's integration user.

    Polling tells regal-sync's own writes by their author, so changes that
    stand for users' work must come from another user.
    """
    facts = json.loads((suite.suite.state_dir / "salesforce-sandbox"
                        / "salesforce-sandbox.json").read_text())
    admin = suite.salesforce()
    if not admin.query(f"SELECT Id FROM User WHERE Username = '{SALES_REP}'")["records"]:
        admin.User.create({"Username": SALES_REP, "LastName": "Rep", "Alias": "rep",
                           "Email": SALES_REP})
    session = requests.Session()
    session.trust_env = False
    session.verify = facts["ca_bundle"]
    redirect = "https://localhost/callback"
    answer = session.get(f"{facts['instance_url']}/services/oauth2/authorize", params={
        "response_type": "code", "client_id": facts["client_id"], "redirect_uri": redirect,
        "login_hint": SALES_REP, "code_challenge_method": "plain", "code_challenge": "x" * 43},
        allow_redirects=False)
    code = answer.headers["Location"].split("code=")[1].split("&")[0]
    token = session.post(f"{facts['instance_url']}/services/oauth2/token", data={
        "grant_type": "authorization_code", "code": code, "client_id": facts["client_id"],
        "redirect_uri": redirect, "code_verifier": "x" * 43}).json()
    return Salesforce(instance_url=facts["instance_url"], session_id=token["access_token"],
                      session=session)


def our_salesforce(suite: SuiteHandle) -> Salesforce:
    """Return a client whose writes carry regal-sync's own client id."""
    facts = suite.endpoints["salesforce"]
    session = requests.Session()
    session.trust_env = False
    session.verify = facts["ca_bundle"]
    session.headers["Sforce-Call-Options"] = "client=regalsync"
    return Salesforce(instance_url=facts["instance_url"], session_id=facts["access_token"],
                      session=session)


def sandbox_call(suite: SuiteHandle, method: str, path: str,
                 body: dict[str, Any] | None = None) -> Any:
    facts = suite.endpoints["salesforce"]
    response = httpx.request(method, f"{facts['instance_url']}{path}", json=body,
                             verify=ssl.create_default_context(cafile=facts["ca_bundle"]),
                             timeout=30)
    response.raise_for_status()
    return response.json()


def events_about(suite: SuiteHandle, key: str, value: str,
                 where: str = "traits") -> list[dict[str, Any]]:
    """Return accepted Regal bodies whose ``where``-level ``key`` is ``value``."""
    found = []
    for body in suite.regal_events():
        holder = body.get(where, {}) if where else body
        if isinstance(holder, dict) and holder.get(key) == value:
            found.append(body)
    return found


def wait_for_events(suite: SuiteHandle, probe: Callable[[], list[dict[str, Any]]],
                    count: int = 1, what: str = "Regal events",
                    timeout: float = 30.0) -> list[dict[str, Any]]:
    return eventually(lambda: (found if len(found := probe()) >= count else None),
                      what=what, timeout=timeout)


def settled(suite: SuiteHandle, probe: Callable[[], list[dict[str, Any]]],
            marker: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return ``probe()`` once a later marker event has arrived.

    Proving that something was *not* sent needs an event known to come
    after it: the pipeline keeps order per record, so a marker change to
    the same record, once seen, means the earlier change was handled.
    """
    wait_for_events(suite, marker, what="marker event")
    return probe()


def regal_profile(suite: SuiteHandle, **query: str) -> dict[str, Any]:
    """Return the one Regal profile found by ``phone=``, ``email=`` or ``userId=``."""
    response = httpx.get(f"{suite.endpoints['regal']['base_url']}/sandbox/profiles",
                         params=query, timeout=10)
    response.raise_for_status()
    [profile] = response.json()["profiles"]
    found: dict[str, Any] = profile
    return found


def without_timestamps(body: dict[str, Any]) -> dict[str, Any]:
    """Check the commit timestamps' shape and drop them from a copy."""
    copied = copy.deepcopy(body)
    stamp = copied.pop("originalTimestamp")
    assert _ISO_MS.match(stamp), stamp
    for entry in copied.get("traits", {}).get("optIn", []):
        assert entry.pop("timestamp") == stamp
    return copied
