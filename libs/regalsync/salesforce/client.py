"""An asyncio face on simple-salesforce that counts and guards every call.

simple-salesforce is synchronous, so each call runs in a bounded thread
pool shared by the process. Every request is counted against the tenant's
API budget; an expired session is refreshed once and the call repeated.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import requests
import structlog
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession
from simple_salesforce.util import call_salesforce

from regalsync.metrics import current_metrics
from regalsync.salesforce.auth import SalesforceToken, TokenProvider
from regalsync.tracing import outbound_span

API_VERSION = "59.0"
COLLECTION_LIMIT = 200

log = structlog.get_logger(__name__)
T = TypeVar("T")


class SalesforceApiError(Exception):
    """A request Salesforce answered with an error list."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"{status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message

    @property
    def retryable(self) -> bool:
        """Tell whether the same request may succeed later."""
        return self.status >= 500 or self.error_code in {
            "UNABLE_TO_LOCK_ROW", "REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"}


@dataclass
class ApiUsage:
    """What Salesforce said about the org's daily allowance, last seen."""

    used: int = 0
    limit: int = 0
    calls_made: int = 0


@dataclass(frozen=True)
class BulkPage:
    """One page of a Bulk API 2.0 query job's results.

    Values are CSV text (empty for null); ``locator`` names the next page
    and is empty after the last one.
    """

    records: list[dict[str, str]]
    locator: str


class SalesforceClient:
    """One tenant's REST client; safe to share between tasks."""

    def __init__(
        self,
        tokens: TokenProvider,
        *,
        executor: ThreadPoolExecutor,
        ca_bundle: str | None,
        call_options_client: str,
        on_call: Callable[[int], None] | None = None,
        tenant: str = "",
    ) -> None:
        self._tokens = tokens
        self._executor = executor
        self._ca_bundle = ca_bundle
        self._call_options_client = call_options_client
        self._on_call = on_call
        self._tenant = tenant
        self._sf: Salesforce | None = None
        self._sf_token: SalesforceToken | None = None
        self.usage = ApiUsage()

    @property
    def tokens(self) -> TokenProvider:
        """Return the token source, for APIs beside REST (Pub/Sub)."""
        return self._tokens

    async def query(self, soql: str, *, include_deleted: bool = False) -> list[dict[str, Any]]:
        """Run a SOQL query and return every record, following pages.

        ``include_deleted`` asks ``/queryAll``, which also returns records in
        the recycle bin (``IsDeleted`` true).
        """
        page = await self._call(lambda sf: sf.query(soql, include_deleted=include_deleted))
        records: list[dict[str, Any]] = list(page["records"])
        while not page.get("done", True) and page.get("nextRecordsUrl"):
            next_url = page["nextRecordsUrl"]
            page = await self._call(partial(_query_more, url=next_url,
                                            include_deleted=include_deleted))
            records.extend(page["records"])
        return [_without_attributes(r) for r in records]

    async def search(self, sosl: str) -> list[dict[str, Any]]:
        """Run a SOSL search; return its records (``attributes`` kept for the type)."""
        result = await self._call(lambda sf: sf.search(sosl))
        return list((result or {}).get("searchRecords", []))

    async def read_by_ids(
        self, object_type: str, ids: Sequence[str], fields: Sequence[str],
    ) -> list[dict[str, Any]]:
        """Read up to 2,000 records by id in one call (missing ones dropped)."""
        if not ids:
            return []
        path = (f"composite/sobjects/{object_type}?ids={','.join(ids)}"
                f"&fields={','.join(fields)}")
        rows = await self._call(lambda sf: sf.restful(path, method="GET"))
        return [_without_attributes(r) for r in rows or [] if r is not None]

    async def collection(
        self, method: str, records: Sequence[dict[str, Any]], *, all_or_none: bool = False,
    ) -> list[dict[str, Any]]:
        """Create (POST) or update (PATCH) up to 200 records; one result each."""
        if len(records) > COLLECTION_LIMIT:
            raise ValueError(f"at most {COLLECTION_LIMIT} records per collection call")
        body = {"allOrNone": all_or_none, "records": list(records)}
        results = await self._call(
            lambda sf: sf.restful("composite/sobjects", method=method, json=body))
        return list(results or [])

    async def upsert_collection(
        self, object_type: str, external_field: str, records: Sequence[dict[str, Any]],
    ) -> list[dict[str, Any]]:
        """Upsert up to 200 records by an external id; one result each (``created``)."""
        if len(records) > COLLECTION_LIMIT:
            raise ValueError(f"at most {COLLECTION_LIMIT} records per collection call")
        body = {"allOrNone": False, "records": [
            {"attributes": {"type": object_type}, **r} for r in records]}
        path = f"composite/sobjects/{object_type}/{external_field}"
        results = await self._call(lambda sf: sf.restful(path, method="PATCH", json=body))
        return list(results or [])

    async def upsert(
        self, object_type: str, external_field: str, external_id: str,
        fields: dict[str, Any],
    ) -> int:
        """Upsert one record by external id; return the HTTP status."""
        def run(sf: Salesforce) -> int:
            status: int = getattr(sf, object_type).upsert(
                f"{external_field}/{external_id}", fields)
            return status
        return await self._call(run)

    async def start_bulk_query(self, soql: str, *, include_deleted: bool = False) -> str:
        """Start a Bulk API 2.0 query job; return its id."""
        body = {"operation": "queryAll" if include_deleted else "query", "query": soql,
                "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"}
        job = await self._call(partial(_bulk_call, method="POST", tail="",
                                       data=json.dumps(body)))
        return str(job.json()["id"])

    async def bulk_query_state(self, job_id: str) -> str:
        """Return a query job's state: UploadComplete, InProgress, JobComplete..."""
        job = await self._call(partial(_bulk_call, method="GET", tail=f"/{job_id}"))
        return str(job.json()["state"])

    async def bulk_query_page(self, job_id: str, *, locator: str = "",
                              max_records: int = 2000) -> BulkPage:
        """Read one page of a completed query job's results."""
        params: dict[str, Any] = {"maxRecords": max_records}
        if locator:
            params["locator"] = locator
        answer = await self._call(partial(_bulk_call, method="GET",
                                          tail=f"/{job_id}/results", params=params))
        following = answer.headers.get("Sforce-Locator", "")
        records = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))
        return BulkPage(records, "" if following in ("", "null") else following)

    async def describe(self, object_type: str) -> dict[str, Any]:
        """Return the object's describe result."""
        result: dict[str, Any] = await self._call(
            lambda sf: getattr(sf, object_type).describe())
        return result

    async def _call(self, operation: Callable[[Salesforce], T]) -> T:
        token = await self._tokens.token()
        try:
            return await self._run(token, operation)
        except SalesforceExpiredSession:
            log.info("salesforce_session_refresh")
            token = await self._tokens.refresh(token)
            return await self._run(token, operation)

    async def _run(self, token: SalesforceToken, operation: Callable[[Salesforce], T]) -> T:
        sf = self._client_for(token)
        loop = asyncio.get_running_loop()
        name, outcome = _operation_name(operation), "error"
        try:
            with outbound_span(f"salesforce {name}", {"salesforce.operation": name}):
                result = await loop.run_in_executor(self._executor, partial(operation, sf))
            outcome = "ok"
            return result
        except SalesforceExpiredSession:
            outcome = "expired_session"
            raise
        except SalesforceError as error:
            api_error = _api_error(error)
            outcome = api_error.error_code
            raise api_error from None
        finally:
            self._record_call(sf, name, outcome)

    def _client_for(self, token: SalesforceToken) -> Salesforce:
        if self._sf is None or self._sf_token != token:
            session = requests.Session()
            # The CA bundle must win over REQUESTS_CA_BUNDLE in the environment.
            session.trust_env = False
            session.verify = self._ca_bundle or True
            session.headers["Sforce-Call-Options"] = f"client={self._call_options_client}"
            self._sf = Salesforce(instance_url=token.instance_url, session_id=token.access_token,
                                  session=session, version=API_VERSION)
            self._sf_token = token
        return self._sf

    def _record_call(self, sf: Salesforce, operation: str, outcome: str) -> None:
        self.usage.calls_made += 1
        api_usage = getattr(sf, "api_usage", {}) or {}
        usage = api_usage.get("api-usage")
        if usage is not None:
            self.usage.used, self.usage.limit = int(usage.used), int(usage.total)
        metrics = current_metrics()
        if metrics is not None:
            tenant = self._tenant or "unknown"
            metrics.salesforce_call(tenant, operation, outcome)
            if self.usage.limit > 0:
                metrics.salesforce_budget(tenant, self.usage.limit - self.usage.used)
        if self._on_call is not None:
            self._on_call(1)


def _operation_name(operation: Callable[..., Any]) -> str:
    """Name the client method a call serves, from where its callable was made.

    Calls are lambdas or inner functions of the public methods (their
    qualified name is ``SalesforceClient.<method>.<locals>...``) or
    partials of module functions, so no method has to name itself.
    """
    target = getattr(operation, "func", operation)
    parts = str(getattr(target, "__qualname__", "")).split(".")
    if len(parts) > 1 and parts[0] == SalesforceClient.__name__:
        return parts[1]
    return str(getattr(target, "__name__", "call")).lstrip("_") or "call"


def _api_error(error: SalesforceError) -> SalesforceApiError:
    content: Any = error.content
    if isinstance(content, (bytes, str)):
        try:
            content = json.loads(content)
        except ValueError:
            content = []
    first = content[0] if isinstance(content, list) and content else {}
    if not isinstance(first, dict):
        first = {}
    return SalesforceApiError(int(error.status), str(first.get("errorCode", "UNKNOWN")),
                              str(first.get("message", "")))


def _without_attributes(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "attributes"}


def _bulk_call(sf: Salesforce, *, method: str, tail: str, **kwargs: Any) -> Any:
    headers = {"Authorization": f"Bearer {sf.session_id}",
               "Content-Type": "application/json", "Accept": "application/json"}
    if tail.endswith("/results"):
        headers["Accept"] = "text/csv"
    return call_salesforce(f"{sf.bulk2_url}query{tail}", method, sf.session, headers,
                           **kwargs)


def _query_more(sf: Salesforce, *, url: str, include_deleted: bool = False) -> Any:
    return sf.query_more(url, True, include_deleted=include_deleted)
