"""Run the Salesforce sandbox: ``python -m sandbox.salesforce --state-dir DIR``.

Prints one JSON line with the connection facts on stdout once serving,
logs to stderr, and stops gracefully (saving state) on SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from regalsync.logs import configure_logging
from sandbox.salesforce.app import running_sandbox
from sandbox.salesforce.context import SandboxConfig


def parse_args(argv: list[str] | None = None) -> SandboxConfig:
    """Read the command line into a sandbox configuration."""
    defaults = SandboxConfig(state_dir=Path("."))
    parser = argparse.ArgumentParser(prog="python -m sandbox.salesforce")
    parser.add_argument("--host", default=defaults.host)
    parser.add_argument("--port", type=int, default=defaults.port)
    parser.add_argument("--pubsub-port", type=int, default=defaults.pubsub_port,
                        help="Pub/Sub API port; -1 disables change data capture")
    parser.add_argument("--state-dir", type=Path, required=True)
    parser.add_argument("--state-file", type=Path)
    parser.add_argument("--daily-api-limit", type=int, default=defaults.daily_api_limit)
    parser.add_argument("--token-ttl", type=float, default=defaults.token_ttl_seconds)
    parser.add_argument("--client-id", default=defaults.client_id)
    parser.add_argument("--client-secret", default=defaults.client_secret)
    parser.add_argument("--username", default=defaults.username)
    parser.add_argument("--metadata-dir", type=Path)
    parser.add_argument("--admin-token", help="require this token on /sandbox/ endpoints")
    parser.add_argument("--hostname", action="append", default=[], dest="hostnames",
                        help="a host name clients use (repeatable); the certificate "
                             "names it, and the first one is the advertised host")
    args = parser.parse_args(argv)
    return SandboxConfig(
        state_dir=args.state_dir, host=args.host, port=args.port,
        pubsub_port=None if args.pubsub_port < 0 else args.pubsub_port,
        state_file=args.state_file, daily_api_limit=args.daily_api_limit,
        token_ttl_seconds=args.token_ttl, client_id=args.client_id,
        client_secret=args.client_secret, username=args.username,
        metadata_dir=args.metadata_dir, admin_token=args.admin_token,
        hostnames=tuple(args.hostnames),
    )


async def serve(config: SandboxConfig) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with running_sandbox(config) as sandbox:
        print(sandbox.info.as_json(), flush=True)
        await stop.wait()


def main(argv: list[str] | None = None) -> int:
    configure_logging(service="salesforce-sandbox")
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
