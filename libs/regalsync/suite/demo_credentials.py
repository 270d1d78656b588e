"""The demo tenant's secrets: a JWT signing key and Regal tokens.

Made once per state directory and reused, so a restarted suite keeps
working against sandboxes that saved their state.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class DemoCredentials:
    private_key_pem: str
    certificate_pem: str
    regal_api_key: str
    webhook_token: str


def ensure_demo_credentials(directory: Path) -> DemoCredentials:
    """Load the demo credentials from ``directory``, creating them once."""
    path = directory / "demo-credentials.json"
    if path.exists():
        return DemoCredentials(**json.loads(path.read_text()))
    directory.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "regal-sync demo")])
    now = dt.datetime.now(dt.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - dt.timedelta(hours=1))
                   .not_valid_after(now + dt.timedelta(days=3650))
                   .sign(key, hashes.SHA256()))
    credentials = DemoCredentials(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()).decode(),
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode(),
        regal_api_key="demo-" + secrets.token_hex(16),
        webhook_token=secrets.token_urlsafe(24),
    )
    path.write_text(json.dumps(credentials.__dict__))
    path.chmod(0o600)
    return credentials
