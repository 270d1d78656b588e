"""Latency and errors a test asks the sandbox to inject on chosen paths."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

# Error name -> (HTTP status, message) as Salesforce answers them.
FAULT_ERRORS: dict[str, tuple[int, str]] = {
    "SERVER_UNAVAILABLE": (503, "Server temporarily unavailable. Please try again later."),
    "UNABLE_TO_LOCK_ROW": (
        400, "unable to obtain exclusive access to this record or 1 records",
    ),
    "REQUEST_LIMIT_EXCEEDED": (403, "TotalRequests Limit exceeded."),
    "INVALID_SESSION_ID": (401, "Session expired or invalid"),
}


class FaultSpecError(ValueError):
    """A fault rule a test asked for that makes no sense."""


@dataclass
class FaultRule:
    """Inject ``error`` and/or ``latency_ms`` on requests under ``path_prefix``.

    ``count`` limits how many requests are hit; ``probability`` hits each
    matching request with that chance. Neither means every request.
    """

    rule_id: int
    path_prefix: str
    method: str | None = None
    error: str | None = None
    latency_ms: int = 0
    count: int | None = None
    probability: float | None = None
    hits: int = field(default=0)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.rule_id, "path_prefix": self.path_prefix, "method": self.method,
            "error": self.error, "latency_ms": self.latency_ms, "count": self.count,
            "probability": self.probability, "hits": self.hits,
        }


class FaultInjector:
    """Keep fault rules and pick the one, if any, that hits a request."""

    def __init__(self, seed: int | None = None) -> None:
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._random = random.Random(seed)  # noqa: S311 - test equipment, not crypto

    def add(self, spec: dict[str, Any]) -> FaultRule:
        """Add a rule from a control request's JSON body."""
        rule = _parse_rule(self._next_id, spec)
        self._next_id += 1
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        self._rules.clear()

    def rules(self) -> list[FaultRule]:
        return list(self._rules)

    def match(self, method: str, path: str) -> FaultRule | None:
        """Return the first rule hitting this request, spending one of its uses."""
        for rule in self._rules:
            if not path.startswith(rule.path_prefix):
                continue
            if rule.method is not None and rule.method != method.upper():
                continue
            if rule.probability is not None and self._random.random() >= rule.probability:
                continue
            rule.hits += 1
            if rule.count is not None:
                rule.count -= 1
                if rule.count <= 0:
                    self._rules.remove(rule)
            return rule
        return None


def _parse_rule(rule_id: int, spec: dict[str, Any]) -> FaultRule:
    prefix = spec.get("path_prefix")
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        raise FaultSpecError("path_prefix must be a path starting with '/'")
    error = spec.get("error")
    if error is not None and error not in FAULT_ERRORS:
        raise FaultSpecError(f"error must be one of {sorted(FAULT_ERRORS)}")
    latency = spec.get("latency_ms", 0)
    count = spec.get("count")
    probability = spec.get("probability")
    if not isinstance(latency, int) or latency < 0:
        raise FaultSpecError("latency_ms must be a non-negative integer")
    if count is not None and (not isinstance(count, int) or count < 1):
        raise FaultSpecError("count must be a positive integer")
    if probability is not None and not (
        isinstance(probability, int | float) and 0 <= probability <= 1
    ):
        raise FaultSpecError("probability must be between 0 and 1")
    method = spec.get("method")
    return FaultRule(
        rule_id, prefix, method.upper() if isinstance(method, str) else None,
        error, latency, count, float(probability) if probability is not None else None,
    )
