"""Run storage maintenance from the command line.

``python -m regalsync.storage migrate`` applies the migrations the
database at ``REGALSYNC_STORAGE_URL`` (or ``--url``) lacks, then exits:
the Helm chart runs it as a pre-install and pre-upgrade Job. Exit status
0 means the schema is current, 2 a bad URL, 1 an unreachable database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import structlog

from regalsync.logs import configure_logging
from regalsync.storage import StorageUnavailable, UnsupportedStorageUrl, migrate

EXIT_UNAVAILABLE = 1
EXIT_USAGE = 2

log = structlog.get_logger("regalsync.storage.migrate")


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` and run the chosen command; return the exit status."""
    args = _parser().parse_args(argv)
    url = args.url or os.environ.get("REGALSYNC_STORAGE_URL", "")
    configure_logging(os.environ.get("REGALSYNC_LOG_FORMAT", "auto"), "info",
                      "regal-sync-storage")
    if not url:
        print("no storage URL: set REGALSYNC_STORAGE_URL or pass --url", file=sys.stderr)
        return EXIT_USAGE
    try:
        asyncio.run(migrate(url))  # logs storage_migrated with the versions
    except UnsupportedStorageUrl as error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    except (StorageUnavailable, OSError) as error:
        log.error("storage_migration_failed", error=type(error).__name__)
        return EXIT_UNAVAILABLE

    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m regalsync.storage", description="Maintain regal-sync's storage.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("migrate", help="apply missing schema migrations and exit")
    run.add_argument("--url", help="storage URL (default: $REGALSYNC_STORAGE_URL)")

    return parser


if __name__ == "__main__":
    raise SystemExit(main())
