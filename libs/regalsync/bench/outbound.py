"""Outbound: Salesforce changes through the suite to Regal, beside the floor."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from regalsync.bench.figures import Figures
from regalsync.bench.org_client import OrgClient, RegalInbox
from regalsync.bench.sampling import ProcessSampler, record_processes
from regalsync.suite.local_suite import LocalSuite

BATCH = 200
_DEADLINE_SECONDS = 300


def run_outbound(suite: LocalSuite, *, events: int, rate: float,
                 work_dir: Path) -> tuple[Figures, Figures]:
    """Create ``events`` Contacts across the tenants' orgs; time their arrival."""
    orgs = [OrgClient(tenant.salesforce) for tenant in suite.tenants]
    inbox = RegalInbox(suite.regal["base_url"])
    inbox.new_events()
    usage_before = [org.api_usage() for org in orgs]
    sent_at: dict[str, float] = {}
    received: dict[str, tuple[float, dict[str, Any]]] = {}
    measured = Figures("regal-sync")
    everyone = suite.supervisor.names()
    with ProcessSampler(lambda: {n: suite.supervisor.pid(n) for n in everyone}) as sampler:
        started = time.time()
        generator = threading.Thread(target=_generate, args=(orgs, events, rate, sent_at))
        generator.start()
        deadline = time.monotonic() + _DEADLINE_SECONDS
        while (generator.is_alive() or len(received) < len(sent_at)) and \
                time.monotonic() < deadline:
            for at, body in inbox.new_events():
                # Two sandbox orgs may hand out the same ids: key by the link.
                link = body.get("traits", {}).get("salesforceLink")
                if body.get("name") == "Salesforce Contact Created" and link:
                    received.setdefault(str(link), (at, body))
            time.sleep(0.2)
        generator.join()
    finished = max((at for at, _ in received.values()), default=time.time())
    measured.events = len(received)
    measured.seconds = finished - started
    measured.latencies_ms = [(at - sent_at[rid]) * 1000 for rid, (at, _) in received.items()
                             if rid in sent_at]
    record_processes(measured, sampler, suite.service_processes())
    generator_calls = sum(org.calls for org in orgs)
    measured.salesforce_api_calls = sum(
        org.api_usage() - before for org, before in zip(orgs, usage_before, strict=True)
    ) - generator_calls
    if measured.events < len(sent_at):
        measured.notes.append(f"only {measured.events} of {len(sent_at)} events arrived")
    keys = {t.salesforce["instance_url"]: t.regal_api_key for t in suite.tenants}
    payloads = [[_key_for(body, keys), body] for _, body in received.values()]
    # Regal counts each account's requests over a sliding second: let the
    # suite's last deliveries leave it, so the floor starts with a full one.
    time.sleep(1.5)
    floor = run_floor(payloads, suite.regal["events_url"], work_dir)
    for org in orgs:
        org.close()
    inbox.close()
    return measured, floor


def run_floor(payloads: list[list[Any]], url: str, work_dir: Path) -> Figures:
    """Post the same bodies from one bare process; measure its cost."""
    path = work_dir / "floor-events.json"
    path.write_text(json.dumps(payloads))
    started = time.time()
    process = subprocess.Popen(  # noqa: S603 - our own module, our own arguments
        [sys.executable, "-m", "regalsync.bench.floor", str(path), url],
                               stdout=subprocess.PIPE, text=True)
    watched = psutil.Process(process.pid)
    peak = 0.0
    times = watched.cpu_times()
    while process.poll() is None:
        try:
            times = watched.cpu_times()
            peak = max(peak, watched.memory_info().rss / 1e6)
        except psutil.Error:
            break
        time.sleep(0.1)
    out, _ = process.communicate()
    report = json.loads(out or "{}")
    floor = Figures("outbound floor", events=len(payloads),
                    seconds=float(report.get("seconds", time.time() - started)),
                    cpu_seconds=times.user + times.system, peak_rss_mb={"floor": peak})
    floor.notes.append(f"floor: {report.get('requests', 0)} requests for {len(payloads)} "
                       "events; its CPU includes interpreter start-up")
    return floor


def _generate(orgs: list[OrgClient], events: int, rate: float,
              sent_at: dict[str, float]) -> None:
    started = time.monotonic()
    # Paced runs send small batches often, as users' edits would arrive.
    batch = BATCH if not rate else max(1, min(BATCH, int(rate / 10)))
    for index, first in enumerate(range(0, events, batch)):
        size = min(batch, events - first)
        if rate:
            wait = started + first / rate - time.monotonic()
            if wait > 0:
                time.sleep(wait)
        org = orgs[index % len(orgs)]
        records = [{"LastName": f"Bench{first + i}", "Phone": f"+1202555{(first + i):04d}"}
                   for i in range(size)]
        ids = org.create("Contact", records)
        now = time.time()
        for record_id in ids:
            sent_at[f"{org.instance_url}/{record_id}"] = now


def _key_for(body: dict[str, Any], keys: dict[str, str]) -> str:
    link = str(body.get("traits", {}).get("salesforceLink", ""))
    for instance, key in keys.items():
        if link.startswith(instance):
            return key
    return next(iter(keys.values()))
