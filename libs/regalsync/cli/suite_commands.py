"""``regal-sync up`` and ``regal-sync demo``: the suite on one machine."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

from regalsync.cli import exit_codes
from regalsync.suite.demo import run_scenario
from regalsync.suite.local_suite import LocalSuite, SuiteError


def register(commands: Any) -> None:
    """Add ``up`` and ``demo``."""
    up = commands.add_parser("up", help="run the five services as supervised processes")
    up.add_argument("--sandbox", action="store_true",
                    help="also start both sandboxes and apply the demo tenant")
    _state_dir_option(up)
    up.set_defaults(run=_up)

    demo = commands.add_parser("demo", help="run the suite on sandboxes and narrate a scenario")
    demo.add_argument("--once", action="store_true",
                      help="exit after the scenario (non-zero if a step failed)")
    _state_dir_option(demo)
    demo.set_defaults(run=_demo)


def _state_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--state-dir", type=Path, default=Path(".state"),
                        help="where databases, logs and endpoints.json live (default .state)")


async def _up(args: argparse.Namespace) -> int:
    suite = LocalSuite(args.state_dir, with_sandboxes=args.sandbox)
    return await _run(suite, scenario=False, once=False)


async def _demo(args: argparse.Namespace) -> int:
    suite = LocalSuite(args.state_dir, with_sandboxes=True)
    return await _run(suite, scenario=True, once=args.once)


async def _run(suite: LocalSuite, *, scenario: bool, once: bool) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        _say("Starting regal-sync ...")
        await suite.start()
        _say(f"Up. Endpoints: {suite.endpoints_path}")
        _say(f"Logs: {suite.state_dir / 'logs'}")
        ok = True
        if scenario:
            ok = await run_scenario(suite.endpoints, _say)
            _say("Scenario passed." if ok else "Scenario FAILED.")
        if not once:
            _say("Running; press Ctrl-C to stop.")
            await stop.wait()
        return exit_codes.OK if ok else exit_codes.FAILED
    except SuiteError as error:
        _say(f"error: {error}")
        return exit_codes.FAILED
    finally:
        with contextlib.suppress(Exception):
            await suite.stop()


def _say(line: str) -> None:
    print(line, flush=True)
