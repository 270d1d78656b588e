"""Run the whole suite (seven real processes) for end-to-end tests.

The suite runs on its own event loop in a background thread, so tests
stay plain synchronous code that talks to the processes the way users
do: simple-salesforce to the Salesforce sandbox, HTTP to Regal's sandbox
and to the ingress.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import requests
from simple_salesforce.api import Salesforce

from regalsync.suite.background import suite_in_background
from regalsync.suite.local_suite import LocalSuite

T = TypeVar("T")


class SuiteHandle:
    """A running suite and the clients a test needs."""

    def __init__(self, suite: LocalSuite, loop: asyncio.AbstractEventLoop) -> None:
        self.suite = suite
        self._loop = loop
        self.endpoints = suite.endpoints

    def salesforce(self) -> Salesforce:
        facts = self.endpoints["salesforce"]
        session = requests.Session()
        session.trust_env = False
        session.verify = facts["ca_bundle"]
        return Salesforce(instance_url=facts["instance_url"], session_id=facts["access_token"],
                          session=session)

    def regal_events(self) -> list[dict[str, Any]]:
        response = httpx.get(f"{self.endpoints['regal']['base_url']}/sandbox/events")
        response.raise_for_status()
        return [e["body"] for e in response.json()["events"]]

    def regal_control(self, path: str, body: dict[str, Any]) -> Any:
        response = httpx.post(f"{self.endpoints['regal']['base_url']}{path}",
                              json={"api_key": self.endpoints["regal"]["api_key"], **body},
                              timeout=30)
        response.raise_for_status()
        return response.json()

    def post_webhook(self, body: Any) -> httpx.Response:
        ingress = self.endpoints["ingress"]
        return httpx.post(ingress["regal_webhook_url"], json=body,
                          headers=ingress["regal_webhook_headers"], timeout=10)

    def kill(self, process: str) -> int:
        """SIGKILL a process; the supervisor restarts it. Return the old pid."""
        pid = self.suite.supervisor.pid(process)
        assert pid is not None, f"{process} is not running"
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_restarted(self, process: str, old_pid: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid = self.suite.supervisor.pid(process)
            if pid is not None and pid != old_pid:
                return
            time.sleep(0.1)
        raise AssertionError(f"{process} was not restarted")

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(120)


@contextmanager
def running_suite(state_dir: Path, **env: str) -> Iterator[SuiteHandle]:
    """Start the suite with sandboxes; stop every process afterwards."""
    suite = LocalSuite(state_dir, with_sandboxes=True, extra_env=env)
    with suite_in_background(suite) as background:
        yield SuiteHandle(suite, background.loop)


def eventually(probe: Callable[[], T | None], *, timeout: float = 30.0,
               what: str = "condition") -> T:
    """Poll ``probe`` until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)
