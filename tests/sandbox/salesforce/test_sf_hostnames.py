"""The sandbox can be reached, and verified, by the names clients use."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

from sandbox.salesforce.__main__ import parse_args
from sandbox.salesforce.app import running_sandbox
from sandbox.salesforce.context import SandboxConfig
from sandbox.salesforce.tls import certified_hostnames, ensure_tls

SERVICE_NAME = "sync-regal-sync-salesforce-sandbox.sync.svc"


async def handshake(port: int, ca_bundle: str, server_hostname: str) -> bool:
    """Tell whether a client verifying ``server_hostname`` accepts the sandbox."""
    context = ssl.create_default_context(cafile=ca_bundle)
    try:
        _, writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=context, server_hostname=server_hostname)
    except ssl.SSLCertVerificationError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def test_hostname_is_repeatable_on_the_command_line() -> None:
    """Every --hostname given is kept, in order."""
    config = parse_args(["--state-dir", "/tmp/x", "--hostname", SERVICE_NAME,
                         "--hostname", "salesforce-sandbox"])

    assert config.hostnames == (SERVICE_NAME, "salesforce-sandbox")


async def test_clients_verify_the_sandbox_by_its_service_name(tmp_path: Path) -> None:
    """A pod calling the sandbox by its Service's DNS name trusts its certificate."""
    config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=None,
                           hostnames=(SERVICE_NAME,))
    async with running_sandbox(config) as sandbox:
        port = int(sandbox.info.instance_url.rsplit(":", 1)[1])

        assert sandbox.info.instance_url == f"https://{SERVICE_NAME}:{port}"
        assert await handshake(port, sandbox.info.ca_bundle, SERVICE_NAME)
        assert await handshake(port, sandbox.info.ca_bundle, "localhost")


async def test_without_hostnames_only_localhost_is_certified(tmp_path: Path) -> None:
    """By default the certificate names localhost, not other hosts."""
    config = SandboxConfig(state_dir=tmp_path, port=0, pubsub_port=None)
    async with running_sandbox(config) as sandbox:
        port = int(sandbox.info.instance_url.rsplit(":", 1)[1])

        assert sandbox.info.instance_url == f"https://127.0.0.1:{port}"
        assert not await handshake(port, sandbox.info.ca_bundle, SERVICE_NAME)


def test_a_new_name_reissues_the_stored_certificate(tmp_path: Path) -> None:
    """State made for localhost gets a certificate naming a newly asked-for host."""
    ensure_tls(tmp_path, ("localhost",))

    files = ensure_tls(tmp_path, (SERVICE_NAME, "localhost"))

    assert certified_hostnames(files.server_cert) == {SERVICE_NAME, "localhost"}


def test_known_names_keep_the_stored_certificate(tmp_path: Path) -> None:
    """Restarting with the same names keeps the CA clients already trust."""
    first = ensure_tls(tmp_path, (SERVICE_NAME, "localhost")).ca_cert.read_bytes()

    again = ensure_tls(tmp_path, (SERVICE_NAME, "localhost")).ca_cert.read_bytes()

    assert again == first
