"""Start processes, restart the ones that crash, stop them all together."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 30.0
# A process that stayed up this long is healthy again: reset its backoff.
_STABLE_SECONDS = 60.0


@dataclass(frozen=True)
class ProcessSpec:
    """How to start one supervised process."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str] = field(default_factory=dict)
    # Added to the niceness the process inherits: above 0, it yields the
    # CPU to the others (see os.nice).
    niceness: int = 0


@dataclass
class _Child:
    spec: ProcessSpec
    process: asyncio.subprocess.Process | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = _FIRST_BACKOFF
    watcher: asyncio.Task[None] | None = None


class Supervisor:
    """Keep a set of OS processes running until told to stop."""

    def __init__(self, log_dir: Path, *, grace_seconds: float = 25.0) -> None:
        self._log_dir = log_dir
        self._grace = grace_seconds
        self._children: dict[str, _Child] = {}
        self._stopping = False

    async def start(self, spec: ProcessSpec) -> None:
        """Start ``spec`` now and restart it whenever it dies."""
        child = _Child(spec)
        self._children[spec.name] = child
        await self._launch(child)
        child.watcher = asyncio.create_task(self._watch(child), name=f"watch-{spec.name}")

    def names(self) -> list[str]:
        """Name every process this supervisor started."""
        return list(self._children)

    def pid(self, name: str) -> int | None:
        """Return the current pid of a process, if it runs."""
        process = self._children[name].process
        return None if process is None or process.returncode is not None else process.pid

    def restarts(self, name: str) -> int:
        """Return how often a process was restarted after dying."""
        return self._children[name].restarts

    def log_path(self, name: str) -> Path:
        """Return the file that receives a process's output."""
        return self._log_dir / f"{name}.log"

    async def stop(self) -> None:
        """SIGTERM every process, wait the grace period, then SIGKILL."""
        self._stopping = True
        for child in self._children.values():
            if child.watcher is not None:
                child.watcher.cancel()
        running = [c.process for c in self._children.values()
                   if c.process is not None and c.process.returncode is None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        waits = [asyncio.wait_for(p.wait(), self._grace) for p in running]
        for process, outcome in zip(running, await asyncio.gather(*waits, return_exceptions=True),
                                    strict=True):
            if isinstance(outcome, TimeoutError):
                log.warning("process_killed_after_grace", pid=process.pid)
                with contextlib.suppress(ProcessLookupError):
                    process.kill()
                await process.wait()

    async def _launch(self, child: _Child) -> None:
        self._log_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **child.spec.env}
        with self.log_path(child.spec.name).open("ab") as output:
            child.process = await asyncio.create_subprocess_exec(
                *child.spec.argv, env=env, stdin=asyncio.subprocess.DEVNULL,
                stdout=output, stderr=output, start_new_session=True,
            )
        if child.spec.niceness:
            pid = child.process.pid
            inherited = os.getpriority(os.PRIO_PROCESS, pid)
            os.setpriority(os.PRIO_PROCESS, pid, inherited + child.spec.niceness)
        child.started_at = time.monotonic()
        log.info("process_started", process=child.spec.name, pid=child.process.pid)

    async def _watch(self, child: _Child) -> None:
        while not self._stopping:
            assert child.process is not None
            code = await child.process.wait()
            if self._stopping:
                return
            if time.monotonic() - child.started_at > _STABLE_SECONDS:
                child.backoff = _FIRST_BACKOFF
            log.warning("process_exited", process=child.spec.name, code=code,
                        restart_in_s=child.backoff)
            await asyncio.sleep(child.backoff)
            child.backoff = min(child.backoff * 2, _MAX_BACKOFF)
            child.restarts += 1
            await self._launch(child)
