"""The figures one scenario reports, and how they are printed."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Figures:
    """What one run of one scenario measured."""

    label: str
    events: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    cpu_seconds: float = 0.0
    peak_rss_mb: dict[str, float] = field(default_factory=dict)
    cpu_seconds_by_process: dict[str, float] = field(default_factory=dict)
    salesforce_api_calls: int = 0
    notes: list[str] = field(default_factory=list)
    # (seconds since the start, events done by then), where a run samples it.
    progress: list[tuple[float, int]] = field(default_factory=list, repr=False)

    @property
    def throughput(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    @property
    def steady_throughput(self) -> float:
        """Events per second from the 10% mark of the events to the 90% mark.

        The whole-run figure also counts the time the first events take to
        cross the pipeline and the last ones to leave it, which is latency
        rather than capacity and, in a short run, most of the time.
        """
        if not self.events:
            return 0.0
        low = next((p for p in self.progress if p[1] >= self.events * 0.1), None)
        high = next((p for p in self.progress if p[1] >= self.events * 0.9), None)
        if low is None or high is None or high[0] <= low[0]:
            return 0.0
        return (high[1] - low[1]) / (high[0] - low[0])

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    @property
    def cpu_per_1000(self) -> float:
        return self.cpu_seconds / self.events * 1000 if self.events else 0.0

    @property
    def api_per_1000(self) -> float:
        return self.salesforce_api_calls / self.events * 1000 if self.events else 0.0

    def summary(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("latencies_ms")
        data.pop("progress")
        data.update(throughput_per_s=round(self.throughput, 1),
                    steady_throughput_per_s=round(self.steady_throughput, 1),
                    p50_ms=round(self.percentile(50), 1), p95_ms=round(self.percentile(95), 1),
                    p99_ms=round(self.percentile(99), 1),
                    mean_ms=round(statistics.fmean(self.latencies_ms), 1)
                    if self.latencies_ms else 0.0,
                    cpu_seconds_per_1000=round(self.cpu_per_1000, 3),
                    salesforce_api_calls_per_1000=round(self.api_per_1000, 1))
        return data


_ROWS: tuple[tuple[str, Callable[[Figures], str]], ...] = (
    ("events", lambda f: f"{f.events}"),
    ("throughput (events/s)", lambda f: f"{f.throughput:.1f}"),
    ("steady throughput, 10% to 90% of events (events/s)",
     lambda f: f"{f.steady_throughput:.1f}" if f.steady_throughput else ""),
    ("latency p50 (ms)", lambda f: f"{f.percentile(50):.1f}"),
    ("latency p95 (ms)", lambda f: f"{f.percentile(95):.1f}"),
    ("latency p99 (ms)", lambda f: f"{f.percentile(99):.1f}"),
    ("CPU s per 1,000 events", lambda f: f"{f.cpu_per_1000:.3f}"),
    ("Salesforce API calls per 1,000", lambda f: f"{f.api_per_1000:.1f}"),
    ("peak RSS (MB), largest process", lambda f: f"{max(f.peak_rss_mb.values(), default=0):.0f}"),
)


def table(title: str, measured: Figures, baseline: Figures) -> str:
    """Render one scenario beside its baseline, with the ratio."""
    lines = [f"## {title}", "",
             f"| figure | {measured.label} | {baseline.label} | ratio |", "|---|---|---|---|"]
    for name, render in _ROWS:
        ours, theirs = render(measured), render(baseline)
        if not ours and not theirs:
            continue  # a figure neither run samples
        lines.append(f"| {name} | {ours} | {theirs} | {_ratio(ours, theirs)} |")
    if measured.peak_rss_mb:
        per_service = ", ".join(f"{k} {v:.0f}" for k, v in sorted(measured.peak_rss_mb.items()))
        lines += ["", f"Peak RSS per process (MB): {per_service}"]
    if measured.cpu_seconds_by_process and measured.events:
        per_service = ", ".join(
            f"{k} {v / measured.events * 1000:.2f}"
            for k, v in sorted(measured.cpu_seconds_by_process.items()))
        lines += [f"CPU s per 1,000 events per process: {per_service}"]
    for note in (*measured.notes, *baseline.notes):
        lines.append(f"- {note}")
    return "\n".join(lines) + "\n"


def write_json(path: Path, scenarios: Sequence[tuple[str, Figures, Figures]],
               context: dict[str, Any]) -> None:
    """Write every scenario's figures and the run's context as JSON."""
    path.write_text(json.dumps({"context": context, "scenarios": [
        {"scenario": name, "measured": m.summary(), "baseline": b.summary()}
        for name, m, b in scenarios]}, indent=2))


def _ratio(ours: str, theirs: str) -> str:
    try:
        a, b = float(ours), float(theirs)
    except ValueError:
        return ""
    return f"{a / b:.2f}x" if b else ""
