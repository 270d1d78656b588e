"""Run the Regal sandbox: ``python -m sandbox.regal --port 0``.

Prints one JSON line on stdout once listening, logs go to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import structlog

from sandbox.regal.app import running_regal_sandbox
from sandbox.regal.settings import DEFAULT_RATE_LIMIT, SandboxSettings

_LOG_LEVELS = ("debug", "info", "warning", "error")


def parse_settings(argv: Sequence[str] | None = None) -> SandboxSettings:
    """Return the settings the command line asks for."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.regal", description="Run a local Regal sandbox.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--api-key", action="append", default=[], dest="api_keys",
                        help="an account's key; repeat for several accounts")
    parser.add_argument("--rate-limit", type=int, default=DEFAULT_RATE_LIMIT,
                        help="requests per second per key; 0 turns it off")
    parser.add_argument("--state-dir", type=Path, default=None,
                        help="where to write regal-sandbox.json on start")
    parser.add_argument("--brand", default="sandbox-brand")
    parser.add_argument("--log-level", choices=_LOG_LEVELS, default="info",
                        help="debug also logs every accepted event")
    args = parser.parse_args(argv)
    if args.rate_limit < 0:
        parser.error("--rate-limit must be 0 or more")
    return SandboxSettings(
        host=args.host, port=args.port, api_keys=tuple(args.api_keys),
        rate_limit=args.rate_limit, state_dir=args.state_dir, brand=args.brand,
        log_level=args.log_level)


async def serve(settings: SandboxSettings) -> None:
    """Serve until SIGTERM or SIGINT, then stop gracefully."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log = structlog.get_logger("sandbox.regal")
    async with running_regal_sandbox(settings) as sandbox:
        print(json.dumps(sandbox.announcement()), flush=True)
        log.info("sandbox_started", base_url=sandbox.base_url,
                 accounts=len(sandbox.api_keys))
        await stop.wait()
        log.info("sandbox_stopping")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sandbox from the command line; return the exit status."""
    settings = parse_settings(argv)
    # stdout carries only the announcement line, so logs go to stderr. Loggers are
    # cached after first use, as rebinding on every request costs.
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[settings.log_level.upper()]),
        cache_logger_on_first_use=True)
    asyncio.run(serve(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
