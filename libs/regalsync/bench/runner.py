"""Run the benchmark scenarios and print one table per scenario."""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from regalsync.bench.figures import Figures, table, write_json
from regalsync.bench.inbound import run_inbound, run_naive, seed_contacts
from regalsync.bench.org_client import OrgClient
from regalsync.bench.outbound import run_outbound
from regalsync.bench.storage import storage_env
from regalsync.suite.background import suite_in_background
from regalsync.suite.local_suite import LocalSuite

SCENARIOS = ("outbound", "inbound", "scaling", "all")
# Salesforce and Regal run elsewhere in production; here their sandboxes
# share the two cores, so they yield the CPU to the services under test.
# Their CPU is still measured, and reported apart.
SANDBOX_NICENESS = 10


@dataclass(frozen=True)
class BenchOptions:
    scenario: str
    events: int
    tenants: int
    storage: str
    salesforce_latency_ms: int
    rate: float
    json_path: Path | None
    state_dir: Path | None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare the benchmark's options on ``parser``."""
    parser.add_argument("scenario", choices=SCENARIOS)
    parser.add_argument("--events", type=int, default=1000, help="events per scenario")
    parser.add_argument("--tenants", type=int, default=1,
                        help="tenants, each with its own Salesforce org (outbound)")
    parser.add_argument("--storage", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--salesforce-latency-ms", type=int, default=0,
                        help="latency added to every Salesforce REST call")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="outbound changes, or inbound webhooks, per second "
                        "(0: as fast as possible)")
    parser.add_argument("--json", type=Path, dest="json_path", help="also write figures here")
    parser.add_argument("--state-dir", type=Path, help="keep state and logs here")


def options_from(args: argparse.Namespace) -> BenchOptions:
    return BenchOptions(args.scenario, args.events, args.tenants, args.storage,
                        args.salesforce_latency_ms, args.rate, args.json_path, args.state_dir)


def run(options: BenchOptions) -> int:
    """Run the chosen scenarios; print tables; write JSON when asked."""
    work = options.state_dir or Path(tempfile.mkdtemp(prefix="regalsync-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    results: list[tuple[str, Figures, Figures]] = []
    wanted = SCENARIOS[:-1] if options.scenario == "all" else (options.scenario,)
    print(_context_line(options))
    for scenario in wanted:
        started = time.monotonic()
        measured, baseline, title = _SCENARIO_RUNNERS[scenario](options, work / scenario)
        results.append((scenario, measured, baseline))
        print(table(f"{title} ({time.monotonic() - started:.0f} s)", measured, baseline))
    if options.json_path is not None:
        write_json(options.json_path, results, _context(options))
    return 0


def _outbound(options: BenchOptions, work: Path) -> tuple[Figures, Figures, str]:
    suite = _suite(options, work, tenants=options.tenants)
    with suite_in_background(suite):
        _inject_latency(suite, options.salesforce_latency_ms)
        measured, floor = run_outbound(suite, events=options.events, rate=options.rate,
                                       work_dir=work)
    title = (f"Outbound: {options.events} Contact changes, {options.tenants} tenant(s), "
             f"{options.storage}")
    return measured, floor, title


def _inbound(options: BenchOptions, work: Path) -> tuple[Figures, Figures, str]:
    suite = _suite(options, work, tenants=1)
    with suite_in_background(suite):
        phones = seed_contacts(suite, options.events)
        _inject_latency(suite, options.salesforce_latency_ms)
        measured = run_inbound(suite, phones, run_id="bench", rate=options.rate)
        naive = run_naive(suite, phones, run_id="naive")
    title = (f"Inbound: {options.events} call.completed webhooks for existing Contacts, "
             f"{options.storage}")
    return measured, naive, title


def _scaling(options: BenchOptions, work: Path) -> tuple[Figures, Figures, str]:
    latency = options.salesforce_latency_ms or 100
    figures = []
    for replicas in (1, 2):
        suite = _suite(options, work / f"x{replicas}", tenants=1,
                       replicas={"matcher": replicas, "writer": replicas})
        with suite_in_background(suite):
            phones = seed_contacts(suite, options.events)
            _inject_latency(suite, latency)
            result = run_inbound(suite, phones, run_id=f"scale{replicas}")
            result.label = f"{replicas} matcher + {replicas} writer"
            figures.append(result)
    two, one = figures[1], figures[0]
    two.notes.append(
        f"scaling with {latency} ms Salesforce latency (target at least 1.7): throughput "
        f"x{two.throughput / max(one.throughput, 1e-9):.2f} over the whole run, "
        f"x{two.steady_throughput / max(one.steady_throughput, 1e-9):.2f} steady")
    return two, one, f"Scaling: inbound with {latency} ms Salesforce latency"


_SCENARIO_RUNNERS = {"outbound": _outbound, "inbound": _inbound, "scaling": _scaling}


def _suite(options: BenchOptions, work: Path, *, tenants: int,
           replicas: dict[str, int] | None = None) -> LocalSuite:
    env = storage_env(options.storage, uuid.uuid4().hex[:8])
    return LocalSuite(work, with_sandboxes=True, tenants=tenants, replicas=replicas,
                      extra_env={"REGALSYNC_LOG_LEVEL": "warning", **env},
                      sandbox_niceness=SANDBOX_NICENESS)


def _inject_latency(suite: LocalSuite, latency_ms: int) -> None:
    for tenant in suite.tenants:
        org = OrgClient(tenant.salesforce)
        org.inject_latency(latency_ms)
        org.close()


def _context(options: BenchOptions) -> dict[str, Any]:
    return {"machine": platform.machine(), "python": platform.python_version(),
            "cpus": psutil.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 1e9),
            "events": options.events, "tenants": options.tenants, "storage": options.storage,
            "salesforce_latency_ms": options.salesforce_latency_ms, "rate": options.rate}


def _context_line(options: BenchOptions) -> str:
    context = _context(options)
    return "# regal-sync bench: " + ", ".join(f"{k}={v}" for k, v in context.items()) + "\n"
