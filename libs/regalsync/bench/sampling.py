"""Sample CPU time and memory of a set of processes while a scenario runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil

from regalsync.bench.figures import Figures

_INTERVAL = 0.2


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
