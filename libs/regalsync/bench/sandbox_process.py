"""Run one sandbox as its own process for the sandbox benchmark scripts.

``scripts/bench_regal_sandbox.py`` and ``scripts/bench_salesforce_sandbox.py``
start a sandbox module, read its start announcement, optionally profile it
with py-spy, and may run an older copy of the package first (``package_root``)
so before and after come from one run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def running_module(
    module: str, arguments: Sequence[str], work_dir: Path, *,
    package_root: Path | None = None, stop_seconds: float = 30.0,
) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    """Start ``python -m module`` and yield (process, start announcement).

    With ``package_root``, the module is imported from there first. Its
    logs go to ``<work_dir>/<module>.log``, as the suite's supervisor sends them.
    """
    env = dict(os.environ)
    if package_root is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            [str(package_root), *filter(None, [env.get("PYTHONPATH")])])
    with (work_dir / f"{module}.log").open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own module, our own arguments
            [sys.executable, "-m", module, *arguments], env=env,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log)
    try:
        # The first stdout line is the start announcement; EOF means it died.
        line = process.stdout.readline() if process.stdout else b""
        if not line:
            raise RuntimeError(f"{module} did not start; see {work_dir}")
        yield process, json.loads(line)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=stop_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def profiled(pid: int, out_dir: Path | None, label: str) -> Iterator[None]:
    """Record ``pid``'s stacks with py-spy into ``out_dir`` (None: do nothing)."""
    if out_dir is None:
        yield
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    recorder = subprocess.Popen(  # noqa: S603 - a fixed tool with our own arguments
        [str(py_spy), "record", "-p", str(pid), "-o",
         str(out_dir / f"{label.replace(' ', '-')}.txt"), "--format", "raw",
         "--rate", "200", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let py-spy attach before the work starts
    try:
        yield
    finally:
        # SIGINT makes py-spy write its profile and exit.
        recorder.send_signal(signal.SIGINT)
        try:
            recorder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            recorder.kill()


def add_comparison_arguments(parser: argparse.ArgumentParser, package: str) -> None:
    """Add ``--compare-with`` (another copy of ``package``) and ``--py-spy``."""
    parser.add_argument("--compare-with", type=Path, default=None,
                        help=f"a folder holding another {package} package to run first")
    parser.add_argument("--py-spy", type=Path, default=None,
                        help="write a py-spy raw profile of each sandbox here")


RunVariant = Callable[[str, Path | None, argparse.Namespace], None]


def run_compared(run_variant: RunVariant, args: argparse.Namespace) -> int:
    """Run the older copy first when one is given, then the working tree."""
    if args.compare_with is not None:
        run_variant("before", args.compare_with.resolve(), args)
    run_variant("working tree", None, args)
    return 0
