"""Verify the RS256 assertions of the OAuth JWT bearer flow."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.salesforce.tokens import OAuthError


def verify_assertion(
    assertion: str, certificates: Sequence[bytes], *, client_id: str,
    username_exists: Callable[[str], bool], audiences: Sequence[str], now: float,
) -> str:
    """Check an assertion's signature and claims; return the subject username."""
    try:
        header_b64, payload_b64, signature_b64 = assertion.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
        signature = _unb64(signature_b64)
    except (ValueError, binascii.Error):
        raise OAuthError("invalid_grant", "invalid assertion") from None
    if not isinstance(header, dict) or header.get("alg") != "RS256":
        raise OAuthError("invalid_grant", "invalid assertion")
    signed = f"{header_b64}.{payload_b64}".encode("ascii")
    if not any(_verifies(cert, signed, signature) for cert in certificates):
        raise OAuthError("invalid_grant", "invalid assertion")
    return _check_claims(claims, client_id, username_exists, audiences, now)


def _check_claims(
    claims: Any, client_id: str, username_exists: Callable[[str], bool],
    audiences: Sequence[str], now: float,
) -> str:
    if not isinstance(claims, dict):
        raise OAuthError("invalid_grant", "invalid assertion")
    if claims.get("iss") != client_id:
        raise OAuthError("invalid_client_id", "client identifier invalid")
    if claims.get("aud") not in audiences:
        raise OAuthError("invalid_grant", "audience is invalid")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= now:
        raise OAuthError("invalid_grant", "expired authorization code")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not username_exists(subject):
        raise OAuthError("invalid_grant", "user hasn't approved this consumer")
    return subject


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    """Read an RSA public key from a certificate or a bare public key PEM."""
    if b"CERTIFICATE" in pem:
        key: Any = x509.load_pem_x509_certificate(pem).public_key()
    else:
        key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("JWT bearer certificates must hold an RSA key")
    return key


def _verifies(pem: bytes, signed: bytes, signature: bytes) -> bool:
    try:
        load_public_key(pem).verify(signature, signed, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
