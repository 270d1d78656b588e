"""Metrics and traces of the running suite after one flow each way.

A Contact created in the Salesforce sandbox travels to Regal, and one
Regal webhook travels to Salesforce.

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
        eventually(lambda: [e for e in suite.regal_events()
                            if e.get("name") == "Salesforce Contact Created"],
                   what="the Contact's event in Regal")
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


    def test_the_ingress_counts_events_taken_in_by_type(self, observed: SuiteHandle) -> None:
        """The webhook counts under its name, the Contact under object and change."""
        samples = scrape(observed, "ingress-gateway")
        assert total(samples, "regalsync_events_total", direction="in", tenant="demo",
                     type="call.completed") == 1
        assert total(samples, "regalsync_events_total", direction="in", tenant="demo",
                     type="Contact.CREATE") >= 1

    def test_the_writer_counts_events_handed_to_salesforce(self, observed: SuiteHandle) -> None:
        """Every write Salesforce applied is an event out, with its lag from Regal's time."""
        samples = scrape(observed, "salesforce-writer")
        assert total(samples, "regalsync_events_total", direction="out", tenant="demo",
                     type="Regal_Event__c") >= 1
        assert total(samples, "regalsync_end_to_end_lag_seconds_count",
                     destination="salesforce", tenant="demo") >= 1

    def test_the_publisher_counts_events_handed_to_regal(self, observed: SuiteHandle) -> None:
        """Every event Regal accepted is an event out, with its lag from the commit."""
        samples = scrape(observed, "regal-publisher")
        assert total(samples, "regalsync_events_total", direction="out", tenant="demo",
                     type="Salesforce Contact Created") >= 1
        assert total(samples, "regalsync_end_to_end_lag_seconds_count",
                     destination="regal", tenant="demo") >= 1

    def test_the_publisher_counts_regal_responses_by_status(
            self, observed: SuiteHandle) -> None:
        """Regal's answers are counted by HTTP status, all of them 2xx here."""
        samples = scrape(observed, "regal-publisher")
        statuses = {dict(labels)["status"]: value for (name, labels), value in samples.items()
                    if name == "regalsync_regal_responses_total"}
        assert statuses and all(status.startswith("2") for status in statuses)

    def test_salesforce_calls_are_counted_by_operation(self, observed: SuiteHandle) -> None:
        """The writer counts its collection calls, succeeded, for the demo tenant."""
        samples = scrape(observed, "salesforce-writer")
        calls = {dict(labels)["operation"] for (name, labels), value in samples.items()
                 if name == "regalsync_salesforce_api_calls_total"
                 and ("outcome", "ok") in labels and ("tenant", "demo") in labels and value}
        assert calls & {"collection", "upsert_collection"}

    def test_the_remaining_salesforce_budget_is_reported(self, observed: SuiteHandle) -> None:
        """The org's calls left today, read from Sforce-Limit-Info, are a positive gauge."""
        samples = scrape(observed, "salesforce-writer")
        assert total(samples, "regalsync_salesforce_api_budget_remaining", tenant="demo") > 0


WEBHOOK_SPAN = "POST /v1/tenants/{tenant}/regal/webhooks"


class TestTraces:
    def _webhook_trace(self, collector: Collector) -> list[ReceivedSpan] | None:
        """Return the webhook request's trace once the writer's delivery is in it."""
        spans = collector.spans()
        requests = [s for s in spans if s.name == WEBHOOK_SPAN]
        assert len(requests) <= 1, "one webhook, one request span"
        if not requests:
            return None
        trace = [s for s in spans if s.trace_id == requests[0].trace_id]
        delivered = any(s.service == "salesforce-writer" and s.name == "salesforce_writes process"
                        for s in trace)
        return trace if delivered else None

    def test_the_webhook_and_its_delivery_are_one_trace(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """The request's trace holds a span of every service on the way, and the write."""
        trace = eventually(lambda: self._webhook_trace(collector), what="the webhook trace")
        names = {(s.service, s.name) for s in trace}
        assert {s.service for s in trace} >= INBOUND_PATH
        assert {("ingress-gateway", "ingress_inbox process"),
                ("salesforce-writer", "salesforce_writes process")} <= names
        assert any(service == "salesforce-writer" and name.startswith("salesforce ")
                   for service, name in names), "the writer's Salesforce call"

    def test_the_webhook_trace_starts_at_the_request(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """Its single root is the ingress's HTTP request span; every hop hangs below it."""
        trace = eventually(lambda: self._webhook_trace(collector), what="the webhook trace")
        ids = {s.span_id for s in trace}
        roots = [s for s in trace if s.parent_id not in ids]
        assert [(r.service, r.name) for r in roots] == [("ingress-gateway", WEBHOOK_SPAN)]

    def test_the_change_and_its_delivery_to_regal_are_one_trace(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """The publisher's delivery continues the trace of the change's processing."""
        def outbound() -> list[ReceivedSpan] | None:
            spans = collector.spans()
            posts = [s for s in spans if s.service == "regal-publisher"
                     and s.name == "regal POST events"]
            for post in posts:
                trace = [s for s in spans if s.trace_id == post.trace_id]
                if any(s.name == "ingress_inbox process" for s in trace):
                    return trace
            return None

        trace = eventually(outbound, what="the outbound trace")
        assert {s.service for s in trace} >= {"ingress-gateway", "mapping-service",
                                              "regal-publisher"}

    def test_server_spans_continue_client_spans(
            self, observed: SuiteHandle, collector: Collector) -> None:
        """Each service's server span is the child of the caller's client span."""
        trace = eventually(lambda: self._webhook_trace(collector), what="the webhook trace")
        by_id = {s.span_id: s for s in trace}
        for span in trace:
            if span.service in ("matcher-service", "salesforce-writer") and span.name in (
                    "regalsync.matcher.v1.MatcherService/Resolve",
                    "regalsync.writer.v1.SalesforceWriter/Enqueue"):
                parent = by_id[span.parent_id]
                assert parent.service == "ingress-gateway"
                assert parent.name == span.name
