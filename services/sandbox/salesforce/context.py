"""The sandbox's configuration and the live state its handlers share."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from sandbox.salesforce.clock import SandboxClock
from sandbox.salesforce.faults import FaultInjector
from sandbox.salesforce.store import OrgStore
from sandbox.salesforce.tokens import ConnectedApp, TokenAuthority
from sandbox.salesforce.usage import ApiUsage


@dataclass(frozen=True)
class SandboxConfig:
    """How to start one sandbox org."""

    state_dir: Path
    host: str = "127.0.0.1"
    port: int = 8443
    pubsub_port: int | None = 7443
    state_file: Path | None = None
    daily_api_limit: int = 15000
    token_ttl_seconds: float = 7200.0
    client_id: str = "3MVG9regalsync.sandbox.client"
    # A well-known default: the sandbox is test equipment on loopback.
    client_secret: str = "sandbox-client-secret"  # noqa: S105
    username: str = "integration@example.com"
    metadata_dir: Path | None = None
    # None: control endpoints answer loopback callers only, without a token.
    admin_token: str | None = None
    fault_seed: int | None = None
    # Host names clients reach the sandbox by (a Kubernetes Service's DNS
    # name): the certificate names them, and the first one is the host of
    # the instance URL and Pub/Sub address the sandbox hands out.
    hostnames: tuple[str, ...] = ()


@dataclass
class QueryCursor:
    records: list[dict[str, Any]]
    total_size: int
    batch_size: int


@dataclass
class SandboxState:
    """Everything the HTTP handlers read and change."""

    config: SandboxConfig
    store: OrgStore
    clock: SandboxClock
    tokens: TokenAuthority
    app: ConnectedApp
    usage: ApiUsage
    faults: FaultInjector
    instance_url: str = ""
    bus: Any = None
    cursors: dict[str, QueryCursor] = field(default_factory=dict)
    cursor_counter: int = 0


STATE = web.AppKey("sandbox_state", SandboxState)
