"""Measure the Regal sandbox's CPU per accepted event on ``POST /events``.

Starts the sandbox as its own process, the way the local suite does, with
``--keys`` accounts, then posts ``--events`` Contact-created events spread
over the accounts from this process with the outbound floor's own sender
(``regalsync.bench.floor.post_all``: aiohttp, concurrency 32, 300 req/s per
key). Each pass posts the same bodies again: the first creates the
profiles, later ones find them, as the bench's floor does after the suite.
Prints, per pass, accepted events per second and the sandbox process's CPU
seconds per 1,000 events.

    .venv/bin/python scripts/bench_regal_sandbox.py --events 6000

``--compare-with DIR`` also runs a sandbox from ``DIR`` (a folder holding a
``sandbox/regal`` package, e.g. a copy taken before a change) first, so
before and after come from one run on one machine. ``--py-spy DIR`` records
a py-spy profile of each sandbox into ``DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from regalsync.bench.floor import post_all
from regalsync.bench.sandbox_process import (
    add_comparison_arguments,
    profiled,
    run_compared,
    running_module,
)


@dataclass
class PassFigures:
    events: int
    requests: int
    seconds: float
    cpu_seconds: float
    client_cpu_seconds: float

    def line(self, label: str) -> str:
        """Return the pass as one printed line."""
        rate = self.events / self.seconds if self.seconds else 0.0
        per_thousand = self.cpu_seconds * 1000 / self.events if self.events else 0.0
        return (f"{label:<24} {self.events:>6} events {self.requests:>6} requests "
                f"{self.seconds:7.2f} s {rate:8.0f} events/s "
                f"sandbox CPU {per_thousand:6.3f} s per 1,000 events "
                f"(poster {self.client_cpu_seconds * 1000 / self.events:5.3f})")


def contact_events(count: int, keys: list[str]) -> list[tuple[str, bytes]]:
    """Return (api key, body) pairs shaped like the suite's Contact-created events."""
    pairs: list[tuple[str, bytes]] = []
    stamp = "2025-12-03T14:20:00.000Z"
    for n in range(count):
        key_index = n % len(keys)
        record_id = f"003AA{n:010d}QAA"
        body: dict[str, Any] = {
            "name": "Salesforce Contact Created",
            "eventSource": "salesforce",
            "originalTimestamp": stamp,
            "userId": record_id,
            "traits": {
                "firstName": f"Bench{n}",
                "lastName": f"Contact{n}",
                "phone": f"+1202{n:07d}",
                "email": f"bench{n}@example.com",
                "title": "Buyer",
                "address": {"street": f"{n} Main St", "city": "Camden"},
                "salesforceLink": f"https://org{key_index + 1}.sandbox.test/{record_id}",
                "salesforce_contact_id": record_id,
                "optIn": [
                    {"channel": "voice", "subscribed": True, "timestamp": stamp},
                    {"channel": "sms", "subscribed": False, "timestamp": stamp},
                ],
            },
        }
        pairs.append((keys[key_index], json.dumps(body).encode()))
    return pairs


def running_sandbox(
    keys: list[str], rate_limit: int, work_dir: Path, package_root: Path | None,
) -> contextlib.AbstractContextManager[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    """Start ``python -m sandbox.regal`` with one account per key."""
    arguments = ["--port", "0", "--rate-limit", str(rate_limit), "--state-dir", str(work_dir)]
    for key in keys:
        arguments += ["--api-key", key]
    return running_module("sandbox.regal", arguments, work_dir, package_root=package_root,
                          stop_seconds=10)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def run_variant(label: str, package_root: Path | None, args: argparse.Namespace) -> None:
    """Start one sandbox, post the passes, print a line per pass."""
    keys = [f"bench-regal-key-{i + 1}" for i in range(args.keys)]
    events = contact_events(args.events, keys)
    with tempfile.TemporaryDirectory(prefix="bench-regal-") as scratch, \
            running_sandbox(keys, args.sandbox_rate_limit, Path(scratch),
                            package_root) as (process, announcement):
        watched = psutil.Process(process.pid)
        with profiled(process.pid, args.py_spy, label):
            for number in range(1, args.passes + 1):
                if number > 1:
                    # Each pass starts a fresh client window: let the sandbox's
                    # one-second window empty too, or the pass opens with 429s.
                    time.sleep(1.5)
                cpu_before, started = cpu_seconds(watched), time.perf_counter()
                own_before = time.process_time()
                requests = asyncio.run(post_all(
                    announcement["events_url"], events, concurrency=args.concurrency,
                    rate=args.rate))
                figures = PassFigures(len(events), requests, time.perf_counter() - started,
                                      cpu_seconds(watched) - cpu_before,
                                      time.process_time() - own_before)
                print(figures.line(f"{label} pass {number}"), flush=True)


def main() -> int:
    """Run the benchmark the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--keys", type=int, default=5, help="accounts / API keys")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0,
                        help="requests per second per key, as the publisher paces")
    parser.add_argument("--sandbox-rate-limit", type=int, default=300,
                        help="the sandbox's own per-key limit; 0 turns it off")
    add_comparison_arguments(parser, "sandbox/regal")
    return run_compared(run_variant, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
