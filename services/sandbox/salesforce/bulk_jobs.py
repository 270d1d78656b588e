"""Bulk API 2.0 query jobs: ``/services/data/vNN.0/jobs/query``.

A job runs its SOQL once, at creation, and keeps the rows as a snapshot
(Salesforce also answers from the moment the job ran). Like the real
API the job is asynchronous to its client: it reports ``UploadComplete``
when created, ``InProgress`` at the first status check and
``JobComplete`` after. Results are CSV pages of ``maxRecords`` rows;
``Sforce-Locator`` names the next page (``null`` after the last) and
``Sforce-NumberOfRecords`` counts the page's rows. Every call counts
against the org's daily API allowance, as the real ones do.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from sandbox.salesforce import soql
from sandbox.salesforce.context import STATE, SandboxState
from sandbox.salesforce.errors import invalid_session
from sandbox.salesforce.soql_parser import parse

_PATH = r"/services/data/v{version:\d+\.0}/jobs/query"
_DEFAULT_PAGE = 50_000
_OPERATIONS = ("query", "queryAll")


@dataclass
class QueryJob:
    """One query job and the rows it found."""

    job_id: str
    operation: str
    object_name: str
    created_by: str
    created_at: str
    columns: list[str]
    rows: list[dict[str, Any]]
    checks: int = 0
    state: str = "UploadComplete"

    def describe(self, version: str) -> dict[str, Any]:
        """Render the job as the API's JSON job info."""
        return {
            "id": self.job_id, "operation": self.operation, "object": self.object_name,
            "createdById": self.created_by, "createdDate": self.created_at,
            "systemModstamp": self.created_at, "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(version), "lineEnding": "LF", "columnDelimiter": "COMMA",
            "numberRecordsProcessed": len(self.rows) if self.state == "JobComplete" else 0,
        }


@dataclass
class BulkJobs:
    """The org's query jobs, by id."""

    jobs: dict[str, QueryJob] = field(default_factory=dict)
    counter: int = 0


JOBS = web.AppKey("bulk_query_jobs", BulkJobs)


def add_routes(app: web.Application) -> None:
    """Mount the query job routes (before the generic REST catch-all)."""
    app[JOBS] = BulkJobs()
    app.router.add_post(_PATH, create_job)
    app.router.add_get(_PATH + "/{job_id}", job_info)
    app.router.add_get(_PATH + "/{job_id}/results", job_results)


async def create_job(request: web.Request) -> web.Response:
    """Run the job's query and keep its rows."""
    caller = _caller(request)
    if isinstance(caller, web.Response):
        return caller
    state, user_id = caller
    try:
        body = await request.json()
    except ValueError:
        return _error(request, 400, "JSON_PARSER_ERROR", "The request body is not JSON")
    if not isinstance(body, dict) or body.get("operation") not in _OPERATIONS:
        return _error(request, 400, "INVALIDJOB",
                      "operation must be query or queryAll")
    if not isinstance(body.get("query"), str) or not body["query"].strip():
        return _error(request, 400, "INVALIDJOB", "a query job needs a query")
    try:
        result = soql.execute(body["query"], state.store,
                              include_deleted=body["operation"] == "queryAll",
                              now=_now(state), api_version=request.match_info["version"])
    except soql.SoqlError as error:
        return _error(request, 400, error.error_code, error.message)
    job = _new_job(request, body, user_id, [_flat(r) for r in result.records])
    return _json(request, job.describe(request.match_info["version"]))


async def job_info(request: web.Request) -> web.Response:
    """Report the job's state, advancing it one step per check."""
    if isinstance(refused := _caller(request), web.Response):
        return refused
    job = request.app[JOBS].jobs.get(request.match_info["job_id"])
    if job is None:
        return _error(request, 404, "NOT_FOUND", "The requested resource does not exist")
    job.checks += 1
    job.state = "InProgress" if job.checks == 1 else "JobComplete"
    return _json(request, job.describe(request.match_info["version"]))


async def job_results(request: web.Request) -> web.Response:
    """Return one CSV page of the job's rows."""
    if isinstance(refused := _caller(request), web.Response):
        return refused
    job = request.app[JOBS].jobs.get(request.match_info["job_id"])
    if job is None:
        return _error(request, 404, "NOT_FOUND", "The requested resource does not exist")
    if job.state != "JobComplete":
        return _error(request, 400, "INVALIDJOBSTATE",
                      "Job is not in a completed state, cannot retrieve results")
    start = _offset(request.query.get("locator", ""))
    size = _page_size(request.query.get("maxRecords", ""))
    if start is None or size is None:
        return _error(request, 400, "INVALIDLOCATOR" if start is None else "INVALIDPARAMETER",
                      "bad locator or maxRecords")
    page = job.rows[start:start + size]
    end = start + len(page)
    locator = _locator(end) if end < len(job.rows) else "null"
    response = web.Response(text=_csv(job.columns, page), content_type="text/csv",
                            charset="utf-8")
    response.headers["Sforce-Locator"] = locator
    response.headers["Sforce-NumberOfRecords"] = str(len(page))
    response.headers["Sforce-Limit-Info"] = request.app[STATE].usage.header()
    return response


def _caller(request: web.Request) -> tuple[SandboxState, str] | web.Response:
    """Authenticate and count the call, or return the refusal Salesforce would give."""
    state = request.app[STATE]
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    session = state.tokens.session(token.strip()) if scheme.lower() in (
        "bearer", "oauth") else None
    if session is None:
        return _json(request, [invalid_session().as_rest()], 401)
    if not state.usage.try_spend():
        return _error(request, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
    return state, session.user_id


def _new_job(request: web.Request, body: dict[str, Any], user_id: str,
             rows: list[dict[str, Any]]) -> QueryJob:
    jobs = request.app[JOBS]
    jobs.counter += 1
    job_id = f"750{jobs.counter:012d}AAA"
    parsed = parse(body["query"])
    columns = list(rows[0]) if rows else _columns_of(body["query"])
    job = QueryJob(job_id, body["operation"], parsed.object_name, user_id,
                   _now(request.app[STATE]).strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                   columns, rows)
    jobs.jobs[job_id] = job
    return job


def _columns_of(query: str) -> list[str]:
    return [".".join(f.parts) for f in parse(query).fields]


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten a query record: relationship values become dotted columns."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if name == "attributes":
            continue
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """Write rows as Salesforce does: every value quoted, nulls empty."""
    out = io.StringIO()
    out.write(",".join(_quoted(c) for c in columns) + "\n")
    for row in rows:
        out.write(",".join(_cell(row.get(c)) for c in columns) + "\n")
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _quoted("true" if value else "false")
    if isinstance(value, (list, dict)):
        return _quoted(json.dumps(value))
    return _quoted(str(value))


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str) -> int | None:
    if not locator:
        return 0
    try:
        text = base64.b64decode(locator + "=" * (-len(locator) % 4)).decode()
    except ValueError:
        return None
    return int(text) if text.isdigit() else None


def _page_size(raw: str) -> int | None:
    if not raw:
        return _DEFAULT_PAGE
    return int(raw) if raw.isdigit() and int(raw) > 0 else None


def _now(state: SandboxState) -> dt.datetime:
    return dt.datetime.fromtimestamp(state.clock.now(), dt.UTC)


def _json(request: web.Request, body: Any, status: int = 200) -> web.Response:
    response = web.json_response(body, status=status)
    response.headers["Sforce-Limit-Info"] = request.app[STATE].usage.header()
    return response


def _error(request: web.Request, status: int, code: str, message: str) -> web.Response:
    return _json(request, [{"errorCode": code, "message": message}], status)
