"""Connecting an org through the OAuth web-server flow (SPEC C8), end to end.

The tests follow one tenant's life in order: not connected, connected
through the ingress, working on the stored token, refreshed after its
access token expires, revoked, and connected again without losing the
event that waited meanwhile.
"""

from __future__ import annotations

import json
import sqlite3
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import requests
import yaml
from cryptography.fernet import Fernet
from inbound_kit import DEMO_CONFIG, call_completed, new_event_id
from simple_salesforce.api import Salesforce
from suite_harness import SuiteHandle, eventually, running_suite

from regalsync.channels import make_channel
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc

pytestmark = pytest.mark.e2e

TENANT = "oauthco"
ADMIN_TOKEN = "connect-admin-token"
TOKEN_KEY = Fernet.generate_key().decode()
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SuiteHandle]:
    with running_suite(tmp_path_factory.mktemp("oauth"), REGALSYNC_TOKEN_KEY=TOKEN_KEY,
                       REGALSYNC_ADMIN_TOKEN=ADMIN_TOKEN) as handle:
        apply_stored_token_tenant(handle)
        yield handle


def org_facts(suite: SuiteHandle) -> dict[str, Any]:
    path = suite.suite.state_dir / "salesforce-sandbox" / "salesforce-sandbox.json"
    facts: dict[str, Any] = json.loads(path.read_text())
    return facts


def apply_stored_token_tenant(suite: SuiteHandle) -> None:
    """Apply the demo document as TENANT, authenticating with the stored token."""
    facts = org_facts(suite)
    document: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text())
    document["tenant"] = TENANT
    document["salesforce"]["login_url"] = facts["instance_url"]
    document["salesforce"]["pubsub_address"] = facts["pubsub_address"]
    document["salesforce"]["auth"] = {"flow": "refresh_token",
                                      "client_id": "${DEMO_SF_CLIENT_ID}",
                                      "refresh_token": "${stored}"}
    document["regal"]["events_url"] = suite.endpoints["regal"]["base_url"] + "/events"
    suite.run(_apply(suite.endpoints["grpc"]["mapping"], yaml.safe_dump(document)))


async def _apply(address: str, text: str) -> None:
    channel: Any = make_channel(address, service_names=["regalsync.mapping.v1.MappingService"],
                                timeout_seconds=10)
    async with channel:
        await mapping_pb2_grpc.MappingServiceStub(channel).ApplyConfiguration(
            mapping_pb2.ConfigurationDocument(text=text, source="oauth e2e"),
            metadata=(("authorization", f"Bearer {ADMIN_TOKEN}"),))


def ingress(suite: SuiteHandle, path: str, **kwargs: Any) -> httpx.Response:
    return httpx.get(suite.endpoints["ingress"]["base_url"] + path, timeout=30, **kwargs)


def connection_status(suite: SuiteHandle) -> dict[str, Any]:
    response = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/status", headers=ADMIN)
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


def org(suite: SuiteHandle, method: str, path: str, **kwargs: Any) -> httpx.Response:
    facts = org_facts(suite)
    return httpx.request(method, facts["instance_url"] + path, timeout=30,
                         verify=ssl.create_default_context(cafile=facts["ca_bundle"]),
                         **kwargs)


def connect(suite: SuiteHandle) -> httpx.Response:
    """Run the flow as a browser would: ingress, authorize page, callback."""
    start = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/connect", headers=ADMIN)
    assert start.status_code == 302, start.text
    authorize = urlsplit(start.headers["Location"])
    approved = org(suite, "GET", f"{authorize.path}?{authorize.query}")
    assert approved.status_code == 302, approved.text
    callback = urlsplit(approved.headers["Location"])
    return ingress(suite, f"{callback.path}?{callback.query}")


def stored_connection(suite: SuiteHandle) -> bytes:
    database = suite.suite.state_dir / "regalsync.db"
    with sqlite3.connect(database) as db:
        row = db.execute("SELECT value FROM checkpoints WHERE tenant = ? AND name = ?",
                         (TENANT, "salesforce_connection")).fetchone()
    return bytes(row[0])


def stored_refresh_token(suite: SuiteHandle) -> str:
    sealed = json.loads(stored_connection(suite))["sealed_token"]
    return Fernet(TOKEN_KEY).decrypt(sealed.encode()).decode()


def reader(suite: SuiteHandle) -> Salesforce:
    """Return a client on a fresh token of the test's own."""
    facts = org_facts(suite)
    token = org(suite, "POST", "/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": facts["client_id"],
        "client_secret": facts["client_secret"]}).json()["access_token"]
    session = requests.Session()
    session.trust_env = False
    session.verify = facts["ca_bundle"]
    return Salesforce(instance_url=facts["instance_url"], session_id=token, session=session)


def post_call(suite: SuiteHandle, phone: str) -> str:
    event_id = new_event_id()
    response = httpx.post(
        f"{suite.endpoints['ingress']['base_url']}/v1/tenants/{TENANT}/regal/webhooks",
        json=[call_completed(event_id, phone=phone)],
        headers=suite.endpoints["ingress"]["regal_webhook_headers"], timeout=30)
    response.raise_for_status()
    return event_id


def event_record(suite: SuiteHandle, event_id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = reader(suite).query(
        f"SELECT Id, Lead__c FROM Regal_Event__c WHERE Event_Id__c = '{event_id}'")["records"]
    return rows


def wait_for_record(suite: SuiteHandle, event_id: str) -> list[dict[str, Any]]:
    return eventually(lambda: event_record(suite, event_id), timeout=45,
                      what=f"the event record of {event_id}")


def cli_status(suite: SuiteHandle) -> dict[str, Any]:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "regal-sync"), "status", "--tenant", TENANT,
         "--json",
         "--mapping-address", suite.endpoints["grpc"]["mapping"], "--token", ADMIN_TOKEN],
        capture_output=True, text=True, timeout=60, check=True)
    status: dict[str, Any] = json.loads(result.stdout)
    return status


class TestConnectingAnOrg:
    def test_status_before_connecting_is_not_connected(self, suite: SuiteHandle) -> None:
        """A tenant configured for the stored token reports not_connected at first."""
        assert connection_status(suite)["status"] == "not_connected"

    def test_connect_needs_the_admin_token(self, suite: SuiteHandle) -> None:
        """Starting the flow without the admin token is refused with 401."""
        response = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/connect")

        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"

    def test_connect_redirects_with_state_and_pkce(self, suite: SuiteHandle) -> None:
        """The start URL sends the browser to authorize with state and S256 PKCE."""
        response = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/connect", headers=ADMIN)

        location = urlsplit(response.headers["Location"])
        query = {k: v[0] for k, v in parse_qs(location.query).items()}
        assert response.status_code == 302
        assert f"https://{location.netloc}" == org_facts(suite)["instance_url"]
        assert location.path == "/services/oauth2/authorize"
        assert query["response_type"] == "code"
        assert query["client_id"] == org_facts(suite)["client_id"]
        assert query["redirect_uri"].endswith("/v1/oauth/callback")
        assert query["code_challenge_method"] == "S256"
        assert len(query["code_challenge"]) == 43 and len(query["state"]) >= 32

    def test_connect_refuses_a_foreign_login_host(self, suite: SuiteHandle) -> None:
        """A login host outside Salesforce's and the tenant's own gets 400."""
        response = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/connect",
                           params={"login": "https://evil.example.com"}, headers=ADMIN)

        assert response.status_code == 400
        assert response.json()["error"] == "invalid_login_url"

    def test_callback_stores_the_refresh_token_sealed(self, suite: SuiteHandle) -> None:
        """After the flow the tenant is connected; storage holds no token in clear."""
        response = connect(suite)

        assert response.status_code == 200, response.text
        assert connection_status(suite)["status"] == "connected"
        token = stored_refresh_token(suite)
        assert token.startswith("5Aep")
        assert token.encode() not in stored_connection(suite)
        assert b"5Aep" not in stored_connection(suite)

    def test_a_state_works_once(self, suite: SuiteHandle) -> None:
        """Replaying a callback is refused: its state was spent."""
        start = ingress(suite, f"/v1/tenants/{TENANT}/salesforce/connect", headers=ADMIN)
        authorize = urlsplit(start.headers["Location"])
        approved = org(suite, "GET", f"{authorize.path}?{authorize.query}")
        callback = urlsplit(approved.headers["Location"])
        first = ingress(suite, f"{callback.path}?{callback.query}")

        replay = ingress(suite, f"{callback.path}?{callback.query}")

        assert first.status_code == 200
        assert replay.status_code == 400
        assert replay.json()["error"] == "invalid_state"

    def test_webhook_is_applied_with_the_stored_token(self, suite: SuiteHandle) -> None:
        """A Regal event reaches Salesforce through the connected org."""
        event_id = post_call(suite, "+13025550181")

        assert wait_for_record(suite, event_id)

    def test_expired_access_token_is_refreshed(self, suite: SuiteHandle) -> None:
        """When every access token expires, work goes on with a refreshed one."""
        org(suite, "POST", "/sandbox/tokens/expire").raise_for_status()

        event_id = post_call(suite, "+13025550182")

        assert wait_for_record(suite, event_id)

    def test_revoked_token_shows_revoked(self, suite: SuiteHandle) -> None:
        """After the org revokes the token, status says revoked, not a stack trace."""
        org(suite, "POST", "/services/oauth2/revoke",
            data={"token": stored_refresh_token(suite)}).raise_for_status()
        waiting = post_call(suite, "+13025550183")
        (suite.suite.state_dir / "waiting-event").write_text(waiting)

        status = eventually(lambda: (s if (s := connection_status(suite))["status"]
                                     == "revoked" else None), what="revoked status")

        assert status["error"] == "invalid_grant"
        assert cli_status(suite)["salesforce_connection"]["state"] == "revoked"

    def test_revoked_tenant_keeps_its_events_waiting(self, suite: SuiteHandle) -> None:
        """The event posted after the revocation waits in the inbox, not dead."""
        waiting = (suite.suite.state_dir / "waiting-event").read_text()
        inbox = next(q for q in cli_status(suite)["queues"] if q["queue"] == "ingress_inbox")

        assert event_record(suite, waiting) == []
        assert int(inbox["waiting"]) + int(inbox["in_flight"]) >= 1
        assert int(inbox["dead"]) == 0

    def test_reconnecting_applies_what_waited(self, suite: SuiteHandle) -> None:
        """Connecting again resumes the tenant; the waiting event is applied."""
        waiting = (suite.suite.state_dir / "waiting-event").read_text()

        assert connect(suite).status_code == 200
        assert connection_status(suite)["status"] == "connected"
        assert wait_for_record(suite, waiting)
