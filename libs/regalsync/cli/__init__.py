"""The ``regal-sync`` command: one entry point, a subcommand per job.

``main`` parses the command line and runs the chosen subcommand; each
group lives in its own module and registers its parsers here.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from regalsync.cli import (
    backfill_commands,
    bench_commands,
    config_commands,
    exit_codes,
    ops_commands,
    preview_commands,
    suite_commands,
)
from regalsync.logs import configure_logging

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the chosen subcommand."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0) or a usage error (2)
        return stop.code if isinstance(stop.code, int) else exit_codes.USAGE
    # stdout belongs to results (--json); library log lines go to stderr.
    configure_logging("console", "warning", "regal-sync")
    run = getattr(args, "run", None)
    if run is None:
        getattr(args, "parser", parser).print_help()
        return exit_codes.USAGE
    try:
        code: int = asyncio.run(run(args))
    except KeyboardInterrupt:
        return exit_codes.OK
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="regal-sync", description="Two-way sync between Salesforce and Regal.",
        epilog=exit_codes.EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    common = config_commands.common_options()
    suite_commands.register(commands)
    config_commands.register(commands, common)
    preview_commands.register(commands, common)
    ops_commands.register(commands, common)
    bench_commands.register(commands)
    backfill_commands.register(commands, common)
    return parser


if __name__ == "__main__":
    sys.exit(main())
