"""Keep each tenant's connected org: its refresh token, sealed, and its state.

The OAuth web-server flow at the ingress (docs/connecting-an-org.md) ends
here. The refresh token is encrypted with Fernet under the key in
``REGALSYNC_TOKEN_KEY`` before it reaches storage, in the tenant's
``salesforce_connection`` checkpoint; the processes that call Salesforce
for a tenant configured with ``refresh_token: ${stored}`` read it back
through this module. The state (``connected``, ``revoked``) is kept in
clear beside the sealed token, so reporting it needs no key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import structlog
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from regalsync.errors import InvalidInput
from regalsync.salesforce.auth import (
    ConnectionRevoked,
    NotConnected,
    StoredGrant,
    TokenRejected,
)
from regalsync.storage import Storage

__all__ = [
    "CONNECTED",
    "CONNECTION_CHECKPOINT",
    "NOT_CONNECTED",
    "REVOKED",
    "STORED_TOKEN",
    "ConnectionVault",
    "OrgConnection",
    "TokenKeyMissing",
    "token_cipher",
]

# What a configuration writes instead of a ${NAME} reference to use the
# token the connect flow stored (lower case: no environment variable is
# named like this by convention).
STORED_TOKEN = "${stored}"  # noqa: S105 (a marker, not a secret)
CONNECTION_CHECKPOINT = "salesforce_connection"
CONNECTED, REVOKED, NOT_CONNECTED = "connected", "revoked", "not_connected"

log = structlog.get_logger(__name__)


class TokenKeyMissing(TokenRejected):
    """No key to seal or open stored refresh tokens (REGALSYNC_TOKEN_KEY)."""


def token_cipher(keys: str | None) -> MultiFernet:
    """Build the cipher from comma-separated Fernet keys, newest first.

    The first key seals; every key opens, so a key can be rotated by
    putting the new one in front and dropping the old one later.
    """
    parts = [key.strip() for key in (keys or "").split(",") if key.strip()]
    if not parts:
        raise TokenKeyMissing("REGALSYNC_TOKEN_KEY is not set: stored Salesforce "
                              "tokens can be neither sealed nor opened")
    try:
        return MultiFernet([Fernet(key) for key in parts])
    except ValueError:
        raise InvalidInput("REGALSYNC_TOKEN_KEY must hold Fernet keys (32 url-safe "
                           "base64-encoded bytes each, comma separated)") from None


@dataclass(frozen=True)
class OrgConnection:
    """A tenant's connected org as stored; ``sealed_token`` is ciphertext."""

    state: str
    instance_url: str = ""
    org_id: str = ""
    login_url: str = ""
    since: float = 0.0
    error: str = ""
    sealed_token: str = ""

    def to_bytes(self) -> bytes:
        """Serialise for the checkpoint."""
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes | None) -> OrgConnection:
        """Read a checkpoint value; nothing stored means not connected."""
        if not raw:
            return cls(NOT_CONNECTED)
        fields = json.loads(raw)
        return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})

    def public(self) -> dict[str, object]:
        """Return what status pages may show: everything but the token."""
        shown = asdict(self)
        del shown["sealed_token"]
        return shown


class ConnectionVault:
    """Seal, store, open and retire tenants' refresh tokens."""

    def __init__(self, storage: Storage, token_key: str | None, *,
                 clock: Callable[[], float] = time.time) -> None:
        self._storage = storage
        self._token_key = token_key
        self._clock = clock

    def require_key(self) -> MultiFernet:
        """Return the cipher, or raise TokenKeyMissing (or InvalidInput)."""
        return token_cipher(self._token_key)

    async def read(self, tenant: str) -> OrgConnection:
        """Return the tenant's connection as stored."""
        raw = await self._storage.get_checkpoint(tenant, CONNECTION_CHECKPOINT)
        return OrgConnection.from_bytes(raw)

    async def connect(self, tenant: str, grant: StoredGrant, *, instance_url: str,
                      org_id: str) -> OrgConnection:
        """Seal and store a new refresh token; the tenant is connected again."""
        sealed = self.require_key().encrypt(grant.refresh_token.encode()).decode()
        connection = OrgConnection(CONNECTED, instance_url, org_id, grant.login_url,
                                   self._clock(), sealed_token=sealed)
        await self._storage.set_checkpoint(tenant, CONNECTION_CHECKPOINT,
                                           connection.to_bytes())
        log.info("salesforce_org_connected", tenant=tenant, org_id=org_id)
        return connection

    async def grant(self, tenant: str) -> StoredGrant:
        """Open the tenant's stored refresh token, if it is usable."""
        connection = await self.read(tenant)
        if connection.state == REVOKED:
            raise ConnectionRevoked(f"tenant {tenant}: the Salesforce connection was "
                                    "revoked; reconnect the org")
        if connection.state != CONNECTED or not connection.sealed_token:
            raise NotConnected(f"tenant {tenant}: no Salesforce org is connected yet")
        return StoredGrant(self._open(connection.sealed_token), connection.login_url)

    async def revoke(self, tenant: str, grant: StoredGrant, error: str) -> bool:
        """Mark the tenant revoked if ``grant`` is still the stored token.

        A reconnect that landed meanwhile stored a newer token, which
        must not be marked revoked; compare-and-set guards that.
        """
        raw = await self._storage.get_checkpoint(tenant, CONNECTION_CHECKPOINT)
        connection = OrgConnection.from_bytes(raw)
        if connection.state != CONNECTED or raw is None:
            return False
        if self._open(connection.sealed_token) != grant.refresh_token:
            return False
        revoked = OrgConnection(REVOKED, connection.instance_url, connection.org_id,
                                connection.login_url, self._clock(), error)
        stored = await self._storage.compare_and_set_checkpoint(
            tenant, CONNECTION_CHECKPOINT, raw, revoked.to_bytes())
        if stored:
            log.warning("salesforce_connection_revoked", tenant=tenant, error=error)
        return stored

    def source(self, tenant: str) -> TenantTokenSource:
        """Return the refresh-token source a TokenProvider reads for ``tenant``."""
        return TenantTokenSource(self, tenant)

    def _open(self, sealed: str) -> str:
        try:
            return self.require_key().decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise TokenRejected("the stored Salesforce token does not open with "
                                "REGALSYNC_TOKEN_KEY (was the key changed?)") from None


class TenantTokenSource:
    """One tenant's stored refresh token, as a TokenProvider wants it."""

    def __init__(self, vault: ConnectionVault, tenant: str) -> None:
        self._vault = vault
        self._tenant = tenant

    async def current(self) -> StoredGrant:
        """Return the stored grant, or raise ConnectionUnusable."""
        return await self._vault.grant(self._tenant)

    async def rejected(self, grant: StoredGrant, error: str) -> None:
        """Mark the tenant revoked: Salesforce refused its token."""
        await self._vault.revoke(self._tenant, grant, error)
