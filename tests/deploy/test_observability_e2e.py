"""Metrics and traces of the running suite after one webhook goes through.

The suite runs with ``REGALSYNC_METRICS_PORT=0`` (each process binds a
free port and logs it as ``metrics_serving``) and exports traces to a
small OTLP collector in this process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from otlp_collector import Collector, ReceivedSpan, running_collector
from prometheus_client.parser import text_string_to_metric_families
from suite_harness import SuiteHandle, eventually, running_suite

pytestmark = pytest.mark.e2e

PROCESSES = ("ingress-gateway", "mapping-service", "matcher-service",
             "regal-publisher", "salesforce-writer")
INBOUND_PATH = {"ingress-gateway", "matcher-service", "mapping-service", "salesforce-writer"}
EVENT_ID = "e7" * 16


@pytest.fixture(scope="module")
def collector() -> Iterator[Collector]:
    with running_collector() as running:
        yield running


@pytest.fixture(scope="module")
def observed(tmp_path_factory: pytest.TempPathFactory,
             collector: Collector) -> Iterator[SuiteHandle]:
    """Run the suite traced and metered, and push one webhook through it."""
    env = {"REGALSYNC_METRICS_PORT": "0",
           "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{collector.port}",
           "OTEL_BSP_SCHEDULE_DELAY": "100"}
    with running_suite(tmp_path_factory.mktemp("observed"), **env) as suite:
        sf = suite.salesforce()
        sf.Contact.create({"LastName": "Noether", "Phone": "856.555.0177"})
        response = suite.post_webhook({
            "userId": "regal-profile-7", "originalTimestamp": "1764770000",
            "traits": {"phone": "+18565550177"}, "name": "call.completed",
            "eventId": EVENT_ID, "eventSource": "Regal Voice",
            "properties": {"talk_time": 7, "direction": "OUTBOUND"}})
        assert response.status_code == 200
        soql = f"SELECT Id FROM Regal_Event__c WHERE Event_Id__c = '{EVENT_ID}'"
        eventually(lambda: sf.query(soql)["records"], what="the webhook's event record")
        yield suite


def metrics_port(logs: Path, process: str) -> int:
    """Return the metrics port the process last logged."""
    ports = [entry["port"] for entry in map(json.loads, _json_lines(logs / f"{process}.log"))
             if entry.get("event") == "metrics_serving"]
    assert ports, f"{process} logged no metrics_serving line"
    return int(ports[-1])


def _json_lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.startswith("{")]


def scrape(suite: SuiteHandle, process: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Scrape one process and index its samples by name and labels."""
    port = metrics_port(Path(suite.endpoints["logs"]), process)
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str,
          **labels: str) -> float:
    """Sum the samples of ``name`` whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(value for (sample, have), value in samples.items()
               if sample == name and wanted <= have)


class TestMetrics:
    def test_every_process_serves_metrics(self, observed: SuiteHandle) -> None:
        """Each of the five services answers /metrics with its gRPC histogram."""
        for process in PROCESSES:
            samples = scrape(observed, process)
            assert any(name.startswith("regalsync_") for name, _ in samples), process

    def test_the_inbox_counts_the_webhook_acknowledged(self, observed: SuiteHandle) -> None:
        """The ingress inbox settled the webhook as ack for the demo tenant."""
        samples = scrape(observed, "ingress-gateway")
        assert total(samples, "regalsync_queue_items_settled_total",
                     queue="ingress_inbox", tenant="demo", outcome="ack") >= 1
        assert total(samples, "regalsync_queue_lag_seconds_count",
                     queue="ingress_inbox") >= 1

    def test_the_writer_counts_the_write_acknowledged(self, observed: SuiteHandle) -> None:
        """salesforce-writer settled the resulting write as ack."""
        samples = scrape(observed, "salesforce-writer")
        assert total(samples, "regalsync_queue_items_settled_total",
                     queue="salesforce_writes", outcome="ack") >= 1

    def test_grpc_latency_is_recorded_per_method(self, observed: SuiteHandle) -> None:
        """matcher and mapping timed the Resolve and ToSalesforce calls."""
        matcher = scrape(observed, "matcher-service")
        mapping = scrape(observed, "mapping-service")
        assert total(matcher, "regalsync_grpc_server_handling_seconds_count",
                     method="/regalsync.matcher.v1.MatcherService/Resolve", code="OK") >= 1
        assert total(mapping, "regalsync_grpc_server_handling_seconds_count",
                     method="/regalsync.mapping.v1.MappingService/ToSalesforce",
                     code="OK") >= 1

    def test_queue_depth_is_read_at_scrape_time(self, observed: SuiteHandle) -> None:
        """The writer reports its queue's depth by state, drained to zero."""
        samples = scrape(observed, "salesforce-writer")
        pending = [v for (name, labels), v in samples.items()
                   if name == "regalsync_queue_depth"
                   and ("state", "pending") in labels]
        assert pending == [0.0]


class TestTraces:
    def _inbound_trace(self, collector: Collector) -> list[ReceivedSpan] | None:
        spans = collector.spans()
        enqueues = [s for s in spans if s.service == "salesforce-writer"
                    and s.name.endswith("SalesforceWriter/Enqueue")]
        for enqueue in enqueues:
            trace = [s for s in spans if s.trace_id == enqueue.trace_id]
            if {s.service for s in trace} >= INBOUND_PATH:
                return trace
        return None

    def test_one_webhook_is_one_trace_across_every_service(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """The webhook's trace holds spans of ingress, matcher, mapping and writer."""
        trace = eventually(lambda: self._inbound_trace(collector), what="the inbound trace")
        by_service = {s.service for s in trace}
        assert by_service >= INBOUND_PATH

    def test_the_trace_starts_at_the_ingress_inbox(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """Its single root is the ingress's inbox batch; every hop hangs below it."""
        trace = eventually(lambda: self._inbound_trace(collector), what="the inbound trace")
        ids = {s.span_id for s in trace}
        roots = [s for s in trace if s.parent_id not in ids]
        assert [(r.service, r.name) for r in roots] == [
            ("ingress-gateway", "ingress_inbox process")]

    def test_server_spans_continue_client_spans(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """Each service's server span is the child of the caller's client span."""
        trace = eventually(lambda: self._inbound_trace(collector), what="the inbound trace")
        by_id = {s.span_id: s for s in trace}
        for span in trace:
            if span.service in ("matcher-service", "salesforce-writer") and span.name in (
                    "regalsync.matcher.v1.MatcherService/Resolve",
                    "regalsync.writer.v1.SalesforceWriter/Enqueue"):
                parent = by_id[span.parent_id]
                assert parent.service == "ingress-gateway"
                assert parent.name == span.name
