"""Run a sandbox org on a background event loop and reach it with simple-salesforce."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import requests
from simple_salesforce import Salesforce

from sandbox.salesforce.app import RunningSandbox, running_sandbox
from sandbox.salesforce.context import SandboxConfig


class BackgroundSandbox:
    """Run ``running_sandbox`` on its own thread until ``stop``."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self.sandbox: RunningSandbox | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RunningSandbox:
        self._thread.start()
        self._ready.wait(timeout=30)
        if self._error is not None:
            raise self._error
        assert self.sandbox is not None
        return self.sandbox

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            async with running_sandbox(self.config) as sandbox:
                self.sandbox = sandbox
                self._ready.set()
                await self._stop.wait()
        except BaseException as exc:
            self._error = exc
            self._ready.set()


@contextlib.contextmanager
def background_sandbox(config: SandboxConfig) -> Iterator[RunningSandbox]:
    runner = BackgroundSandbox(config)
    try:
        yield runner.start()
    finally:
        runner.stop()


def http_session(ca_bundle: str) -> requests.Session:
    """Return a session that trusts only the sandbox's CA (env vars ignored)."""
    session = requests.Session()
    session.trust_env = False
    session.verify = ca_bundle
    return session


def get_token(sandbox: RunningSandbox) -> str:
    info = sandbox.info
    response = http_session(info.ca_bundle).post(
        f"{info.instance_url}/services/oauth2/token",
        data={"grant_type": "client_credentials", "client_id": info.client_id,
              "client_secret": info.client_secret},
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def client(sandbox: RunningSandbox, token: str | None = None,
           headers: dict[str, str] | None = None) -> Salesforce:
    session = http_session(sandbox.info.ca_bundle)
    session.headers.update(headers or {})
    return Salesforce(
        instance_url=sandbox.info.instance_url, session_id=token or get_token(sandbox),
        session=session,
    )
