"""Run a service's asyncio main until SIGTERM or SIGINT, then stop it.

The first signal sets the stop event the main coroutine waits on; it then
has ``grace_seconds`` to drain in-flight work and return. If it is still
running after the grace, or a second signal arrives, it is cancelled.
Kubernetes sends SIGTERM and kills the pod after its grace period, so the
service's grace must be shorter than the pod's.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

import structlog

__all__ = ["EXIT_FAILURE", "EXIT_OK", "run_service"]

EXIT_OK = 0
EXIT_FAILURE = 1
_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
# How long a cancelled main may take to unwind before we give up on it.
_CANCEL_WAIT_SECONDS = 2.0

ServiceMain = Callable[[asyncio.Event], Awaitable[None]]

logger = structlog.get_logger(__name__)


def run_service(main: ServiceMain, *, grace_seconds: float) -> int:
    """Run ``main(stop)`` and return the process exit code.

    ``main`` receives an event that is set when the process is asked to
    stop; it should then drain and return. Exit code 0 means a clean stop
    (or ``main`` returned on its own); 1 means it crashed or overran the
    grace. Use as ``raise SystemExit(run_service(main, grace_seconds=20))``.
    """
    return asyncio.run(_Supervisor(main, grace_seconds).run())


class _Supervisor:
    """Wire the stop signals to one running main task."""

    def __init__(self, main: ServiceMain, grace_seconds: float) -> None:
        self._main = main
        self._grace_seconds = grace_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Future[None] | None = None

    async def run(self) -> int:
        """Run main, stopping it gracefully on the first signal."""
        loop = asyncio.get_running_loop()
        for stop_signal in _STOP_SIGNALS:
            loop.add_signal_handler(stop_signal, self._on_signal, stop_signal)
        try:
            self._task = asyncio.ensure_future(self._main(self._stop))
            await self._until_stop_requested(self._task)
            if not self._task.done():
                return await self._drain(self._task)

            return _exit_code(self._task)
        finally:
            for stop_signal in _STOP_SIGNALS:
                loop.remove_signal_handler(stop_signal)

    async def _until_stop_requested(self, task: asyncio.Future[None]) -> None:
        stop_requested = asyncio.ensure_future(self._stop.wait())
        waiters: set[asyncio.Future[Any]] = {task, stop_requested}
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        stop_requested.cancel()

    async def _drain(self, task: asyncio.Future[None]) -> int:
        done, _ = await asyncio.wait({task}, timeout=self._grace_seconds)
        if done:
            return _exit_code(task)
        logger.error("shutdown_grace_exceeded", grace_seconds=self._grace_seconds)
        task.cancel()
        await asyncio.wait({task}, timeout=_CANCEL_WAIT_SECONDS)

        return EXIT_FAILURE

    def _on_signal(self, received: signal.Signals) -> None:
        if not self._stop.is_set():
            logger.info("shutdown_requested", signal=received.name)
            self._stop.set()
            return
        logger.warning("shutdown_forced", signal=received.name)
        if self._task is not None:
            self._task.cancel()


def _exit_code(task: asyncio.Future[None]) -> int:
    if task.cancelled():
        return EXIT_FAILURE
    error = task.exception()
    if error is not None:
        logger.error("service_crashed", exc_info=error)
        return EXIT_FAILURE
    logger.info("service_stopped")

    return EXIT_OK
