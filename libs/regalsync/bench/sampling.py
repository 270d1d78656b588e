"""Sample CPU time and memory of a set of processes while a scenario runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil

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
    def cpu_seconds(self) -> float:
        """CPU seconds used by the processes since sampling began."""
        return sum(self._last[pid] - self._start[pid] for pid in self._last)

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
