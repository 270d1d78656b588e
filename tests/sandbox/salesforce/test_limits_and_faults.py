"""API usage headers, the daily allowance, and injected faults."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from sf_harness import client
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from sandbox.salesforce.app import RunningSandbox


class TestApiLimits:
    def test_every_response_carries_usage(self, sf: Salesforce) -> None:
        """simple-salesforce reads Sforce-Limit-Info into api_usage."""
        sf.query("SELECT Id FROM Lead")
        usage = sf.api_usage["api-usage"]
        assert usage.total == 15000
        assert usage.used >= 1

    def test_limits_endpoint_reports_daily_requests(self, sf: Salesforce) -> None:
        """/limits reports the allowance and what remains."""
        limits = sf.limits()["DailyApiRequests"]
        assert limits["Max"] == 15000
        assert limits["Remaining"] == 15000 - 1

    def test_spent_allowance_is_refused_with_403(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """Past the daily allowance calls get REQUEST_LIMIT_EXCEEDED."""
        control("PUT", "/sandbox/api-usage", {"max": 5, "used": 5})
        try:
            with pytest.raises(SalesforceRefusedRequest) as caught:
                sf.query("SELECT Id FROM Lead")
            assert caught.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
        finally:
            control("PUT", "/sandbox/api-usage", {"max": 15000, "used": 0})

    def test_allowance_renews_next_day(
        self, sandbox: RunningSandbox, control: Callable[..., Any],
    ) -> None:
        """Advancing the clock a day makes the allowance available again."""
        control("PUT", "/sandbox/api-usage", {"max": 15000, "used": 15000})
        control("POST", "/sandbox/clock/advance", {"seconds": 86400})
        # A day later the old token has expired too, so log in again.
        assert client(sandbox).query("SELECT COUNT() FROM Lead")["totalSize"] == 0


class TestFaults:
    def test_server_unavailable_for_n_requests(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """A counted 503 fault hits exactly that many requests."""
        control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/v59.0/query", "error": "SERVER_UNAVAILABLE",
            "count": 1,
        })
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query("SELECT Id FROM Lead")
        assert caught.value.status == 503
        assert sf.query("SELECT Id FROM Lead")["totalSize"] == 0

    def test_unable_to_lock_row(self, sf: Salesforce, control: Callable[..., Any]) -> None:
        """UNABLE_TO_LOCK_ROW is a 400 with that error code."""
        control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/v59.0/sobjects/Lead", "method": "POST",
            "error": "UNABLE_TO_LOCK_ROW", "count": 1,
        })
        with pytest.raises(SalesforceMalformedRequest) as caught:
            sf.Lead.create({"LastName": "Doe", "Company": "Acme"})
        assert caught.value.content[0]["errorCode"] == "UNABLE_TO_LOCK_ROW"

    def test_injected_limit_exceeded(self, sf: Salesforce, control: Callable[..., Any]) -> None:
        """An injected REQUEST_LIMIT_EXCEEDED is a 403."""
        control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/", "error": "REQUEST_LIMIT_EXCEEDED", "count": 1,
        })
        with pytest.raises(SalesforceRefusedRequest):
            sf.limits()

    def test_latency_is_added(self, sf: Salesforce, control: Callable[..., Any]) -> None:
        """A latency rule delays the answer by at least that long."""
        control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/v59.0/limits", "latency_ms": 300, "count": 1,
        })
        started = time.monotonic()
        sf.limits()
        assert time.monotonic() - started >= 0.3

    def test_probability_zero_never_hits(
        self, sf: Salesforce, control: Callable[..., Any],
    ) -> None:
        """A rule with probability 0 leaves requests alone."""
        control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/", "error": "SERVER_UNAVAILABLE", "probability": 0,
        })
        assert sf.limits()["DailyApiRequests"]["Max"] == 15000

    def test_bad_fault_spec_is_400(self, control: Callable[..., Any]) -> None:
        """An unknown error name is refused with a message."""
        answer = control("POST", "/sandbox/faults", {
            "path_prefix": "/services/data/", "error": "TEAPOT",
        }, expect=400)
        assert "error must be one of" in answer["error"]
