"""Shared fixtures: one sandbox org for the session, reset before each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sf_harness import background_sandbox, client, http_session
from simple_salesforce import Salesforce

from sandbox.salesforce.app import RunningSandbox
from sandbox.salesforce.context import SandboxConfig


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    state_dir = tmp_path_factory.mktemp("sf-sandbox")
    config = SandboxConfig(state_dir=state_dir, port=0, pubsub_port=None)
    with background_sandbox(config) as running:
        yield running


@pytest.fixture
def control(sandbox: RunningSandbox) -> Callable[..., Any]:
    """Call a /sandbox/ control endpoint and return its JSON answer."""
    session = http_session(sandbox.info.ca_bundle)

    def call(method: str, path: str, json: Any = None, expect: int = 200) -> Any:
        response = session.request(method, f"{sandbox.info.instance_url}{path}", json=json)
        assert response.status_code == expect, response.text
        return response.json()

    return call


@pytest.fixture(autouse=True)
def fresh_org(request: pytest.FixtureRequest) -> None:
    """Start every test that uses the shared sandbox from an empty org."""
    if "sandbox" in request.fixturenames:
        sandbox: RunningSandbox = request.getfixturevalue("sandbox")
        http_session(sandbox.info.ca_bundle).post(
            f"{sandbox.info.instance_url}/sandbox/reset",
        ).raise_for_status()


@pytest.fixture
def sf(sandbox: RunningSandbox) -> Salesforce:
    return client(sandbox)
