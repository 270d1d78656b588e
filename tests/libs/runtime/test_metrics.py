"""Prometheus metrics: served over HTTP, gRPC latency per method and code."""

from __future__ import annotations

from typing import Any

import aiohttp
import grpc
from conftest import TOY_SERVICE, ToyRequest, ToyServicer, toy_act, toy_service
from prometheus_client import CollectorRegistry

from regalsync.grpc_server import GrpcServer
from regalsync.metrics import GrpcMetrics, start_metrics_server


async def scrape(port: int) -> str:
    url = f"http://127.0.0.1:{port}/metrics"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        return await response.text()


async def test_grpc_calls_counted_per_method_and_code(logs: Any) -> None:
    """Each finished call lands in the histogram under its method and code."""
    registry = CollectorRegistry()
    metrics = GrpcMetrics(registry)
    server = GrpcServer([toy_service(ToyServicer())], observers=[metrics.observe])
    await server.start()
    exporter = await start_metrics_server(registry)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            await toy_act(channel)(ToyRequest("echo"))

        text = await scrape(exporter.port)
    finally:
        await exporter.close()
        await server.stop(0)

    method = f"/{TOY_SERVICE}/Act"
    expected = (
        "regalsync_grpc_server_handling_seconds_count"
        f'{{code="OK",method="{method}"}} 1.0'
    )
    assert expected in text
