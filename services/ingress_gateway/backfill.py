"""Send existing Salesforce records to Regal as created (SPEC L3).

A backfill exports the ids of an object's records through a Bulk API 2.0
query job and puts each record in the inbox as a synthetic ``CREATE``
change, so the ordinary outbound flow reads its current values (the
matcher, one query per inbox batch), maps it with opt-in and publishes it.
The Bulk API only lists ids: CSV loses the JSON types the events need.

``POST /v1/tenants/{tenant}/backfills/{object}`` does one step and
answers the progress; the CLI calls it until the state is ``done``:

- *start*: a run id is chosen and the query job created;
- *exporting*: the job's state is checked until ``JobComplete``;
- *sending*: one page of results (``page_size`` ids) is queued.

The run (id, job, locator, count) is a checkpoint per tenant and object
(``backfill:<Object>``), written after each page is queued. A step that
dies before writing it is repeated: the inbox keys
(``backfill:<run>:<Object>:<id>``) make the second enqueue a no-op, so
an interrupted backfill resumes with nothing sent twice and nothing
missed. A job Salesforce no longer knows (results last 7 days) is
created again under the same run. Every step first checks the tenant's
API budget and answers 429 while it is spent.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import structlog
from aiohttp import web

from ingress_gateway.inbox import QUEUE, RecordChange, resync_item
from ingress_gateway.outbound_flow import active_options, sent_objects
from ingress_gateway.webhooks import problem
from regalsync.errors import BudgetExhausted
from regalsync.salesforce.client import SalesforceApiError, SalesforceClient
from regalsync.salesforce.registry import SalesforceClients
from regalsync.storage import Storage
from regalsync.tenants import TenantDirectory

log = structlog.get_logger(__name__)

ROUTE = "/v1/tenants/{tenant}/backfills/{object}"
DEFAULT_PAGE = 2000
_MAX_PAGE = 10_000
_DATE = re.compile(r"^\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?$")
_FAILED_JOB = frozenset({"Failed", "Aborted"})


@dataclass
class BackfillRun:
    """Where one object's backfill stands; stored as its checkpoint."""

    run: str
    object_type: str
    since: str
    job: str
    state: str
    locator: str = ""
    queued: int = 0


@dataclass(frozen=True)
class StepRequest:
    """What the caller asks for: the run to continue, or a new one."""

    since: str
    run: str
    page_size: int
    restart: bool


class BackfillRefused(Exception):
    """A step that answers the caller with a JSON problem."""

    def __init__(self, status: int, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.detail = detail


class Backfills:
    """Run backfills one step per request."""

    def __init__(self, storage: Storage, tenants: TenantDirectory,
                 clients: SalesforceClients, *, admin_token: str | None,
                 on_accepted: Callable[[], None]) -> None:
        self._storage = storage
        self._tenants = tenants
        self._clients = clients
        self._admin_token = admin_token
        self._on_accepted = on_accepted

    async def handle(self, request: web.Request) -> web.Response:
        """``POST /v1/tenants/{tenant}/backfills/{object}``: one step."""
        tenant_id = request.match_info["tenant"]
        object_type = request.match_info["object"]
        try:
            self._authorize(request)
            step = _step_request(await _json_body(request))
            await self._check_object(tenant_id, object_type)
            client = await self._clients.within_budget(tenant_id)
            run = await self.step(client, tenant_id, object_type, step)
        except BackfillRefused as refused:
            return problem(refused.status, refused.error, refused.detail)
        except BudgetExhausted as spent:
            answer = problem(429, "api_budget_spent", str(spent))
            answer.headers["Retry-After"] = "60"
            return answer
        except SalesforceApiError as error:
            return problem(502, "salesforce_refused", error.error_code)
        return web.json_response(asdict(run))

    async def step(self, client: SalesforceClient, tenant_id: str, object_type: str,
                   step: StepRequest) -> BackfillRun:
        """Advance the object's backfill by one step and return where it stands."""
        run = await self._stored(tenant_id, object_type)
        if run is None or step.restart or (run.state == "done" and not step.run):
            return await self._start(client, tenant_id, object_type, step.since)
        if step.run and run.run != step.run:
            raise BackfillRefused(409, "backfill_replaced",
                                  f"run {step.run} was replaced by run {run.run}")
        if not step.run and run.since != step.since:
            raise BackfillRefused(409, "backfill_in_progress",
                                  f"run {run.run} (since {run.since or 'the start'}) "
                                  "is unfinished: resume it, or restart")
        if run.state == "exporting":
            return await self._check_job(client, tenant_id, run)
        if run.state == "sending":
            return await self._send_page(client, tenant_id, run, step.page_size)
        return run

    async def _start(self, client: SalesforceClient, tenant_id: str, object_type: str,
                     since: str) -> BackfillRun:
        run = BackfillRun(secrets.token_hex(6), object_type, since, "", "exporting")
        run.job = await client.start_bulk_query(_soql(object_type, since))
        await self._save(tenant_id, run)
        log.info("backfill_started", tenant=tenant_id, object_type=object_type,
                 run=run.run, job=run.job)
        return run

    async def _check_job(self, client: SalesforceClient, tenant_id: str,
                         run: BackfillRun) -> BackfillRun:
        try:
            state = await client.bulk_query_state(run.job)
        except SalesforceApiError as error:
            if error.status != 404:
                raise
            state = "Failed"
        if state in _FAILED_JOB:
            # Ids are keyed by run, not job: a new job repeats nothing.
            run.job = await client.start_bulk_query(_soql(run.object_type, run.since))
            log.warning("backfill_job_restarted", tenant=tenant_id, run=run.run, job=run.job)
        elif state == "JobComplete":
            run.state = "sending"
        await self._save(tenant_id, run)
        return run

    async def _send_page(self, client: SalesforceClient, tenant_id: str,
                         run: BackfillRun, page_size: int) -> BackfillRun:
        try:
            page = await client.bulk_query_page(run.job, locator=run.locator,
                                                max_records=page_size)
        except SalesforceApiError as error:
            if error.status != 404:
                raise
            run.state, run.job = "exporting", await client.start_bulk_query(
                _soql(run.object_type, run.since))
            await self._save(tenant_id, run)
            return run
        items = [resync_item(tenant_id, f"backfill:{run.run}",
                             RecordChange(run.object_type, "CREATE", row["Id"], (), 0))
                 for row in page.records]
        if items:
            await self._storage.enqueue(QUEUE, items)
            self._on_accepted()
        run.queued += len(items)
        run.locator = page.locator
        run.state = "sending" if page.locator else "done"
        await self._save(tenant_id, run)
        log.info("backfill_page_queued", tenant=tenant_id, run=run.run,
                 records=len(items), queued=run.queued, done=run.state == "done")
        return run

    async def _check_object(self, tenant_id: str, object_type: str) -> None:
        tenant = await self._tenants.get(tenant_id)
        if object_type not in sent_objects(tenant, active_options(tenant)):
            raise BackfillRefused(400, "object_not_synced",
                                  f"{object_type} is not sent to Regal by the active "
                                  "configuration")

    async def _stored(self, tenant_id: str, object_type: str) -> BackfillRun | None:
        stored = await self._storage.get_checkpoint(tenant_id, _checkpoint(object_type))
        return BackfillRun(**json.loads(stored)) if stored else None

    async def _save(self, tenant_id: str, run: BackfillRun) -> None:
        await self._storage.set_checkpoint(tenant_id, _checkpoint(run.object_type),
                                           json.dumps(asdict(run)).encode())

    def _authorize(self, request: web.Request) -> None:
        if not self._admin_token:
            return
        supplied = request.headers.get("Authorization", "")
        if not hmac.compare_digest(supplied.encode(), f"Bearer {self._admin_token}".encode()):
            raise BackfillRefused(401, "unauthorized", "send the admin token as a bearer token")


def _checkpoint(object_type: str) -> str:
    return f"backfill:{object_type}"


def _soql(object_type: str, since: str) -> str:
    # The object was checked against the configuration; the date by pattern.
    where = f" WHERE SystemModstamp >= {_moment(since)}" if since else ""
    return f"SELECT Id FROM {object_type}{where} ORDER BY Id"  # noqa: S608


def _moment(since: str) -> str:
    return since if "T" in since else f"{since}T00:00:00Z"


async def _json_body(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise BackfillRefused(400, "invalid_json", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise BackfillRefused(400, "invalid_body", "the body must be a JSON object")
    return body


def _step_request(body: dict[str, Any]) -> StepRequest:
    since = body.get("since") or ""
    if not isinstance(since, str) or (since and not _DATE.match(since)):
        raise BackfillRefused(400, "invalid_since",
                              "since must be a date (2024-06-01) or UTC time "
                              "(2024-06-01T00:00:00Z)")
    page_size = body.get("page_size", DEFAULT_PAGE)
    if isinstance(page_size, bool) or not isinstance(page_size, int) \
            or not 1 <= page_size <= _MAX_PAGE:
        raise BackfillRefused(400, "invalid_page_size",
                              f"page_size must be an integer from 1 to {_MAX_PAGE}")
    run = body.get("run") or ""
    if not isinstance(run, str):
        raise BackfillRefused(400, "invalid_run", "run must be a string")
    return StepRequest(since, run, page_size, bool(body.get("restart")))
