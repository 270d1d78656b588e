"""SIGTERM and SIGINT stop a service cleanly within its grace period."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator

import pytest

CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from regalsync.lifecycle import run_service
    from regalsync.logs import configure_logging

    BEHAVIOUR = sys.argv[1]

    async def main(stop: asyncio.Event) -> None:
        print("ready", flush=True)
        if BEHAVIOUR == "crash":
            raise RuntimeError("boom")
        if BEHAVIOUR == "stuck":
            await asyncio.Event().wait()
        await stop.wait()
        await asyncio.sleep(0.05)  # stands for draining in-flight work
        print("drained", flush=True)

    configure_logging("json", "info", "child")
    raise SystemExit(run_service(main, grace_seconds=float(sys.argv[2])))
    """
)

Child = subprocess.Popen[str]
Spawn = Callable[..., Child]


@pytest.fixture
def spawn() -> Iterator[Spawn]:
    """Start a service process that is ready for signals; kill leftovers."""
    started: list[Child] = []

    def start(behaviour: str, grace_seconds: float = 5.0) -> Child:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, behaviour, str(grace_seconds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(child)
        assert child.stdout is not None
        assert child.stdout.readline() == "ready\n"
        return child

    yield start
    for child in started:
        if child.poll() is None:
            child.kill()
            child.communicate()


def wait_for_line(child: Child, fragment: str) -> None:
    # Signals sent back to back may merge into one; wait for the first
    # to be handled before sending the next.
    assert child.stderr is not None
    for line in child.stderr:
        if fragment in line:
            return
    raise AssertionError(f"child exited before logging {fragment}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_signal_drains_and_exits_zero(
    spawn: Spawn, stop_signal: signal.Signals
) -> None:
    """A stop signal lets main drain, then the process exits 0."""
    child = spawn("drain")

    child.send_signal(stop_signal)
    stdout, stderr = child.communicate(timeout=5)

    assert child.returncode == 0, stderr
    assert stdout == "drained\n"
    assert '"shutdown_requested"' in stderr


def test_overrunning_grace_is_cancelled(spawn: Spawn) -> None:
    """A main that ignores the stop is cancelled after the grace, exit 1."""
    child = spawn("stuck", grace_seconds=0.3)

    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, stderr = child.communicate(timeout=5)

    assert child.returncode == 1
    assert time.monotonic() - started < 3
    assert '"shutdown_grace_exceeded"' in stderr


def test_second_signal_forces_stop(spawn: Spawn) -> None:
    """A second signal during the grace stops the service at once."""
    child = spawn("stuck", grace_seconds=30)

    child.send_signal(signal.SIGINT)
    wait_for_line(child, '"shutdown_requested"')
    child.send_signal(signal.SIGINT)
    _, stderr = child.communicate(timeout=5)

    assert child.returncode == 1
    assert '"shutdown_forced"' in stderr


def test_crash_exits_nonzero(spawn: Spawn) -> None:
    """A main that raises ends the process with exit code 1 and a log line."""
    child = spawn("crash")

    _, stderr = child.communicate(timeout=5)

    assert child.returncode == 1
    assert '"service_crashed"' in stderr
