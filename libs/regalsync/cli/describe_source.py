"""Fetch the org's describe metadata for validation (ADR 0002).

mapping-service never calls Salesforce, so the command line reads the
describe results and sends them with the document. The connection is the
tenant's active one when the tenant exists (the org it syncs now), else the
document's own; ``${NAME}`` secrets resolve from this process's environment
or ``REGALSYNC_SECRETS_DIR``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc

from regalsync import secrets
from regalsync.cli import exit_codes
from regalsync.cli.admin_client import Mapping as MappingClient
from regalsync.cli.output import CommandFailed
from regalsync.contracts.mapping.v1 import mapping_pb2
from regalsync.salesforce.auth import OAuthCredentials, TokenProvider
from regalsync.salesforce.client import SalesforceApiError, SalesforceClient

# The describe attributes validation reads; the rest is left behind.
_KEPT = ("name", "type", "createable", "updateable", "calculated")


class DescribeUnavailable(CommandFailed):
    """The org's describe metadata could not be read."""

    def __init__(self, message: str) -> None:
        super().__init__(f"{message}; pass --skip-describe to check the structure only",
                         "describe_unavailable", exit_codes.UNAVAILABLE)


def objects_in(document: object) -> list[str]:
    """List the Salesforce objects a document maps (Person Accounts as Account)."""
    found: set[str] = set()
    configurations = document.get("configurations") if isinstance(document, dict) else None
    for config in configurations if isinstance(configurations, list) else []:
        mappings = config.get("object_mappings") if isinstance(config, dict) else None
        for mapping in mappings if isinstance(mappings, list) else []:
            name = mapping.get("object") if isinstance(mapping, dict) else None
            if isinstance(name, str) and name:
                found.add("Account" if name == "PersonAccount" else name)
    return sorted(found)


async def fetch_describe(mapping: MappingClient, document: object) -> bytes:
    """Read describe results for the document's objects from the tenant's org."""
    objects = objects_in(document)
    if not objects:
        return b""
    connection = await _connection(mapping, document)
    executor = ThreadPoolExecutor(2, "describe")
    described: dict[str, Any] = {}
    try:
        client = _client(connection, executor)
        for name in objects:
            body = await _describe_one(client, name)
            if body is not None:
                described[name] = body
    except DescribeUnavailable:
        raise
    except Exception as error:
        raise DescribeUnavailable(f"cannot read the org's describe metadata: {error}") from None
    finally:
        executor.shutdown(wait=False)
    return json.dumps(described).encode()


async def _describe_one(client: SalesforceClient, name: str) -> dict[str, Any] | None:
    try:
        result = await client.describe(name)
    except SalesforceApiError as error:
        if error.status == 404:
            return None  # the object does not exist; validation says so
        raise
    return {"fields": [{k: f.get(k) for k in _KEPT} for f in result.get("fields", [])]}


async def _connection(mapping: MappingClient,
                      document: object) -> mapping_pb2.SalesforceConnection:
    tenant_id = document.get("tenant") if isinstance(document, dict) else None
    if isinstance(tenant_id, str) and tenant_id:
        try:
            tenant = await mapping.call(
                "GetTenant", mapping_pb2.GetTenantRequest(tenant_id=tenant_id))
            connection: mapping_pb2.SalesforceConnection = tenant.salesforce
            return connection
        except grpc.aio.AioRpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                raise
    return _document_connection(document)


def _document_connection(document: object) -> mapping_pb2.SalesforceConnection:
    salesforce = _section(document, "salesforce")
    auth = _section(salesforce, "auth")
    return mapping_pb2.SalesforceConnection(
        login_url=str(salesforce.get("login_url", "")), auth_flow=str(auth.get("flow", "")),
        client_id=str(auth.get("client_id", "")), username=str(auth.get("username", "")),
        client_secret_ref=str(auth.get("client_secret", "") or ""),
        private_key_ref=str(auth.get("private_key", "") or ""),
        refresh_token_ref=str(auth.get("refresh_token", "") or ""))


def _section(value: object, key: str) -> Mapping[str, Any]:
    inner = value.get(key) if isinstance(value, dict) else None
    return inner if isinstance(inner, dict) else {}


def _client(connection: mapping_pb2.SalesforceConnection,
            executor: ThreadPoolExecutor) -> SalesforceClient:
    secrets_dir = os.environ.get("REGALSYNC_SECRETS_DIR")
    directory = Path(secrets_dir) if secrets_dir else None

    def secret(ref: str) -> str:
        return secrets.resolve(ref, secrets_dir=directory) if ref else ""

    try:
        credentials = OAuthCredentials(
            login_url=connection.login_url, flow=connection.auth_flow,
            client_id=secret(connection.client_id), username=connection.username,
            client_secret=secret(connection.client_secret_ref),
            private_key_pem=secret(connection.private_key_ref),
            refresh_token=secret(connection.refresh_token_ref))
    except secrets.MissingSecret as error:
        raise DescribeUnavailable(str(error)) from None
    ca_bundle = os.environ.get("REGALSYNC_SALESFORCE_CA_BUNDLE") or None
    tokens = TokenProvider(credentials, ca_bundle=ca_bundle)
    return SalesforceClient(tokens, executor=executor,
                            ca_bundle=ca_bundle, call_options_client="regalsync-cli")


def merge_files(paths: Iterable[Path]) -> bytes:
    """Merge saved describe files ({"<Object>": {...}}) into one request body."""
    merged: dict[str, Any] = {}
    for path in paths:
        merged.update(json.loads(path.read_text()))
    return json.dumps(merged).encode()
