"""The supervisor can start a process at a lower CPU priority."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from regalsync.suite.supervisor import ProcessSpec, Supervisor

_SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]


async def test_a_process_runs_at_its_niceness(tmp_path: Path) -> None:
    supervisor = Supervisor(tmp_path, grace_seconds=5)
    try:
        await supervisor.start(ProcessSpec("plain", _SLEEPER))
        await supervisor.start(ProcessSpec("yielding", _SLEEPER, niceness=7))
        plain, yielding = supervisor.pid("plain"), supervisor.pid("yielding")
        assert plain is not None and yielding is not None
        ours = os.getpriority(os.PRIO_PROCESS, 0)
        assert os.getpriority(os.PRIO_PROCESS, plain) == ours
        assert os.getpriority(os.PRIO_PROCESS, yielding) == min(ours + 7, 19)
    finally:
        await supervisor.stop()
