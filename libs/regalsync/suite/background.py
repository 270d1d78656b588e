"""Run a local suite on its own event loop, for synchronous callers.

Tests and the benchmark drive the suite with blocking clients
(simple-salesforce, httpx), so the suite's supervisor lives on a loop in a
background thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from regalsync.suite.local_suite import LocalSuite

T = TypeVar("T")
_TIMEOUT = 180


class BackgroundLoop:
    """An event loop on a daemon thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="suite-loop",
                                        daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the loop and wait for its result."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(_TIMEOUT)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


@contextmanager
def suite_in_background(suite: LocalSuite) -> Iterator[BackgroundLoop]:
    """Start ``suite`` on a background loop; stop every process afterwards."""
    loop = BackgroundLoop()
    try:
        loop.run(suite.start())
        yield loop
    finally:
        try:
            loop.run(suite.stop())
        finally:
            loop.close()
