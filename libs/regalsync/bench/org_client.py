"""The load generator's own view of a sandbox org and of Regal's sandbox.

It speaks Salesforce's REST API (sObject Collections, 200 records a call)
exactly as any integration would; the control endpoints are used only to
read the sandbox's API counter and to inject latency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import httpx

API = "/services/data/v59.0"


class OrgClient:
    """A synchronous REST client for one sandbox org."""

    def __init__(self, facts: dict[str, Any]) -> None:
        self._base = facts["instance_url"]
        self.instance_url: str = facts["instance_url"]
        self._http = httpx.Client(verify=_context(facts["ca_bundle"]), timeout=60)
        token = self._http.post(f"{self._base}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": facts["client_id"],
            "client_secret": facts["client_secret"]}).json()["access_token"]
        self._http.headers["Authorization"] = f"Bearer {token}"
        self.calls = 0

    def create(self, object_type: str, records: Sequence[dict[str, Any]]) -> list[str]:
        """Create up to 200 records in one call; return their ids in order."""
        body = {"allOrNone": True,
                "records": [{"attributes": {"type": object_type}, **r} for r in records]}
        answer = self._http.post(f"{self._base}{API}/composite/sobjects", json=body)
        self.calls += 1
        answer.raise_for_status()
        return [str(result["id"]) for result in answer.json()]

    def count(self, soql: str) -> int:
        """Run a COUNT() query."""
        answer = self._http.get(f"{self._base}{API}/query", params={"q": soql})
        self.calls += 1
        answer.raise_for_status()
        return int(answer.json()["totalSize"])

    def api_usage(self) -> int:
        """Read the org's API counter (a control call; not counted)."""
        return int(self._http.get(f"{self._base}/sandbox/api-usage").json()["used"])

    def inject_latency(self, latency_ms: int) -> None:
        """Slow every REST data call down by ``latency_ms``."""
        self._http.delete(f"{self._base}/sandbox/faults")
        if latency_ms:
            self._http.post(f"{self._base}/sandbox/faults", json={
                "path_prefix": "/services/data", "latency_ms": latency_ms})

    def close(self) -> None:
        self._http.close()


class RegalInbox:
    """Read what Regal's sandbox received, incrementally."""

    def __init__(self, base_url: str) -> None:
        self._base = base_url
        self._http = httpx.Client(timeout=60)
        self._next = 0

    def new_events(self) -> list[tuple[float, dict[str, Any]]]:
        """Return (received epoch seconds, body) for events since the last call."""
        answer = self._http.get(f"{self._base}/sandbox/events", params={"since": self._next})
        answer.raise_for_status()
        events = answer.json()["events"]
        if events:
            self._next = int(events[-1]["index"]) + 1
        return [(dt.datetime.fromisoformat(e["received_at"]).timestamp(), e["body"])
                for e in events]

    def close(self) -> None:
        self._http.close()


def _context(ca_bundle: str) -> Any:
    import ssl

    return ssl.create_default_context(cafile=ca_bundle)
