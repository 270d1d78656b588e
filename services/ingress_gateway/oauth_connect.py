"""Connect a tenant's Salesforce org with the OAuth 2.0 web-server flow (C8).

``GET /v1/tenants/{tenant}/salesforce/connect[?login=URL]`` (admin) sends
the browser to the org's authorize page with ``state`` and a PKCE S256
challenge; ``GET /v1/oauth/callback`` checks the state, exchanges the code
for tokens and stores the refresh token sealed with REGALSYNC_TOKEN_KEY;
``GET /v1/tenants/{tenant}/salesforce/status`` (admin) tells whether the
org is connected, revoked or not connected yet. docs/connecting-an-org.md
has the whole story.

A started attempt (tenant, login host, redirect URI, PKCE verifier) is
sealed with the same key and kept as a single-use checkpoint named by a
hash of its state: a callback takes it, so each state works once, and
only within ``oauth_attempt_seconds``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets as random
import ssl
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import grpc
import httpx
import structlog
from aiohttp import web
from cryptography.fernet import InvalidToken

from ingress_gateway.webhooks import problem
from regalsync import secrets
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.errors import InvalidInput
from regalsync.salesforce.auth import StoredGrant
from regalsync.salesforce.connections import (
    NOT_CONNECTED,
    STORED_TOKEN,
    ConnectionVault,
    TokenKeyMissing,
)
from regalsync.secrets import MissingSecret
from regalsync.service_kit import SalesforceSettings
from regalsync.settings import doc, setting
from regalsync.storage import Storage
from regalsync.tenants import TenantDirectory

__all__ = ["CALLBACK_PATH", "ConnectSettings", "OrgConnector", "add_routes"]

CALLBACK_PATH = "/v1/oauth/callback"
# Checkpoints of attempts in flight belong to no tenant until the callback.
ATTEMPTS = "_oauth_attempts"
# Login hosts other than the tenant's configured one that may be chosen:
# Salesforce's own login hosts, and My Domain and test-org hosts under its domains.
LOGIN_HOSTS = ("login.salesforce.com", "test.salesforce.com")
LOGIN_DOMAINS = (".my.salesforce.com", ".force.com")

log = structlog.get_logger(__name__)


@dataclass(frozen=True, kw_only=True)
class ConnectSettings(SalesforceSettings):
    """Settings of the HTTP edge's connect flow."""

    public_url: str = setting(
        "", description="Base URL browsers reach the HTTP edge at; the OAuth callback is "
        "<public_url>/v1/oauth/callback (empty: the request's own scheme and host).")
    admin_token: str | None = field(default=None, repr=False, metadata=doc(
        "Bearer token the connect and connection-status endpoints require "
        "(the admin token of the CLI); unset leaves them open."))
    oauth_attempt_seconds: int = setting(
        600, description="How long a started connect may take to reach the callback.")


@dataclass(frozen=True)
class Attempt:
    """A connect in flight, as sealed into its checkpoint."""

    tenant: str
    login_url: str
    redirect_uri: str
    verifier: str


class ConnectRefused(Exception):
    """A connect step that answers the caller with a JSON problem."""

    def __init__(self, status: int, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


class OrgConnector:
    """The three endpoints of the connect flow."""

    def __init__(self, storage: Storage, tenants: TenantDirectory,
                 settings: ConnectSettings) -> None:
        self._storage = storage
        self._tenants = tenants
        self._settings = settings
        self._vault = ConnectionVault(storage, settings.token_key)
        self._tls = ssl.create_default_context(cafile=settings.salesforce_ca_bundle)

    async def start(self, request: web.Request) -> web.Response:
        """Redirect to the org's authorize page with state and PKCE."""
        tenant_id = request.match_info["tenant"]
        try:
            self._authorize_admin(request)
            self._vault.require_key()
            connection = await self._connection(tenant_id)
            login_url = _login_url(request.query.get("login"), connection.login_url)
            client_id = self._secret(connection.client_id)
            attempt = Attempt(tenant_id, login_url, self._redirect_uri(request),
                              random.token_urlsafe(64))
            state = await self._remember(attempt)
        except ConnectRefused as refused:
            return problem(refused.status, refused.error, refused.detail)
        except (TokenKeyMissing, InvalidInput) as error:
            log.error("salesforce_connect_without_key", tenant=tenant_id)
            return problem(503, "token_key_missing", str(error))
        query = {"response_type": "code", "client_id": client_id,
                 "redirect_uri": attempt.redirect_uri, "state": state,
                 "code_challenge": _challenge(attempt.verifier),
                 "code_challenge_method": "S256", "prompt": "login consent"}
        log.info("salesforce_connect_started", tenant=tenant_id)
        location = f"{login_url}/services/oauth2/authorize?{urlencode(query)}"
        return web.Response(status=302, headers={"Location": location})

    async def callback(self, request: web.Request) -> web.Response:
        """Exchange the code and store the refresh token, sealed."""
        try:
            attempt = await self._take(request.query.get("state", ""))
            if "error" in request.query:
                raise ConnectRefused(400, "authorization_refused",
                                     request.query.get("error", ""))
            code = request.query.get("code", "")
            if not code:
                raise ConnectRefused(400, "missing_code")
            connection = await self._connection(attempt.tenant)
            tokens = await self._exchange(attempt, connection, code)
        except ConnectRefused as refused:
            log.info("salesforce_connect_refused", error=refused.error)
            return problem(refused.status, refused.error, refused.detail)
        stored = await self._vault.connect(
            attempt.tenant, StoredGrant(tokens["refresh_token"], attempt.login_url),
            instance_url=str(tokens.get("instance_url", "")), org_id=_org_id(tokens))
        return web.json_response({"tenant": attempt.tenant, **stored.public()})

    async def status(self, request: web.Request) -> web.Response:
        """Tell whether the tenant's org is connected, revoked or neither."""
        tenant_id = request.match_info["tenant"]
        try:
            self._authorize_admin(request)
            connection = await self._connection(tenant_id)
        except ConnectRefused as refused:
            return problem(refused.status, refused.error, refused.detail)
        body: dict[str, Any] = {"tenant": tenant_id, "flow": connection.auth_flow,
                                "uses_stored_token":
                                    connection.refresh_token_ref == STORED_TOKEN}
        stored = await self._vault.read(tenant_id)
        body.update(stored.public())
        if stored.state == NOT_CONNECTED and not body["uses_stored_token"]:
            body["status"] = "configured"
        else:
            body["status"] = stored.state
        return web.json_response(body)

    def _authorize_admin(self, request: web.Request) -> None:
        expected = self._settings.admin_token
        if not expected:
            return
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {expected}".encode()):
            raise ConnectRefused(401, "unauthorized", "send the admin token as a bearer token")

    async def _connection(self, tenant_id: str) -> mapping_pb2.SalesforceConnection:
        try:
            tenant = await self._tenants.get(tenant_id)
        except grpc.aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                raise ConnectRefused(404, "unknown_tenant") from None
            log.warning("connect_tenant_lookup_failed", tenant=tenant_id,
                        code=error.code().name)
            raise ConnectRefused(503, "temporarily_unavailable") from None
        return tenant.salesforce

    def _secret(self, reference: str) -> str:
        try:
            return secrets.resolve(reference, secrets_dir=self._settings.secrets_dir)
        except MissingSecret as error:
            raise ConnectRefused(503, "secret_missing", str(error)) from None

    def _redirect_uri(self, request: web.Request) -> str:
        base = self._settings.public_url or f"{request.scheme}://{request.host}"
        return base.rstrip("/") + CALLBACK_PATH

    async def _remember(self, attempt: Attempt) -> str:
        state = random.token_urlsafe(32)
        sealed = self._vault.require_key().encrypt(json.dumps(asdict(attempt)).encode())
        await self._storage.set_checkpoint(ATTEMPTS, _state_name(state), sealed)
        return state

    async def _take(self, state: str) -> Attempt:
        """Take the attempt ``state`` names; it cannot be taken twice."""
        sealed = await self._storage.take_checkpoint(ATTEMPTS, _state_name(state)) \
            if state else None
        if sealed is None:
            raise ConnectRefused(400, "invalid_state", "unknown or already used state")
        try:
            opened = self._vault.require_key().decrypt(
                sealed, ttl=self._settings.oauth_attempt_seconds)
        except InvalidToken:
            raise ConnectRefused(400, "invalid_state", "the connect attempt expired") from None
        except TokenKeyMissing:
            raise ConnectRefused(503, "token_key_missing") from None
        return Attempt(**json.loads(opened))

    async def _exchange(self, attempt: Attempt, connection: mapping_pb2.SalesforceConnection,
                        code: str) -> dict[str, Any]:
        form = {"grant_type": "authorization_code", "code": code,
                "client_id": self._secret(connection.client_id),
                "redirect_uri": attempt.redirect_uri, "code_verifier": attempt.verifier}
        if connection.client_secret_ref:
            form["client_secret"] = self._secret(connection.client_secret_ref)
        url = f"{attempt.login_url}/services/oauth2/token"
        try:
            async with httpx.AsyncClient(verify=self._tls, timeout=15) as http:
                response = await http.post(url, data=form)
        except httpx.HTTPError as error:
            raise ConnectRefused(502, "token_exchange_failed", type(error).__name__) from None
        body = _json_object(response)
        if response.status_code != 200:
            raise ConnectRefused(502, "token_exchange_refused", str(body.get("error", "")))
        if not body.get("refresh_token"):
            raise ConnectRefused(502, "no_refresh_token", "give the connected app the "
                                 "refresh_token (offline_access) scope")
        return body


def add_routes(app: web.Application, storage: Storage, tenants: TenantDirectory,
               settings: ConnectSettings) -> None:
    """Mount the connect flow's endpoints on the HTTP edge."""
    connector = OrgConnector(storage, tenants, settings)
    app.router.add_get("/v1/tenants/{tenant}/salesforce/connect", connector.start)
    app.router.add_get("/v1/tenants/{tenant}/salesforce/status", connector.status)
    app.router.add_get(CALLBACK_PATH, connector.callback)


def _login_url(chosen: str | None, configured: str) -> str:
    """Return the login host to use: the configured one, or an allowed choice.

    The code and the client secret travel to this host, so only
    Salesforce's hosts and the tenant's own are accepted.
    """
    url = (chosen or configured).rstrip("/")
    parts = urlsplit(url)
    host = parts.hostname or ""
    allowed = (url == configured.rstrip("/") or host in LOGIN_HOSTS
               or host.endswith(LOGIN_DOMAINS))
    if parts.scheme != "https" or parts.path or parts.query or not allowed:
        raise ConnectRefused(400, "invalid_login_url", "use https://login.salesforce.com, "
                             "https://test.salesforce.com, a My Domain host or the "
                             "configured login_url")
    return url


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _state_name(state: str) -> str:
    # Only a hash is stored: reading storage does not yield usable states.
    return "state:" + hashlib.sha256(state.encode()).hexdigest()


def _org_id(tokens: dict[str, Any]) -> str:
    identity = str(tokens.get("id", "")).rstrip("/").split("/")
    return identity[-2] if len(identity) >= 2 else ""


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
