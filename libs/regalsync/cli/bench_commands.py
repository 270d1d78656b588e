"""``regal-sync bench``: measure the suite beside its baselines."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from regalsync.bench.runner import add_arguments, options_from, run
from regalsync.cli import exit_codes


def register(commands: Any) -> None:
    """Add the bench command."""
    bench = commands.add_parser(
        "bench", help="benchmark the suite against its baselines on the sandboxes",
        description="Start the suite and the sandboxes, drive load through the real "
        "protocols and print one table per scenario beside its baseline.")
    add_arguments(bench)
    bench.set_defaults(run=_bench)


async def _bench(args: argparse.Namespace) -> int:
    code = await asyncio.to_thread(run, options_from(args))
    return exit_codes.OK if code == 0 else exit_codes.FAILED
