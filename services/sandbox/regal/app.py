"""Assemble the sandbox's aiohttp application and run it in-process."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from sandbox.regal import control
from sandbox.regal.appkeys import STATE
from sandbox.regal.events_api import post_events
from sandbox.regal.replies import control_errors
from sandbox.regal.settings import SandboxSettings
from sandbox.regal.state import SandboxState

ANNOUNCEMENT_FILE = "regal-sandbox.json"
_MAX_BODY_BYTES = 4 * 1024 * 1024


def build_app(settings: SandboxSettings) -> web.Application:
    """Return the application serving Regal's events API and the controls."""
    app = web.Application(middlewares=[control_errors], client_max_size=_MAX_BODY_BYTES)
    app[STATE] = SandboxState(settings)
    app.router.add_post("/events", post_events)
    app.router.add_get("/sandbox/events", control.get_events)
    app.router.add_get("/sandbox/profiles", control.get_profiles)
    app.router.add_get("/sandbox/profiles/{profile_id}", control.get_profile)
    app.router.add_get("/sandbox/webhook-deliveries", control.get_deliveries)
    app.router.add_post("/sandbox/reset", control.post_reset)
    app.router.add_post("/sandbox/faults", control.post_faults)
    app.router.add_get("/sandbox/faults", control.get_faults)
    app.router.add_delete("/sandbox/faults", control.delete_faults)
    app.router.add_post("/sandbox/faults/release", control.post_release)
    app.router.add_post("/sandbox/webhooks", control.post_webhooks)
    app.router.add_get("/sandbox/webhooks", control.get_webhooks)
    app.router.add_delete("/sandbox/webhooks/{webhook_id}", control.delete_webhook)
    app.router.add_post("/sandbox/trigger", control.post_trigger)
    app.router.add_post("/sandbox/replay", control.post_replay)
    app.cleanup_ctx.append(_webhook_client)
    app.on_shutdown.append(_end_hanging_requests)
    return app


async def _webhook_client(app: web.Application) -> AsyncIterator[None]:
    """Open the HTTP client that delivers webhooks for the app's lifetime."""
    dispatcher = app[STATE].dispatcher
    async with aiohttp.ClientSession(trust_env=False) as session:
        dispatcher.session = session
        yield
        await dispatcher.stop()
        dispatcher.session = None


async def _end_hanging_requests(app: web.Application) -> None:
    """Answer hanging requests so that shutdown does not wait on them."""
    app[STATE].faults.abort()


@dataclass(frozen=True)
class RunningSandbox:
    """Say where a started sandbox listens; ``state`` is for in-process tests."""

    base_url: str
    api_keys: list[str]
    state: SandboxState

    @property
    def events_url(self) -> str:
        """Return the URL a publisher posts events to."""
        return f"{self.base_url}/events"

    def announcement(self) -> dict[str, Any]:
        """Return what the entry point prints and writes on start."""
        return {"base_url": self.base_url, "events_url": self.events_url,
                "api_keys": self.api_keys}


@contextlib.asynccontextmanager
async def running_regal_sandbox(
    settings: SandboxSettings | None = None,
) -> AsyncIterator[RunningSandbox]:
    """Serve a sandbox until the block ends, then stop it gracefully."""
    settings = settings or SandboxSettings()
    app = build_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=settings.shutdown_timeout,
                           access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        host, port = runner.addresses[0][:2]
        sandbox = RunningSandbox(f"http://{_url_host(host)}:{port}",
                                 app[STATE].api_keys, app[STATE])
        if settings.state_dir is not None:
            write_announcement(settings.state_dir, sandbox.announcement())
        yield sandbox
    finally:
        await runner.cleanup()


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def write_announcement(state_dir: Path, announcement: dict[str, Any]) -> Path:
    """Write the start announcement atomically into ``state_dir``."""
    state_dir.mkdir(parents=True, exist_ok=True)
    target = state_dir / ANNOUNCEMENT_FILE
    handle, temporary = tempfile.mkstemp(dir=state_dir, prefix=".regal-sandbox-")
    with os.fdopen(handle, "w") as out:
        json.dump(announcement, out)
        out.write("\n")
    os.replace(temporary, target)
    return target
