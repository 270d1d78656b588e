"""Assemble and run the sandbox org: HTTPS REST + OAuth, and the Pub/Sub API.

``running_sandbox`` is the in-process API tests use; ``__main__`` wraps it
for the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from aiohttp import web

from sandbox.salesforce import bulk_jobs, control, http_api, ids, oauth
from sandbox.salesforce.clock import SandboxClock
from sandbox.salesforce.context import STATE, SandboxConfig, SandboxState
from sandbox.salesforce.faults import FaultInjector
from sandbox.salesforce.metadata import load_org_objects
from sandbox.salesforce.persistence import load_state, save_state
from sandbox.salesforce.store import OrgStore
from sandbox.salesforce.tls import TlsFiles, ensure_tls
from sandbox.salesforce.tokens import ConnectedApp, TokenAuthority
from sandbox.salesforce.usage import ApiUsage

log = structlog.get_logger(__name__)
FACTS_FILE = "salesforce-sandbox.json"
# The org id is fixed so saved state and client configuration stay valid.
ORG_COUNTER = 4_815_162
_GRPC_GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class SandboxInfo:
    """What a client needs to reach the sandbox org."""

    instance_url: str
    pubsub_address: str | None
    ca_bundle: str
    org_id: str
    client_id: str
    client_secret: str
    username: str

    def as_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass(frozen=True)
class RunningSandbox:
    info: SandboxInfo
    state: SandboxState


def build_state(config: SandboxConfig) -> SandboxState:
    """Create the org, its tokens, limits and faults from ``config``."""
    clock = SandboxClock()
    org_id = ids.make_id("00D", ORG_COUNTER)
    store = OrgStore(
        load_org_objects(config.metadata_dir), org_id=org_id, clock=clock.now,
        username=config.username,
    )
    return SandboxState(
        config=config, store=store, clock=clock,
        tokens=TokenAuthority(org_id=org_id, clock=clock.now, ttl_seconds=config.token_ttl_seconds),
        app=ConnectedApp(config.client_id, config.client_secret),
        usage=ApiUsage(config.daily_api_limit, clock.now),
        faults=FaultInjector(config.fault_seed),
    )


def build_app(state: SandboxState) -> web.Application:
    """Mount OAuth, REST and control routes around ``state``."""
    app = web.Application(middlewares=[http_api.fault_middleware])
    app[STATE] = state
    oauth.add_routes(app)
    bulk_jobs.add_routes(app)
    http_api.add_routes(app)
    control.add_routes(app)
    return app


@contextlib.asynccontextmanager
async def running_sandbox(config: SandboxConfig) -> AsyncIterator[RunningSandbox]:
    """Serve the sandbox until the block exits, then save state and stop."""
    hostnames = tuple(dict.fromkeys((*config.hostnames, "localhost")))
    tls = await asyncio.to_thread(ensure_tls, config.state_dir, hostnames)
    state = build_state(config)
    if config.state_file is not None and await load_state(state, config.state_file):
        log.info("sandbox_state_loaded", records=_record_count(state))
    runner = web.AppRunner(build_app(state), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port, ssl_context=_server_ssl(tls))
    await site.start()
    host = _advertised_host(config)
    state.instance_url = f"https://{host}:{_bound_port(runner)}"
    grpc_server: Any = None
    pubsub_address = None
    try:
        if config.pubsub_port is not None:
            grpc_server, pubsub_port = await _start_pubsub(state, tls, config.pubsub_port)
            pubsub_address = f"{host}:{pubsub_port}"
        info = _facts(state, tls, pubsub_address)
        await asyncio.to_thread(
            (config.state_dir / FACTS_FILE).write_text, info.as_json() + "\n",
        )
        log.info("sandbox_started", instance_url=state.instance_url, pubsub=pubsub_address)
        yield RunningSandbox(info, state)
    finally:
        await _stop(state, runner, grpc_server)


def _advertised_host(config: SandboxConfig) -> str:
    """Name the host clients should use in the URLs the sandbox hands out."""
    if config.hostnames:
        return config.hostnames[0]
    return "localhost" if config.host in ("0.0.0.0", "::") else config.host


async def _start_pubsub(state: SandboxState, tls: TlsFiles, port: int) -> tuple[Any, int]:
    try:
        from sandbox.salesforce.cdc.bus import ChangeEventBus
        from sandbox.salesforce.cdc.pubsub_server import start_pubsub_server
    except ImportError as exc:
        raise RuntimeError(
            "change data capture needs sandbox.salesforce.cdc; start without a "
            f"Pub/Sub port to run REST only ({exc})",
        ) from exc
    bus = ChangeEventBus(
        {o.name: o for o in state.store.objects()}, org_id=state.store.org_id,
        clock=state.clock.now,
    )
    state.bus = bus
    state.store.listener = bus.publish

    def authenticate(access_token: str, instance_url: str, tenant_id: str) -> bool:
        org = state.store.org_id
        return state.tokens.session(access_token) is not None and tenant_id in (org, org[:15])

    server, bound = await start_pubsub_server(
        bus, authenticate=authenticate, host=state.config.host, port=port, tls=tls,
    )
    return server, bound


async def _stop(state: SandboxState, runner: web.AppRunner, grpc_server: Any) -> None:
    if grpc_server is not None:
        await grpc_server.stop(_GRPC_GRACE_SECONDS)
    await runner.cleanup()
    saved = await save_state(state)
    log.info("sandbox_stopped", saved=saved is not None)


def _facts(state: SandboxState, tls: TlsFiles, pubsub_address: str | None) -> SandboxInfo:
    config = state.config
    return SandboxInfo(
        instance_url=state.instance_url, pubsub_address=pubsub_address,
        ca_bundle=str(tls.ca_cert), org_id=state.store.org_id,
        client_id=config.client_id, client_secret=config.client_secret,
        username=config.username,
    )


def _server_ssl(tls: TlsFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls.server_cert, tls.server_key)
    return context


def _bound_port(runner: web.AppRunner) -> int:
    address = runner.addresses[0]
    return int(address[1])


def _record_count(state: SandboxState) -> int:
    return sum(len(rows) for rows in state.store.records.values())

