"""Bring up the five services (and optionally both sandboxes) on one machine.

Every process is a separate OS process under the supervisor, on free
loopback ports, sharing one SQLite file in the state directory unless
``REGALSYNC_STORAGE_URL`` says otherwise. With sandboxes, the demo tenant
is applied and Regal's webhooks are pointed at the ingress; everything a
client needs is written to ``<state dir>/endpoints.json``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import ssl
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml
from grpc_health.v1 import health_pb2, health_pb2_grpc

from regalsync.channels import make_channel
from regalsync.contracts.mapping.v1 import mapping_pb2, mapping_pb2_grpc
from regalsync.suite.demo_credentials import DemoCredentials, ensure_demo_credentials
from regalsync.suite.ports import free_ports
from regalsync.suite.supervisor import ProcessSpec, Supervisor

DEMO_TENANT = "demo"
DEMO_CONFIG = Path(__file__).resolve().parents[3] / "deploy" / "demo" / "demo-tenant.yaml"
WEBHOOK_TOKEN_HEADER = "X-Regal-Webhook-Token"  # noqa: S105 - a header name
SERVICES = ("mapping", "matcher", "publisher", "writer")
_MODULES = {
    "mapping": "mapping_service", "matcher": "matcher_service",
    "publisher": "regal_publisher", "writer": "salesforce_writer",
    "ingress": "ingress_gateway",
}
_GRPC_NAMES = {
    "mapping": "regalsync.mapping.v1.MappingService",
    "matcher": "regalsync.matcher.v1.MatcherService",
    "publisher": "regalsync.publisher.v1.RegalPublisher",
    "writer": "regalsync.writer.v1.SalesforceWriter",
}
_PROCESS_NAMES = {
    "mapping": "mapping-service", "matcher": "matcher-service",
    "publisher": "regal-publisher", "writer": "salesforce-writer",
    "ingress": "ingress-gateway",
}
_START_TIMEOUT = 60.0


class SuiteError(RuntimeError):
    """The suite could not be brought up; the message says which part."""


@dataclass(frozen=True)
class TenantSandbox:
    """One demo tenant: its Salesforce sandbox and its Regal account."""

    tenant: str
    env_prefix: str
    salesforce: dict[str, Any]
    regal_api_key: str
    webhook_token: str


class LocalSuite:
    """The supervised processes of one local regal-sync.

    ``tenants`` demo tenants (``demo``, ``demo2``, ...) each get their own
    Salesforce sandbox (one org each, sharing one CA) and their own account
    in the one Regal sandbox. ``replicas`` runs more than one process of a
    service (``{"matcher": 2}``); callers balance over all of them.
    ``sandbox_niceness`` lowers the sandboxes' CPU priority, so that on one
    machine they take only what the services leave, as remote systems would.
    """

    def __init__(self, state_dir: Path, *, with_sandboxes: bool, tenants: int = 1,
                 replicas: Mapping[str, int] | None = None,
                 extra_env: Mapping[str, str] | None = None,
                 sandbox_niceness: int = 0) -> None:
        self.state_dir = state_dir.resolve()
        self.with_sandboxes = with_sandboxes
        self._sandbox_niceness = sandbox_niceness
        self.tenant_count = tenants
        self._replicas = {name: 1 for name in (*SERVICES, "ingress")} | dict(replicas or {})
        self._extra_env = dict(extra_env or {})
        self.supervisor = Supervisor(self.state_dir / "logs")
        self.ports: dict[str, list[int]] = {}
        self.tenants: list[TenantSandbox] = []
        self.regal: dict[str, Any] = {}
        self.endpoints: dict[str, Any] = {}

    @property
    def endpoints_path(self) -> Path:
        return self.state_dir / "endpoints.json"

    def service_processes(self) -> list[str]:
        """Name every process of the five services (sandboxes excluded)."""
        return [process_name(name, i) for name in (*SERVICES, "ingress")
                for i in range(self._replicas[name])]

    async def start(self) -> dict[str, Any]:
        """Start everything, wait until it answers, and write endpoints.json."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        if self.with_sandboxes:
            self._forget_previous_sandbox_run()
        names = [*SERVICES, "ingress"]
        ports = iter(free_ports(sum(self._replicas[n] for n in names)))
        self.ports = {n: [next(ports) for _ in range(self._replicas[n])] for n in names}
        env = self._service_env()
        credentials: DemoCredentials | None = None
        if self.with_sandboxes:
            credentials = ensure_demo_credentials(self.state_dir)
            await self._start_sandboxes(credentials)
            env.update(self._sandbox_env(credentials))
        for name in names:
            for index, port in enumerate(self.ports[name]):
                await self.supervisor.start(ProcessSpec(
                    process_name(name, index), [sys.executable, "-m", _MODULES[name]],
                    {**env, "REGALSYNC_GRPC_PORT": str(port),
                     "REGALSYNC_HTTP_PORT": str(port)}))
        await self._wait_until_serving()
        self.endpoints = self._endpoint_facts()
        if credentials is not None:
            for tenant in self.tenants:
                await self._apply_tenant(tenant)
                await self._point_webhooks(tenant)
            await self._wait_for_subscriptions()
            self.endpoints.update(await _demo_endpoints(self.tenants[0], self.regal))
        self.endpoints_path.write_text(json.dumps(self.endpoints, indent=2))
        return self.endpoints

    def _forget_previous_sandbox_run(self) -> None:
        """Drop the embedded database a previous sandbox run left behind.

        The sandboxes start with empty orgs every time, so replay ids, record
        ids and keys stored for the previous run's orgs would point at records
        that no longer exist (and new ones reuse their ids). A storage URL
        given explicitly is never touched.
        """
        if "REGALSYNC_STORAGE_URL" in self._extra_env or "REGALSYNC_STORAGE_URL" in os.environ:
            return
        for leftover in self.state_dir.glob("regalsync.db*"):
            leftover.unlink()

    async def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after the grace)."""
        await self.supervisor.stop()

    def webhook_url(self, tenant: str) -> str:
        """Return the ingress URL that takes a tenant's Regal webhooks."""
        return f"{self.endpoints['ingress']['base_url']}/v1/tenants/{tenant}/regal/webhooks"

    def _address(self, name: str) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.ports[name])

    def _service_env(self) -> dict[str, str]:
        return {
            "REGALSYNC_STATE_DIR": str(self.state_dir),
            "REGALSYNC_LOG_FORMAT": "json",
            "REGALSYNC_MAPPING_ADDRESS": self._address("mapping"),
            "REGALSYNC_MATCHER_ADDRESS": self._address("matcher"),
            "REGALSYNC_PUBLISHER_ADDRESS": self._address("publisher"),
            "REGALSYNC_WRITER_ADDRESS": self._address("writer"),
            "REGALSYNC_WEBHOOK_TOKEN_HEADER": WEBHOOK_TOKEN_HEADER,
            **self._extra_env,
        }

    def _sandbox_env(self, credentials: DemoCredentials) -> dict[str, str]:
        first = self.tenants[0].salesforce
        env = {
            "REGALSYNC_SALESFORCE_CA_BUNDLE": first["ca_bundle"],
            "REGALSYNC_PUBSUB_ADDRESS": first["pubsub_address"],
            "DEMO_SF_CLIENT_ID": first["client_id"],
            "DEMO_SF_PRIVATE_KEY": credentials.private_key_pem,
        }
        for tenant in self.tenants:
            env[f"{tenant.env_prefix}_REGAL_API_KEY"] = tenant.regal_api_key
            env[f"{tenant.env_prefix}_REGAL_WEBHOOK_TOKEN"] = tenant.webhook_token
        return env

    async def _start_sandboxes(self, credentials: DemoCredentials) -> None:
        regal_dir = self.state_dir / "regal-sandbox"
        keys = [_numbered(credentials.regal_api_key, i) for i in range(self.tenant_count)]
        (regal_dir / "regal-sandbox.json").unlink(missing_ok=True)
        regal_port = free_ports(1)[0]
        await self.supervisor.start(ProcessSpec("regal-sandbox", [
            sys.executable, "-m", "sandbox.regal", "--port", str(regal_port),
            *[arg for key in keys for arg in ("--api-key", key)],
            "--state-dir", str(regal_dir)], niceness=self._sandbox_niceness))
        orgs = [await self._start_salesforce(0)]
        for index in range(1, self.tenant_count):
            # One CA for every org: the services trust a single bundle.
            _copy_tls(Path(orgs[0]["ca_bundle"]).parent, self._org_dir(index))
            orgs.append(await self._start_salesforce(index))
        self.regal = await _read_json_file(regal_dir / "regal-sandbox.json", "regal")
        for index, org in enumerate(orgs):
            async with httpx.AsyncClient(verify=_trusting(org["ca_bundle"])) as http:
                response = await http.post(f"{org['instance_url']}/sandbox/jwt-certificates",
                                           json={"certificate": credentials.certificate_pem})
                response.raise_for_status()
            name = DEMO_TENANT if index == 0 else f"{DEMO_TENANT}{index + 1}"
            self.tenants.append(TenantSandbox(
                name, name.upper(), org, keys[index],
                _numbered(credentials.webhook_token, index)))

    def _org_dir(self, index: int) -> Path:
        suffix = "" if index == 0 else f"-{index + 1}"
        return self.state_dir / f"salesforce-sandbox{suffix}"

    async def _start_salesforce(self, index: int) -> dict[str, Any]:
        directory = self._org_dir(index)
        (directory / "salesforce-sandbox.json").unlink(missing_ok=True)
        port, pubsub_port = free_ports(2)
        await self.supervisor.start(ProcessSpec(directory.name, [
            sys.executable, "-m", "sandbox.salesforce", "--port", str(port),
            "--pubsub-port", str(pubsub_port), "--state-dir", str(directory)],
            niceness=self._sandbox_niceness))
        return await _read_json_file(directory / "salesforce-sandbox.json", "salesforce")

    async def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        for name in SERVICES:
            for index, port in enumerate(self.ports[name]):
                await _wait_for_health(f"127.0.0.1:{port}", _GRPC_NAMES[name], deadline,
                                       process_name(name, index))
        for index, port in enumerate(self.ports["ingress"]):
            await _wait_for_http(f"http://127.0.0.1:{port}/healthz", deadline,
                                 process_name("ingress", index))

    def _endpoint_facts(self) -> dict[str, Any]:
        ingress = f"http://127.0.0.1:{self.ports['ingress'][0]}"
        return {
            "tenant": DEMO_TENANT if self.with_sandboxes else None,
            "ingress": {"base_url": ingress,
                        "regal_webhook_url": f"{ingress}/v1/tenants/{DEMO_TENANT}/regal/webhooks",
                        "regal_webhook_headers": {}},
            "grpc": {name: self._address(name) for name in SERVICES},
            "logs": str(self.state_dir / "logs"),
        }

    async def _apply_tenant(self, tenant: TenantSandbox) -> None:
        document: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text())
        document["tenant"] = tenant.tenant
        document["salesforce"]["login_url"] = tenant.salesforce["instance_url"]
        document["salesforce"]["auth"]["username"] = tenant.salesforce["username"]
        # Each sandbox org has its own Pub/Sub port; real orgs share one endpoint.
        document["salesforce"]["pubsub_address"] = tenant.salesforce["pubsub_address"]
        document["regal"]["events_url"] = self.regal["events_url"]
        document["regal"]["api_key"] = f"${{{tenant.env_prefix}_REGAL_API_KEY}}"
        document["regal"]["webhook_token"] = f"${{{tenant.env_prefix}_REGAL_WEBHOOK_TOKEN}}"
        channel: Any = make_channel(f"127.0.0.1:{self.ports['mapping'][0]}",
                                    service_names=[_GRPC_NAMES["mapping"]],
                                    timeout_seconds=10)
        async with channel:
            await mapping_pb2_grpc.MappingServiceStub(channel).ApplyConfiguration(
                mapping_pb2.ConfigurationDocument(text=yaml.safe_dump(document),
                                                  source=str(DEMO_CONFIG)),
                metadata=_admin_metadata(self._extra_env))

    async def _point_webhooks(self, tenant: TenantSandbox) -> None:
        headers = {WEBHOOK_TOKEN_HEADER: tenant.webhook_token}
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{self.regal['base_url']}/sandbox/webhooks", json={
                "api_key": tenant.regal_api_key, "url": self.webhook_url(tenant.tenant),
                "headers": headers})
            response.raise_for_status()
        if tenant.tenant == DEMO_TENANT:
            self.endpoints["ingress"]["regal_webhook_headers"] = headers

    async def _wait_for_subscriptions(self) -> None:
        url = f"{self.endpoints['ingress']['base_url']}/v1/status"
        wanted = {tenant.tenant for tenant in self.tenants}
        deadline = time.monotonic() + _START_TIMEOUT
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                status = (await http.get(url)).json()["subscriptions"]
                if all(status.get(name) == "live" for name in wanted):
                    return
                await asyncio.sleep(0.2)
        raise SuiteError("the ingress did not subscribe to every tenant's change events")


def process_name(service: str, index: int) -> str:
    """Name the ``index``-th process of a service (the first has no number)."""
    base = _PROCESS_NAMES[service]
    return base if index == 0 else f"{base}-{index + 1}"


def _numbered(value: str, index: int) -> str:
    return value if index == 0 else f"{value}-{index + 1}"


def _copy_tls(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for name in ("ca.pem", "server.pem", "server-key.pem"):
        shutil.copy2(source / name, target / name)


def _admin_metadata(env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    token = env.get("REGALSYNC_ADMIN_TOKEN") or os.environ.get("REGALSYNC_ADMIN_TOKEN")
    return (("authorization", f"Bearer {token}"),) if token else ()


async def _demo_endpoints(tenant: TenantSandbox, regal: dict[str, Any]) -> dict[str, Any]:
    sf = tenant.salesforce
    async with httpx.AsyncClient(verify=_trusting(sf["ca_bundle"])) as http:
        response = await http.post(f"{sf['instance_url']}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": sf["client_id"],
            "client_secret": sf["client_secret"]})
        response.raise_for_status()
        token = response.json()
    return {
        "salesforce": {"instance_url": sf["instance_url"], "access_token": token["access_token"],
                       "ca_bundle": sf["ca_bundle"], "pubsub_address": sf["pubsub_address"],
                       "org_id": sf["org_id"]},
        "regal": {"base_url": regal["base_url"], "api_key": tenant.regal_api_key},
    }


async def _read_json_file(path: Path, what: str) -> dict[str, Any]:
    deadline = time.monotonic() + _START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            facts: dict[str, Any] = json.loads(await asyncio.to_thread(path.read_text))
            return facts
        except (FileNotFoundError, ValueError):
            await asyncio.sleep(0.1)  # not written yet, or half written
    raise SuiteError(f"the {what} sandbox did not start (no {path})")


async def _wait_for_health(address: str, service: str, deadline: float, process: str) -> None:
    channel: Any = make_channel(address, service_names=[service], timeout_seconds=2)
    async with channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            try:
                answer = await stub.Check(health_pb2.HealthCheckRequest(service=service),
                                          timeout=2)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except Exception:  # noqa: S110 - not up yet; try again
                pass
            await asyncio.sleep(0.2)
    raise SuiteError(f"{process} did not become SERVING; see its log")


async def _wait_for_http(url: str, deadline: float, process: str) -> None:
    async with httpx.AsyncClient() as http:
        while time.monotonic() < deadline:
            try:
                if (await http.get(url, timeout=2)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise SuiteError(f"{process} did not answer {url}; see its log")


def _trusting(ca_bundle: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)
