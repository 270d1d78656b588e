"""The ``regal-sync`` command."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from pathlib import Path

from regalsync.suite.demo import run_scenario
from regalsync.suite.local_suite import LocalSuite, SuiteError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = asyncio.run(args.run(args))
    except KeyboardInterrupt:
        return EXIT_OK
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regal-sync", description="Two-way sync between Salesforce and Regal.")
    commands = parser.add_subparsers(title="commands")

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
    return parser


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
        return EXIT_OK if ok else EXIT_FAILED
    except SuiteError as error:
        _say(f"error: {error}")
        return EXIT_FAILED
    finally:
        with contextlib.suppress(Exception):
            await suite.stop()


def _say(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
