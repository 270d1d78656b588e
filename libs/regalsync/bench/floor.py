"""The outbound floor: post pre-built Regal events with nothing else to do.

Runs as its own process so its CPU can be measured alone. It uses the
publisher's own HTTP client code, concurrency and per-key request window, so
the difference from the suite is everything regal-sync does besides the
unavoidable POST.

    python -m regalsync.bench.floor EVENTS.json URL [--concurrency 32] [--rate 300]

EVENTS.json is a list of ``[api_key, body]`` pairs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

import aiohttp

from regal_publisher.delivery import Fate, post_event
from regal_publisher.rate_limit import RequestWindow


async def post_all(url: str, events: list[tuple[str, bytes]], *, concurrency: int,
                   rate: float) -> int:
    """Post every event until Regal accepts it; return how many requests it took."""
    windows: dict[str, RequestWindow] = {}
    slots = asyncio.Semaphore(concurrency)
    requests = 0

    async def send(http: aiohttp.ClientSession, key: str, body: bytes) -> None:
        nonlocal requests
        window = windows.setdefault(key, RequestWindow(rate))
        while True:
            async with window.slot(), slots:
                requests += 1
                outcome = await post_event(http, url, key, body, timeout_seconds=10)
            if outcome.fate is Fate.DELIVERED:
                return
            await asyncio.sleep(outcome.retry_after or 0.1)

    async with aiohttp.ClientSession() as http:
        await asyncio.gather(*(send(http, key, body) for key, body in events))
    return requests


def main() -> int:
    """Post the events given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("events", type=Path)
    parser.add_argument("url")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rate", type=float, default=300.0)
    args = parser.parse_args()
    pairs = [(key, json.dumps(body).encode())
             for key, body in json.loads(args.events.read_text())]
    requests = asyncio.run(post_all(args.url, pairs, concurrency=args.concurrency,
                                    rate=args.rate))
    print(json.dumps({"events": len(pairs), "requests": requests}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
