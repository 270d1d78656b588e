"""The benchmark's figures and report: what a reader of the table sees."""

from __future__ import annotations

import json
from pathlib import Path

from regalsync.bench.figures import Figures, table, write_json


def _figures(label: str, latencies: list[float]) -> Figures:
    return Figures(label, events=1000, seconds=2.0, latencies_ms=latencies, cpu_seconds=3.0,
                   peak_rss_mb={"matcher-service": 90.0}, salesforce_api_calls=15)


def test_percentiles_pick_the_nearest_rank() -> None:
    """p50/p99 of 1..100 ms are 50 and 99 ms."""
    figures = _figures("x", [float(n) for n in range(1, 101)])

    assert (figures.percentile(50), figures.percentile(99)) == (50.0, 99.0)


def test_table_shows_both_runs_and_their_ratio() -> None:
    """The table puts regal-sync beside the baseline with the ratio."""
    ours = _figures("regal-sync", [10.0])
    baseline = _figures("floor", [5.0])
    baseline.cpu_seconds = 1.0

    rendered = table("Outbound", ours, baseline)

    assert "| CPU s per 1,000 events | 3.000 | 1.000 | 3.00x |" in rendered
    assert "| throughput (events/s) | 500.0 | 500.0 | 1.00x |" in rendered
    assert "Salesforce API calls per 1,000 | 15.0 | 15.0" in rendered


def test_json_report_holds_every_figure(tmp_path: Path) -> None:
    """--json writes measured and baseline figures per scenario."""
    path = tmp_path / "bench.json"

    write_json(path, [("inbound", _figures("a", [1.0]), _figures("b", [2.0]))],
               {"cpus": 2})

    report = json.loads(path.read_text())
    assert report["context"] == {"cpus": 2}
    measured = report["scenarios"][0]["measured"]
    assert measured["throughput_per_s"] == 500.0
    assert measured["salesforce_api_calls_per_1000"] == 15.0


def test_steady_throughput_leaves_out_the_pipeline_filling_and_draining() -> None:
    """1,000 events: none for 3 s while the pipeline fills, then 100/s, then a slow tail."""
    figures = Figures("x", events=1000, seconds=16.0)
    figures.progress = [(t / 2, 0) for t in range(7)] + [
        (3.0 + n, n * 100) for n in range(1, 10)] + [(14.0, 950), (16.0, 1000)]

    assert figures.throughput == 62.5
    assert figures.steady_throughput == 100.0


def test_steady_throughput_row_appears_only_where_progress_was_sampled() -> None:
    sampled = _figures("two", [1.0])
    sampled.progress = [(0.5, 100), (1.5, 900)]
    unsampled = _figures("floor", [1.0])

    assert "steady throughput" not in table("Outbound", unsampled, _figures("b", [1.0]))
    assert "| steady throughput, 10% to 90% of events (events/s) | 800.0 |  |" in table(
        "Scaling", sampled, unsampled)
