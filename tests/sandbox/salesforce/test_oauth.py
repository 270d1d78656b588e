"""OAuth grants, token expiry and revocation."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from sf_harness import client, http_session
from simple_salesforce.exceptions import SalesforceExpiredSession

from sandbox.salesforce.app import RunningSandbox

REDIRECT = "https://app.example.com/callback"


def token_call(sandbox: RunningSandbox, **form: str) -> requests.Response:
    return http_session(sandbox.info.ca_bundle).post(
        f"{sandbox.info.instance_url}/services/oauth2/token", data=form,
    )


def authorize(sandbox: RunningSandbox, **params: str) -> dict[str, list[str]]:
    response = http_session(sandbox.info.ca_bundle).get(
        f"{sandbox.info.instance_url}/services/oauth2/authorize",
        params={"response_type": "code", "client_id": sandbox.info.client_id,
                "redirect_uri": REDIRECT, **params},
        allow_redirects=False,
    )
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)


def rsa_pair() -> tuple[rsa.RSAPrivateKey, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regal-sync test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM).decode()


def assertion(key: rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    header = part(json.dumps({"alg": "RS256"}).encode())
    body = part(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{header}.{body}.{part(signature)}"


def jwt_claims(sandbox: RunningSandbox) -> dict[str, Any]:
    return {"iss": sandbox.info.client_id, "sub": sandbox.info.username,
            "aud": "https://login.salesforce.com", "exp": int(time.time()) + 300}


class TestGrants:
    def test_client_credentials_answer_shape(self, sandbox: RunningSandbox) -> None:
        """The token answer has Salesforce's fields and a usable token."""
        body = token_call(sandbox, grant_type="client_credentials",
                          client_id=sandbox.info.client_id,
                          client_secret=sandbox.info.client_secret).json()
        assert body["token_type"] == "Bearer"
        assert body["instance_url"] == sandbox.info.instance_url
        assert {"access_token", "id", "issued_at", "signature", "scope"} <= set(body)
        assert client(sandbox, body["access_token"]).limits()

    def test_wrong_client_secret_is_refused(self, sandbox: RunningSandbox) -> None:
        """A wrong secret gets 400 invalid_client."""
        response = token_call(sandbox, grant_type="client_credentials",
                              client_id=sandbox.info.client_id, client_secret="nope")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_client"

    def test_authorization_code_with_pkce(self, sandbox: RunningSandbox) -> None:
        """Authorize redirects with code and state; the code plus verifier buys tokens."""
        verifier = "v" * 50
        challenge = base64.urlsafe_b64encode(
            hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = authorize(sandbox, state="xyz", code_challenge=challenge,
                          code_challenge_method="S256")
        assert query["state"] == ["xyz"]
        body = token_call(sandbox, grant_type="authorization_code", code=query["code"][0],
                          client_id=sandbox.info.client_id, redirect_uri=REDIRECT,
                          code_verifier=verifier).json()
        assert body["refresh_token"]
        assert client(sandbox, body["access_token"]).limits()

    def test_pkce_mismatch_is_invalid_grant(self, sandbox: RunningSandbox) -> None:
        """A verifier that does not match the challenge is refused."""
        query = authorize(sandbox, code_challenge="abc", code_challenge_method="S256")
        response = token_call(sandbox, grant_type="authorization_code",
                              code=query["code"][0], client_id=sandbox.info.client_id,
                              redirect_uri=REDIRECT, code_verifier="wrong")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"

    def test_refresh_token_mints_new_access_token(self, sandbox: RunningSandbox) -> None:
        """A refresh token from the code flow buys a fresh access token."""
        query = authorize(sandbox)
        first = token_call(sandbox, grant_type="authorization_code", code=query["code"][0],
                           client_id=sandbox.info.client_id, redirect_uri=REDIRECT,
                           client_secret=sandbox.info.client_secret).json()
        again = token_call(sandbox, grant_type="refresh_token",
                           refresh_token=first["refresh_token"],
                           client_id=sandbox.info.client_id).json()
        assert again["access_token"] != first["access_token"]
        assert "refresh_token" not in again

    def test_jwt_bearer_with_registered_certificate(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """An assertion signed by the registered certificate's key buys a token."""
        key, cert = rsa_pair()
        control("POST", "/sandbox/jwt-certificates", {"certificate": cert})
        body = token_call(sandbox, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
                          assertion=assertion(key, jwt_claims(sandbox))).json()
        assert client(sandbox, body["access_token"]).limits()

    def test_jwt_signed_by_unknown_key_is_refused(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """An assertion whose signature no registered certificate verifies fails."""
        _, cert = rsa_pair()
        control("POST", "/sandbox/jwt-certificates", {"certificate": cert})
        stranger, _ = rsa_pair()
        response = token_call(
            sandbox, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion=assertion(stranger, jwt_claims(sandbox)),
        )
        assert response.status_code == 400
        assert response.json() == {"error": "invalid_grant",
                                   "error_description": "invalid assertion"}

    def test_expired_jwt_is_refused(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """An assertion past its exp is refused."""
        key, cert = rsa_pair()
        control("POST", "/sandbox/jwt-certificates", {"certificate": cert})
        claims = {**jwt_claims(sandbox), "exp": int(time.time()) - 10}
        response = token_call(
            sandbox, grant_type="urn:ietf:params:oauth:grant-type:jwt-bearer",
            assertion=assertion(key, claims),
        )
        assert response.json()["error"] == "invalid_grant"


class TestSessions:
    def test_expired_token_raises_expired_session(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """After expire-now, calls get 401 INVALID_SESSION_ID."""
        sf = client(sandbox)
        control("POST", "/sandbox/tokens/expire")
        with pytest.raises(SalesforceExpiredSession) as caught:
            sf.limits()
        assert caught.value.content == [
            {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"},
        ]

    def test_token_expires_after_ttl(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """A token older than the TTL on the sandbox clock is refused."""
        sf = client(sandbox)
        control("POST", "/sandbox/clock/advance", {"seconds": 7201})
        with pytest.raises(SalesforceExpiredSession):
            sf.limits()

    def test_revoked_token_is_refused(self, sandbox: RunningSandbox) -> None:
        """A revoked access token stops working."""
        sf = client(sandbox)
        http_session(sandbox.info.ca_bundle).post(
            f"{sandbox.info.instance_url}/services/oauth2/revoke",
            data={"token": sf.session_id},
        ).raise_for_status()
        with pytest.raises(SalesforceExpiredSession):
            sf.limits()

    def test_unknown_token_is_refused(self, sandbox: RunningSandbox) -> None:
        """A made-up token is a 401."""
        with pytest.raises(SalesforceExpiredSession):
            client(sandbox, "00D!nonsense").limits()
