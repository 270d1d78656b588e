"""Measure the CPU each HTTP client spends per small POST to Regal's events API.

Starts the Regal sandbox as its own process (so its work is not counted),
then sends the same small event body with aiohttp's ClientSession and with
httpx's AsyncClient, ``--concurrency`` requests in flight at a time, and
prints this process's CPU time per request for each. The figures back
docs/adr/0001-regal-http-client.md.

    .venv/bin/python scripts/bench_regal_http_clients.py --requests 3000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable

import aiohttp
import httpx

KEY = "bench-key"
BODY = json.dumps({"name": "Salesforce Lead Updated", "eventSource": "salesforce",
                   "traits": {"phone": "+12025550123", "firstName": "Ada"},
                   "properties": {"updated_properties_sf": ["FirstName"]}}).encode()
HEADERS = {"Authorization": KEY, "Content-Type": "application/json"}
Post = Callable[[], Awaitable[int]]


async def measure(post: Post, requests: int, concurrency: int) -> tuple[float, float]:
    """Return (CPU ms per request, wall seconds) for ``requests`` posts."""
    for _ in range(50):
        await post()  # warm the connection pool up
    remaining = iter(range(requests))

    async def lane() -> None:
        for _ in remaining:
            status = await post()
            if status != 200:
                raise RuntimeError(f"Regal sandbox answered {status}")

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane() for _ in range(concurrency)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return cpu * 1000 / requests, wall


async def with_aiohttp(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    async with aiohttp.ClientSession() as session:
        async def post() -> int:
            async with session.post(url, data=BODY, headers=HEADERS) as response:
                await response.read()
                return response.status
        return await measure(post, requests, concurrency)


async def with_httpx(url: str, requests: int, concurrency: int) -> tuple[float, float]:
    async with httpx.AsyncClient() as client:
        async def post() -> int:
            response = await client.post(url, content=BODY, headers=HEADERS)
            return response.status_code
        return await measure(post, requests, concurrency)


def start_sandbox() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
        [sys.executable, "-m", "sandbox.regal", "--port", "0", "--api-key", KEY,
         "--rate-limit", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    facts = json.loads(process.stdout.readline())
    return process, str(facts["events_url"])


async def run(requests: int, concurrency: int, rounds: int) -> None:
    process, url = start_sandbox()
    try:
        for round_number in range(1, rounds + 1):
            for name, client in (("aiohttp", with_aiohttp), ("httpx", with_httpx)):
                cpu_ms, wall = await client(url, requests, concurrency)
                print(json.dumps({"round": round_number, "client": name,
                                  "cpu_ms_per_request": round(cpu_ms, 3),
                                  "requests_per_second": round(requests / wall)}))
    finally:
        process.terminate()
        process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.requests, args.concurrency, args.rounds))


if __name__ == "__main__":
    main()
