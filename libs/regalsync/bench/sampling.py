"""Sample CPU time and memory of a set of processes while a scenario runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import psutil

from regalsync.bench.figures import Figures

_INTERVAL = 0.2
# A suite using less than this share of one core counts as quiet.
_QUIET_CORES = 0.05
_QUIET_WINDOW_SECONDS = 0.5


def wait_until_quiet(pids: Callable[[], dict[str, int | None]], *,
                     timeout_seconds: float = 60.0) -> float:
    """Wait until the processes together idle; return the seconds waited.

    Setting a scenario up (seeding records, which the suite then syncs)
    leaves work behind in the pipeline; measured on top of the scenario,
    it would count as the scenario's CPU and latency.
    """
    began = time.monotonic()
    while time.monotonic() - began < timeout_seconds:
        before = _cpu_seconds(pids())
        time.sleep(_QUIET_WINDOW_SECONDS)
        if _cpu_seconds(pids()) - before < _QUIET_CORES * _QUIET_WINDOW_SECONDS:
            break
    return time.monotonic() - began


def _cpu_seconds(pids: dict[str, int | None]) -> float:
    total = 0.0
    for pid in pids.values():
        if pid is None:
            continue
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system
    return total


class ProcessSampler:
    """Track CPU seconds and peak RSS per named process, across restarts."""

    def __init__(self, pids: Callable[[], dict[str, int | None]]) -> None:
        self._pids = pids
        self._start: dict[int, float] = {}
        self._last: dict[int, float] = {}
        self._names: dict[int, str] = {}
        self.peak_rss_mb: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sample()

    @property
    def cpu_seconds_by_name(self) -> dict[str, float]:
        """CPU seconds per process name (a restarted process adds up)."""
        used: dict[str, float] = {}
        for pid, last in self._last.items():
            name = self._names[pid]
            used[name] = used.get(name, 0.0) + last - self._start[pid]
        return used

    def _run(self) -> None:
        while not self._stop.wait(_INTERVAL):
            self._sample()

    def _sample(self) -> None:
        for name, pid in self._pids().items():
            if pid is None:
                continue
            try:
                process = psutil.Process(pid)
                times = process.cpu_times()
                rss = process.memory_info().rss / 1e6
            except psutil.Error:
                continue
            used = times.user + times.system
            self._start.setdefault(pid, used)
            self._last[pid] = used
            self._names[pid] = name
            self.peak_rss_mb[name] = max(self.peak_rss_mb.get(name, 0.0), rss)


def record_processes(figures: Figures, sampler: ProcessSampler, services: list[str]) -> None:
    """Put the services' CPU and memory in ``figures``; note the rest apart.

    The sandboxes stand in for Salesforce and Regal, which would run
    elsewhere, so their CPU is reported beside the services', not in it.
    """
    used = sampler.cpu_seconds_by_name
    figures.cpu_seconds_by_process = {n: s for n, s in used.items() if n in services}
    figures.cpu_seconds = sum(figures.cpu_seconds_by_process.values())
    figures.peak_rss_mb = {n: mb for n, mb in sampler.peak_rss_mb.items() if n in services}
    others = sum(s for n, s in used.items() if n not in services)
    if figures.events and others:
        figures.notes.append(f"sandboxes (not counted above): {others / figures.events * 1000:.2f}"
                             " CPU s per 1,000 events")
