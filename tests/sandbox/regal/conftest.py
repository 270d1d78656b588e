"""Fixtures: a running Regal sandbox, a publisher's client and a webhook receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web
from regal_support import KEY_A, KEY_B, Receiver

from sandbox.regal.app import RunningSandbox, running_regal_sandbox
from sandbox.regal.settings import SandboxSettings


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """Serve a webhook receiver on an ephemeral loopback port."""
    target = Receiver()
    app = web.Application()
    app.router.add_post("/regal/webhooks", target.handle)
    runner = web.AppRunner(app, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    target.url = f"http://{host}:{port}/regal/webhooks"
    yield target
    target.released.set()
    await runner.cleanup()


@pytest.fixture
def settings() -> SandboxSettings:
    """Return two accounts and Regal's default rate limit."""
    return SandboxSettings(api_keys=(KEY_A, KEY_B))


@pytest.fixture
async def sandbox(settings: SandboxSettings) -> AsyncIterator[RunningSandbox]:
    """Run the sandbox in-process on an ephemeral port."""
    async with running_regal_sandbox(settings) as running:
        yield running


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[httpx.AsyncClient]:
    """Return an HTTP client aimed at the sandbox, as a publisher builds one."""
    async with httpx.AsyncClient(base_url=sandbox.base_url, timeout=10.0) as http:
        yield http
