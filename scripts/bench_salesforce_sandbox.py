"""Measure the Salesforce sandbox's cost per call for the calls the suite's bench makes.

Starts the sandbox as its own process (``python -m sandbox.salesforce``, with
the Pub/Sub API on, so creates publish change events as in the suite),
creates ``--contacts`` Contacts with distinct phones and emails through sObject
Collections, then times:

* searches: SOSL ``FIND {"<digits>" OR ... } IN PHONE FIELDS RETURNING
  Contact(...), Lead(...)`` with 200 OR-ed phone keys, as the matcher sends
  (the first one after the creates is shown apart: it may build an index);
* five such searches sent at once, timed as one batch (the wall time shows
  whether they serialize on the sandbox's event loop);
* Id queries: ``SELECT ... FROM Contact WHERE Id IN (<200 ids>)``;
* creates: ``POST /composite/sobjects`` with 200 Contacts (the setup's own
  creates, measured as they happen).

Prints, per kind of call, milliseconds of wall time and of sandbox CPU per call,
and a digest of the search and query answers (equal digests: equal answers).

    .venv/bin/python scripts/bench_salesforce_sandbox.py --contacts 2000

``--compare-with DIR`` first runs a sandbox from ``DIR`` (a folder holding a
``sandbox/salesforce`` package, e.g. a copy taken before a change), so before
and after come from one run on one machine. ``--py-spy DIR`` records a py-spy
profile of each sandbox into ``DIR``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psutil

from regalsync.bench.org_client import OrgClient
from regalsync.bench.sandbox_process import (
    add_comparison_arguments,
    profiled,
    run_compared,
    running_module,
)

API = "/services/data/v59.0"
BATCH = 200
CONCURRENT_SEARCHES = 5
REPO = Path(__file__).resolve().parents[1]
# Pass the repository's metadata explicitly: a package copied elsewhere
# would otherwise look for it next to itself.
METADATA = REPO / "deploy" / "salesforce" / "force-app" / "main" / "default" / "objects"
CONTACT_FIELDS = "Id, Phone, MobilePhone, HomePhone, OtherPhone, Email, FirstName, LastName"
LEAD_FIELDS = ("Id, Phone, MobilePhone, Email, FirstName, LastName, IsConverted, "
               "ConvertedContactId, ConvertedAccountId")


@dataclass
class Figures:
    """Wall and sandbox CPU time spent on one kind of call."""

    calls: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0

    def line(self, label: str) -> str:
        """Return the figures as one printed line."""
        calls = self.calls or 1
        return (f"{label:<52} {self.calls:>4} calls "
                f"{self.wall_seconds * 1000 / calls:9.1f} ms/call "
                f"{self.cpu_seconds * 1000 / calls:9.1f} sandbox CPU ms/call")


class Meter:
    """Accumulate wall and sandbox CPU time around blocks of calls."""

    def __init__(self, process: psutil.Process) -> None:
        self._process = process

    @contextlib.contextmanager
    def measure(self, figures: Figures, calls: int) -> Iterator[None]:
        cpu_before, started = self._cpu(), time.perf_counter()
        yield
        figures.wall_seconds += time.perf_counter() - started
        figures.cpu_seconds += self._cpu() - cpu_before
        figures.calls += calls

    def _cpu(self) -> float:
        times = self._process.cpu_times()
        return float(times.user + times.system)


def phone(index: int) -> str:
    """Return a distinct, formatted US number, as the suite's bench types them."""
    return f"(303) {500 + index // 10000:03d}-{index % 10000:04d}"


def phone_key(index: int) -> str:
    """Return the digits-only key the matcher searches for ``phone(index)``."""
    return "".join(ch for ch in phone(index) if ch.isdigit())


def search_text(keys: list[str]) -> str:
    """Build a SOSL search shaped like the matcher's phone step."""
    terms = " OR ".join(f'"{key}"' for key in keys)
    return (f"FIND {{{terms}}} IN PHONE FIELDS RETURNING "
            f"Contact({CONTACT_FIELDS}), Lead({LEAD_FIELDS})")


def running_sandbox(
    work_dir: Path, package_root: Path | None,
) -> contextlib.AbstractContextManager[tuple[subprocess.Popen[bytes], dict[str, Any]]]:
    """Start ``python -m sandbox.salesforce`` with the Pub/Sub API on."""
    arguments = ["--port", "0", "--pubsub-port", "0", "--state-dir", str(work_dir),
                 "--metadata-dir", str(METADATA), "--daily-api-limit", "1000000"]
    return running_module("sandbox.salesforce", arguments, work_dir,
                          package_root=package_root)


def reader(facts: dict[str, Any]) -> httpx.Client:
    """Return an authenticated client for searches and queries."""
    client = httpx.Client(verify=ssl.create_default_context(cafile=facts["ca_bundle"]),
                          timeout=120)
    token = client.post(f"{facts['instance_url']}/services/oauth2/token", data={
        "grant_type": "client_credentials", "client_id": facts["client_id"],
        "client_secret": facts["client_secret"]}).json()["access_token"]
    client.headers["Authorization"] = f"Bearer {token}"
    return client


class Answers:
    """Send GETs and fold every answer into one digest.

    Ids are handed out in order, so two sandboxes given the same calls must
    print the same digest: a change that alters an answer shows up here.
    """

    def __init__(self, client: httpx.Client) -> None:
        self._client = client
        self._digest = hashlib.sha256()

    def get(self, url: str, text: str) -> dict[str, Any]:
        answer = self._client.get(url, params={"q": text})
        answer.raise_for_status()
        self._digest.update(answer.content)
        body: dict[str, Any] = answer.json()
        return body

    def digest(self) -> str:
        return self._digest.hexdigest()[:16]


def run_variant(label: str, package_root: Path | None, args: argparse.Namespace) -> None:
    """Start one sandbox, run every kind of call, print a line per kind."""
    with tempfile.TemporaryDirectory(prefix="bench-sf-") as scratch, \
            running_sandbox(Path(scratch), package_root) as (process, facts):
        meter = Meter(psutil.Process(process.pid))
        with profiled(process.pid, args.py_spy, label):
            figures, digest = exercise(facts, meter, args)
    for kind, measured in figures.items():
        print(measured.line(f"{label}: {kind}"), flush=True)
    print(f"{label}: answers digest {digest}", flush=True)


def exercise(
    facts: dict[str, Any], meter: Meter, args: argparse.Namespace,
) -> tuple[dict[str, Figures], str]:
    """Create the Contacts, then search and query them; return figures and digest."""
    figures = {kind: Figures() for kind in (
        f"create {BATCH} Contacts", f"first search of {BATCH} phones",
        f"later searches of {BATCH} phones", f"{CONCURRENT_SEARCHES} searches at once (batch)",
        f"query {BATCH} Ids")}
    create, first_search, search, concurrent, by_id = figures.values()
    org = OrgClient(facts)
    ids: list[str] = []
    for start in range(0, args.contacts, BATCH):
        batch = [{"FirstName": f"Bench{n}", "LastName": f"Contact{n}", "Phone": phone(n),
                  "Email": f"bench{n}@example.com"}
                 for n in range(start, min(start + BATCH, args.contacts))]
        with meter.measure(create, 1):
            ids.extend(org.create("Contact", batch))
    org.close()
    client = reader(facts)
    answers = Answers(client)
    search_url = f"{facts['instance_url']}{API}/search"
    query_url = f"{facts['instance_url']}{API}/query"
    # Half the keys exist, half do not, as when webhooks name unknown callers.
    step = max(1, args.contacts * 2 // BATCH)
    texts = [search_text([phone_key(start + n * step) for n in range(BATCH)])
             for start in range(args.searches + 1)]
    with meter.measure(first_search, 1):
        answers.get(search_url, texts[0])
    for text in texts[1:]:
        with meter.measure(search, 1):
            answers.get(search_url, text)
    # One digest cannot follow answers arriving in any order, so these are not in it.
    with ThreadPoolExecutor(CONCURRENT_SEARCHES) as pool, meter.measure(concurrent, 1):
        list(pool.map(functools.partial(get_json, client, search_url),
                      texts[:CONCURRENT_SEARCHES]))
    for start in range(0, min(len(ids), BATCH * args.searches), BATCH):
        chunk = ids[start:start + BATCH]
        listed = ", ".join(f"'{record_id}'" for record_id in chunk)
        soql = f"SELECT {CONTACT_FIELDS} FROM Contact WHERE Id IN ({listed})"  # noqa: S608
        with meter.measure(by_id, 1):
            size = answers.get(query_url, soql)["totalSize"]
        if size != len(chunk):
            raise RuntimeError(f"an Id query found {size} of {len(chunk)} records")
    client.close()
    return figures, answers.digest()


def get_json(client: httpx.Client, url: str, text: str) -> dict[str, Any]:
    answer = client.get(url, params={"q": text})
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def main() -> int:
    """Run the benchmark the command line asks for."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=2000)
    parser.add_argument("--searches", type=int, default=10,
                        help="searches (and Id queries) to time one by one")
    add_comparison_arguments(parser, "sandbox/salesforce")
    return run_compared(run_variant, parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
