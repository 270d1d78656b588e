"""An in-process Salesforce sandbox and the tenant that points at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from grpc_services import Served, apply_tenant, mapping_service, tenant_directory, tenant_yaml
from simple_salesforce.api import Salesforce

from regalsync.salesforce.registry import SalesforceClients
from regalsync.storage import Storage
from sandbox.salesforce.app import RunningSandbox, running_sandbox
from sandbox.salesforce.context import SandboxConfig


@dataclass
class Org:
    sandbox: RunningSandbox
    mapping: Served
    clients: SalesforceClients

    def admin(self) -> Salesforce:
        """Return a simple-salesforce client for arranging and checking data."""
        info = self.sandbox.info
        session = requests.Session()
        session.trust_env = False
        session.verify = info.ca_bundle
        token = session.post(f"{info.instance_url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": info.client_id,
            "client_secret": info.client_secret}).json()["access_token"]
        return Salesforce(instance_url=info.instance_url, session_id=token, session=session)


@asynccontextmanager
async def salesforce_org(storage: Storage, tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Org]:
    """Run the sandbox, mapping-service and a tenant configured for both."""
    config = SandboxConfig(state_dir=tmp_path / "sf", port=0, pubsub_port=None)
    async with running_sandbox(config) as sandbox, mapping_service(storage) as mapping:
        info = sandbox.info
        monkeypatch.setenv("ACME_SF_CLIENT_ID", info.client_id)
        monkeypatch.setenv("ACME_SF_SECRET", info.client_secret)
        await apply_tenant(mapping, tenant_yaml(login_url=info.instance_url))
        executor = ThreadPoolExecutor(4)
        try:
            clients = SalesforceClients(tenant_directory(mapping), executor=executor,
                                        ca_bundle=info.ca_bundle, call_options_client="regalsync")
            yield Org(sandbox, mapping, clients)
        finally:
            executor.shutdown(wait=False)


async def in_thread(call: Any) -> Any:
    """Run a blocking simple-salesforce call without stalling the sandbox's loop."""
    import asyncio

    return await asyncio.to_thread(call)
