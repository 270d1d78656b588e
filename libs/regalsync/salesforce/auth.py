"""Obtain and refresh Salesforce access tokens over OAuth 2.0.

simple-salesforce hard-codes Salesforce's own login hosts, so tokens are
fetched here against the tenant's configured login URL and handed to the
client. Three flows are supported: JWT bearer (headless), refresh token
and client credentials. A refresh token may come from the tenant's
connected org (docs/connecting-an-org.md) instead of the configuration;
a refusal of that token is reported back so the tenant shows ``revoked``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import time
from dataclasses import dataclass, replace
from typing import ClassVar, Protocol

import grpc
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from regalsync.errors import Unavailable

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class OAuthCredentials:
    login_url: str
    flow: str  # jwt_bearer | refresh_token | client_credentials
    client_id: str
    client_secret: str = ""
    username: str = ""
    private_key_pem: str = ""
    refresh_token: str = ""


@dataclass(frozen=True)
class SalesforceToken:
    access_token: str
    instance_url: str
    issued_at: float
    # From the identity URL ``.../id/<org id>/<user id>``; the Pub/Sub API
    # wants it as ``tenantid``.
    org_id: str = ""


class TokenRejected(Unavailable):
    """Salesforce refused the credentials (revoked or misconfigured)."""


class ConnectionUnusable(TokenRejected):
    """The tenant's connected org cannot be used until someone reconnects it.

    Retrying soon will not help, so callers pause the tenant's work
    instead of counting failures (FAILED_PRECONDITION over gRPC).
    """

    status_code: ClassVar[grpc.StatusCode] = grpc.StatusCode.FAILED_PRECONDITION


class ConnectionRevoked(ConnectionUnusable):
    """Salesforce refused the stored refresh token (``invalid_grant``)."""


class NotConnected(ConnectionUnusable):
    """The configuration names the stored token, but no org was connected."""


@dataclass(frozen=True)
class StoredGrant:
    """A connected org's refresh token and the login host that issued it."""

    refresh_token: str
    login_url: str


class RefreshTokenSource(Protocol):
    """Where the refresh token of a connected org is kept."""

    async def current(self) -> StoredGrant:
        """Return the grant to refresh with, or raise ConnectionUnusable."""
        ...

    async def rejected(self, grant: StoredGrant, error: str) -> None:
        """Record that Salesforce refused ``grant`` with ``error``."""
        ...


class TokenProvider:
    """Hand out a cached access token; fetch a new one when asked to."""

    def __init__(self, credentials: OAuthCredentials, *, ca_bundle: str | None,
                 timeout_seconds: float = 10.0,
                 stored: RefreshTokenSource | None = None) -> None:
        self._credentials = credentials
        self._stored = stored
        self._tls = ssl.create_default_context(cafile=ca_bundle)
        self._timeout = timeout_seconds
        self._token: SalesforceToken | None = None
        self._lock = asyncio.Lock()

    async def token(self) -> SalesforceToken:
        """Return the current token, fetching one the first time."""
        if self._token is None:
            async with self._lock:
                if self._token is None:
                    self._token = await self._fetch()
        return self._token

    async def refresh(self, stale: SalesforceToken | None) -> SalesforceToken:
        """Replace ``stale`` with a new token; concurrent callers share one fetch."""
        async with self._lock:
            if self._token is None or self._token == stale:
                self._token = await self._fetch()
            return self._token

    async def _fetch(self) -> SalesforceToken:
        credentials, grant = self._credentials, None
        if self._stored is not None:
            # Read at every fetch: a reconnect takes effect without a restart.
            grant = await self._stored.current()
            credentials = replace(credentials, refresh_token=grant.refresh_token,
                                  login_url=grant.login_url or credentials.login_url)
        url = credentials.login_url.rstrip("/") + "/services/oauth2/token"
        # Loading the RSA key and signing a JWT assertion take tens of ms
        # of CPU: off the event loop, which is acknowledging webhooks.
        form = await asyncio.to_thread(_grant_form, credentials)
        async with httpx.AsyncClient(verify=self._tls, timeout=self._timeout) as http:
            response = await http.post(url, data=form)
        if response.status_code != 200:
            error = _oauth_error(response)
            if grant is not None and self._stored is not None and error == "invalid_grant":
                await self._stored.rejected(grant, error)
                raise ConnectionRevoked("Salesforce refused the stored refresh token "
                                        "(invalid_grant): reconnect the org")
            raise TokenRejected(f"token request refused: HTTP {response.status_code} "
                                f"{error}")
        body = response.json()
        identity = str(body.get("id", "")).rstrip("/").split("/")
        org_id = identity[-2] if len(identity) >= 2 else ""
        return SalesforceToken(body["access_token"], body["instance_url"], time.time(), org_id)


def _grant_form(credentials: OAuthCredentials) -> dict[str, str]:
    if credentials.flow == "jwt_bearer":
        return {"grant_type": JWT_GRANT, "assertion": jwt_assertion(credentials)}
    if credentials.flow == "refresh_token":
        form = {"grant_type": "refresh_token", "client_id": credentials.client_id,
                "refresh_token": credentials.refresh_token}
        if credentials.client_secret:
            # Connected apps may refresh without the secret; an empty one
            # would be refused as a wrong secret.
            form["client_secret"] = credentials.client_secret
        return form
    if credentials.flow == "client_credentials":
        return {"grant_type": "client_credentials", "client_id": credentials.client_id,
                "client_secret": credentials.client_secret}
    raise ValueError(f"unknown OAuth flow {credentials.flow!r}")


def jwt_assertion(credentials: OAuthCredentials, *, lifetime_seconds: int = 180) -> str:
    """Sign the RS256 assertion of Salesforce's JWT bearer flow."""
    key = serialization.load_pem_private_key(credentials.private_key_pem.encode(), None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the JWT bearer flow needs an RSA private key")
    header = {"alg": "RS256"}
    claims = {"iss": credentials.client_id, "sub": credentials.username,
              "aud": credentials.login_url.rstrip("/"),
              "exp": int(time.time()) + lifetime_seconds}
    signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _oauth_error(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("error", "")) if isinstance(body, dict) else ""
