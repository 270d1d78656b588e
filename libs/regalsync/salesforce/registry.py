"""One Salesforce client per tenant, built from the tenant's configuration."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from regalsync import secrets
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.salesforce.auth import OAuthCredentials, TokenProvider
from regalsync.salesforce.budget import ApiBudget, OrgLimit
from regalsync.salesforce.client import SalesforceClient
from regalsync.salesforce.connections import STORED_TOKEN, ConnectionVault
from regalsync.tenants import TenantDirectory


class SalesforceClients:
    """Build each tenant's client once; rebuild it when its connection changes.

    With a ``vault``, a configuration whose refresh token is ``${stored}``
    uses the token the connect flow stored; with a ``budget``, every call
    is counted against the tenant's share and :meth:`within_budget`
    refuses a batch once the share is spent.
    """

    def __init__(
        self,
        tenants: TenantDirectory,
        *,
        executor: ThreadPoolExecutor,
        ca_bundle: str | None,
        call_options_client: str,
        secrets_dir: Path | None = None,
        on_call: Callable[[str, int], None] | None = None,
        vault: ConnectionVault | None = None,
        budget: ApiBudget | None = None,
    ) -> None:
        self._tenants = tenants
        self._executor = executor
        self._ca_bundle = ca_bundle
        self._call_options_client = call_options_client
        self._secrets_dir = secrets_dir
        self._on_call = on_call
        self._vault = vault
        self._budget = budget
        self._clients: dict[str, tuple[bytes, SalesforceClient]] = {}

    async def get(self, tenant_id: str) -> SalesforceClient:
        """Return the tenant's client."""
        tenant = await self._tenants.get(tenant_id)
        fingerprint = tenant.salesforce.SerializeToString(deterministic=True)
        cached = self._clients.get(tenant_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        client = self._build(tenant_id, tenant.salesforce)
        self._clients[tenant_id] = (fingerprint, client)
        return client

    async def within_budget(self, tenant_id: str) -> SalesforceClient:
        """Return the tenant's client for a batch, or raise BudgetExhausted
        when the tenant's share of the org's daily calls is spent."""
        if self._budget is not None:
            tenant = await self._tenants.get(tenant_id)
            await self._budget.check(tenant_id, tenant.salesforce.daily_api_budget_percent)
        return await self.get(tenant_id)

    def _build(self, tenant_id: str,
               connection: mapping_pb2.SalesforceConnection) -> SalesforceClient:
        def secret(ref: str) -> str:
            return secrets.resolve(ref, secrets_dir=self._secrets_dir) if ref else ""

        stored = connection.refresh_token_ref == STORED_TOKEN and self._vault is not None
        credentials = OAuthCredentials(
            login_url=connection.login_url, flow=connection.auth_flow,
            client_id=secret(connection.client_id), username=connection.username,
            client_secret=secret(connection.client_secret_ref),
            private_key_pem=secret(connection.private_key_ref),
            refresh_token="" if stored else secret(connection.refresh_token_ref),
        )
        source = self._vault.source(tenant_id) if stored and self._vault else None
        tokens = TokenProvider(credentials, ca_bundle=self._ca_bundle, stored=source)
        client = SalesforceClient(tokens, executor=self._executor, ca_bundle=self._ca_bundle,
                                  call_options_client=self._call_options_client,
                                  on_call=lambda n: self._count(tenant_id, n, client),
                                  tenant=tenant_id)
        return client

    def _count(self, tenant_id: str, n: int, client: SalesforceClient) -> None:
        if self._on_call is not None:
            self._on_call(tenant_id, n)
        if self._budget is not None:
            usage = client.usage
            self._budget.record(tenant_id, n, OrgLimit(usage.used, usage.limit))
