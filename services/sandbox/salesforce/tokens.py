"""Access tokens, refresh tokens and authorization codes of the org.

Tokens look like Salesforce's (``<org id>!<random>``), expire after a
configurable time on the sandbox's clock, and can all be expired at once.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

# Salesforce's authorization codes are valid for 15 minutes.
_CODE_TTL = 900.0


class OAuthError(Exception):
    """An OAuth failure answered as ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass
class ConnectedApp:
    """The connected app callers authenticate as, with its JWT certificates."""

    client_id: str
    client_secret: str
    certificates: list[bytes] = field(default_factory=list)


@dataclass(frozen=True)
class Session:
    user_id: str
    client_id: str
    expires_at: float
    refresh_token: str | None


@dataclass(frozen=True)
class AuthorizationCode:
    user_id: str
    client_id: str
    redirect_uri: str
    challenge: str | None
    challenge_method: str
    expires_at: float


class TokenAuthority:
    """Issue, check, refresh and revoke the org's tokens."""

    def __init__(
        self, *, org_id: str, clock: Callable[[], float], ttl_seconds: float,
    ) -> None:
        self.org_id = org_id
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._refresh: dict[str, tuple[str, str]] = {}
        self._codes: dict[str, AuthorizationCode] = {}

    def issue(self, user_id: str, client_id: str, *, with_refresh: bool) -> tuple[str, str | None]:
        """Start a session; return (access token, refresh token or None)."""
        refresh = None
        if with_refresh:
            refresh = "5Aep" + secrets.token_urlsafe(64)
            self._refresh[refresh] = (user_id, client_id)
        return self._new_access(user_id, client_id, refresh), refresh

    def session(self, access_token: str) -> Session | None:
        """Return the live session of a token, or None if unknown or expired."""
        found = self._sessions.get(access_token)
        if found is None or found.expires_at <= self._clock():
            return None
        return found

    def refresh(self, refresh_token: str, client_id: str) -> tuple[str, str]:
        """Mint a new access token from a refresh token; return (token, user id)."""
        owner = self._refresh.get(refresh_token)
        if owner is None or owner[1] != client_id:
            raise OAuthError("invalid_grant", "expired access/refresh token")
        return self._new_access(owner[0], client_id, refresh_token), owner[0]

    def revoke(self, token: str) -> bool:
        """Revoke an access or refresh token (a refresh token takes its sessions)."""
        if self._sessions.pop(token, None) is not None:
            return True
        if self._refresh.pop(token, None) is None:
            return False
        for access, found in list(self._sessions.items()):
            if found.refresh_token == token:
                del self._sessions[access]
        return True

    def expire_all(self) -> int:
        """End every access session now; refresh tokens stay valid."""
        ended = len(self._sessions)
        self._sessions.clear()
        return ended

    def new_code(
        self, user_id: str, client_id: str, redirect_uri: str,
        challenge: str | None, challenge_method: str,
    ) -> str:
        code = "aPrx" + secrets.token_urlsafe(32)
        self._codes[code] = AuthorizationCode(
            user_id, client_id, redirect_uri, challenge, challenge_method,
            self._clock() + _CODE_TTL,
        )
        return code

    def redeem_code(
        self, code: str, client_id: str, redirect_uri: str, verifier: str | None,
    ) -> AuthorizationCode:
        """Spend an authorization code, checking client, redirect and PKCE."""
        grant = self._codes.pop(code, None)
        if grant is None or grant.expires_at <= self._clock():
            raise OAuthError("invalid_grant", "invalid authorization code")
        if grant.client_id != client_id or grant.redirect_uri != redirect_uri:
            raise OAuthError("invalid_grant", "redirect_uri must match configuration")
        if grant.challenge is not None and not _pkce_matches(grant, verifier):
            raise OAuthError("invalid_grant", "invalid code verifier")
        return grant

    def _new_access(self, user_id: str, client_id: str, refresh: str | None) -> str:
        token = f"{self.org_id[:15]}!AQ" + secrets.token_urlsafe(72)
        self._sessions[token] = Session(
            user_id, client_id, self._clock() + self.ttl_seconds, refresh,
        )
        return token


def _pkce_matches(grant: AuthorizationCode, verifier: str | None) -> bool:
    if not verifier:
        return False
    if grant.challenge_method == "plain":
        return secrets.compare_digest(verifier, grant.challenge or "")
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return secrets.compare_digest(expected, grant.challenge or "")
