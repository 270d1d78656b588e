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
class SandboxFacts:
    salesforce: dict[str, Any]
    regal: dict[str, Any]


class LocalSuite:
    """The supervised processes of one local regal-sync."""

    def __init__(self, state_dir: Path, *, with_sandboxes: bool,
                 extra_env: Mapping[str, str] | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.with_sandboxes = with_sandboxes
        self._extra_env = dict(extra_env or {})
        self.supervisor = Supervisor(self.state_dir / "logs")
        self.ports: dict[str, int] = {}
        self.endpoints: dict[str, Any] = {}

    @property
    def endpoints_path(self) -> Path:
        return self.state_dir / "endpoints.json"

    async def start(self) -> dict[str, Any]:
        """Start everything, wait until it answers, and write endpoints.json."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        names = [*SERVICES, "ingress"]
        self.ports = dict(zip(names, free_ports(len(names)), strict=True))
        env = self._service_env()
        facts: SandboxFacts | None = None
        credentials: DemoCredentials | None = None
        if self.with_sandboxes:
            credentials = ensure_demo_credentials(self.state_dir)
            facts = await self._start_sandboxes(credentials)
            env.update(_sandbox_env(facts, credentials))
        for name in names:
            await self.supervisor.start(ProcessSpec(
                _PROCESS_NAMES[name], [sys.executable, "-m", _MODULES[name]],
                {**env, "REGALSYNC_GRPC_PORT": str(self.ports[name]),
                 "REGALSYNC_HTTP_PORT": str(self.ports["ingress"])}))
        await self._wait_until_serving()
        self.endpoints = self._endpoint_facts()
        if facts is not None and credentials is not None:
            await self._apply_demo_tenant(facts)
            await self._point_webhooks(facts, credentials)
            await self._wait_for_subscription()
            self.endpoints.update(await _demo_endpoints(facts, credentials, self.ports))
        self.endpoints_path.write_text(json.dumps(self.endpoints, indent=2))
        return self.endpoints

    async def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after the grace)."""
        await self.supervisor.stop()

    def _service_env(self) -> dict[str, str]:
        address = {name: f"127.0.0.1:{port}" for name, port in self.ports.items()}
        return {
            "REGALSYNC_STATE_DIR": str(self.state_dir),
            "REGALSYNC_LOG_FORMAT": "json",
            "REGALSYNC_MAPPING_ADDRESS": address["mapping"],
            "REGALSYNC_MATCHER_ADDRESS": address["matcher"],
            "REGALSYNC_PUBLISHER_ADDRESS": address["publisher"],
            "REGALSYNC_WRITER_ADDRESS": address["writer"],
            "REGALSYNC_WEBHOOK_TOKEN_HEADER": WEBHOOK_TOKEN_HEADER,
            **self._extra_env,
        }

    async def _start_sandboxes(self, credentials: DemoCredentials) -> SandboxFacts:
        sf_dir = self.state_dir / "salesforce-sandbox"
        regal_dir = self.state_dir / "regal-sandbox"
        sf_port, pubsub_port, regal_port = free_ports(3)
        for info in (sf_dir / "salesforce-sandbox.json", regal_dir / "regal-sandbox.json"):
            info.unlink(missing_ok=True)
        await self.supervisor.start(ProcessSpec("salesforce-sandbox", [
            sys.executable, "-m", "sandbox.salesforce", "--port", str(sf_port),
            "--pubsub-port", str(pubsub_port), "--state-dir", str(sf_dir)]))
        await self.supervisor.start(ProcessSpec("regal-sandbox", [
            sys.executable, "-m", "sandbox.regal", "--port", str(regal_port),
            "--api-key", credentials.regal_api_key, "--state-dir", str(regal_dir)]))
        salesforce = await _read_json_file(sf_dir / "salesforce-sandbox.json", "salesforce")
        regal = await _read_json_file(regal_dir / "regal-sandbox.json", "regal")
        async with httpx.AsyncClient(verify=_trusting(salesforce["ca_bundle"])) as http:
            response = await http.post(
                f"{salesforce['instance_url']}/sandbox/jwt-certificates",
                json={"certificate": credentials.certificate_pem})
            response.raise_for_status()
        return SandboxFacts(salesforce, regal)

    async def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        for name in SERVICES:
            await _wait_for_health(f"127.0.0.1:{self.ports[name]}", _GRPC_NAMES[name],
                                   deadline, _PROCESS_NAMES[name])
        url = f"http://127.0.0.1:{self.ports['ingress']}/healthz"
        await _wait_for_http(url, deadline, "ingress-gateway")

    def _endpoint_facts(self) -> dict[str, Any]:
        ingress = f"http://127.0.0.1:{self.ports['ingress']}"
        return {
            "tenant": DEMO_TENANT if self.with_sandboxes else None,
            "ingress": {"base_url": ingress,
                        "regal_webhook_url": f"{ingress}/v1/tenants/{DEMO_TENANT}/regal/webhooks",
                        "regal_webhook_headers": {}},
            "grpc": {name: f"127.0.0.1:{self.ports[name]}" for name in SERVICES},
            "logs": str(self.state_dir / "logs"),
        }

    async def _apply_demo_tenant(self, facts: SandboxFacts) -> None:
        document: dict[str, Any] = yaml.safe_load(DEMO_CONFIG.read_text())
        document["salesforce"]["login_url"] = facts.salesforce["instance_url"]
        document["salesforce"]["auth"]["username"] = facts.salesforce["username"]
        document["regal"]["events_url"] = facts.regal["events_url"]
        channel: Any = make_channel(f"127.0.0.1:{self.ports['mapping']}",
                                    service_names=[_GRPC_NAMES["mapping"]],
                                    timeout_seconds=10)
        async with channel:
            await mapping_pb2_grpc.MappingServiceStub(channel).ApplyConfiguration(
                mapping_pb2.ConfigurationDocument(text=yaml.safe_dump(document),
                                                  source=str(DEMO_CONFIG)))

    async def _point_webhooks(self, facts: SandboxFacts, credentials: DemoCredentials) -> None:
        webhook = self.endpoints["ingress"]["regal_webhook_url"]
        headers = {WEBHOOK_TOKEN_HEADER: credentials.webhook_token}
        async with httpx.AsyncClient() as http:
            response = await http.post(f"{facts.regal['base_url']}/sandbox/webhooks", json={
                "api_key": credentials.regal_api_key, "url": webhook, "headers": headers})
            response.raise_for_status()
        self.endpoints["ingress"]["regal_webhook_headers"] = headers

    async def _wait_for_subscription(self) -> None:
        url = f"{self.endpoints['ingress']['base_url']}/v1/status"
        deadline = time.monotonic() + _START_TIMEOUT
        async with httpx.AsyncClient() as http:
            while time.monotonic() < deadline:
                status = (await http.get(url)).json()
                if status["subscriptions"].get(DEMO_TENANT) == "live":
                    return
                await asyncio.sleep(0.2)
        raise SuiteError("the ingress did not subscribe to the demo tenant's change events")


def _sandbox_env(facts: SandboxFacts, credentials: DemoCredentials) -> dict[str, str]:
    return {
        "REGALSYNC_SALESFORCE_CA_BUNDLE": facts.salesforce["ca_bundle"],
        "REGALSYNC_PUBSUB_ADDRESS": facts.salesforce["pubsub_address"],
        "DEMO_SF_CLIENT_ID": facts.salesforce["client_id"],
        "DEMO_SF_PRIVATE_KEY": credentials.private_key_pem,
        "DEMO_REGAL_API_KEY": credentials.regal_api_key,
        "DEMO_REGAL_WEBHOOK_TOKEN": credentials.webhook_token,
    }


async def _demo_endpoints(facts: SandboxFacts, credentials: DemoCredentials,
                          ports: Mapping[str, int]) -> dict[str, Any]:
    sf = facts.salesforce
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
        "regal": {"base_url": facts.regal["base_url"], "api_key": credentials.regal_api_key},
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
