"""Route one REST call under ``/services/data/vNN.0/`` to its operation.

Routing is independent of aiohttp so ``/composite`` can run subrequests
through exactly the same code as top-level calls.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sandbox.salesforce import composite, describe, queries, sobject_collections
from sandbox.salesforce.calls import ApiRequest, ApiResponse, record_url
from sandbox.salesforce.context import SandboxState
from sandbox.salesforce.errors import SalesforceError, not_found
from sandbox.salesforce.unit import MultipleMatches, UnitOfWork

VERSIONS = (
    ("55.0", "Summer '22"), ("56.0", "Winter '23"), ("57.0", "Spring '23"),
    ("58.0", "Summer '23"), ("59.0", "Winter '24"),
)


def dispatch(state: SandboxState, unit: UnitOfWork, req: ApiRequest) -> ApiResponse:
    """Run one REST call; raise SalesforceError when it fails."""
    if not req.segments:
        return _only(req, "GET", lambda: ApiResponse(200, _resources(req.version)))
    head = req.segments[0]
    if head == "sobjects":
        return _sobjects(state, unit, req)
    if head in ("query", "queryAll"):
        return _only(req, "GET", lambda: queries.query(state, req, head == "queryAll"))
    if head == "search" and len(req.segments) == 1:
        return _only(req, "GET", lambda: queries.search(state, req))
    if head == "limits" and len(req.segments) == 1:
        return _only(req, "GET", lambda: ApiResponse(200, _limits(state)))
    if head == "composite" and len(req.segments) > 1 and req.segments[1] == "sobjects":
        return sobject_collections.handle(state, unit, req)
    if head == "composite" and len(req.segments) == 1:
        return _only(req, "POST", lambda: composite.handle(state, unit, req, dispatch))
    raise not_found()


def _sobjects(state: SandboxState, unit: UnitOfWork, req: ApiRequest) -> ApiResponse:
    seg = req.segments
    if len(seg) == 1:
        body = describe.global_describe(state.store.objects(), req.version)
        return _only(req, "GET", lambda: ApiResponse(200, body))
    schema = state.store.schema(seg[1])
    if schema is None:
        raise not_found()
    if len(seg) == 2:
        if req.method == "POST":
            new_id = unit.create(schema.name, req.json_object())
            return ApiResponse(201, {"id": new_id, "success": True, "errors": []}, {
                "Location": record_url(req.version, schema.name, new_id),
            })
        return _only(req, "GET", lambda: ApiResponse(
            200, describe.object_info(schema, req.version)))
    if len(seg) == 3 and seg[2] == "describe":
        record_types = [
            r for r in state.store.rows("RecordType", include_deleted=False)
            if r["SobjectType"] == schema.name
        ]
        return _only(req, "GET", lambda: ApiResponse(
            200, describe.describe_object(schema, req.version, record_types)))
    if len(seg) == 3:
        return _record(state, unit, req, schema.name, seg[2])
    if len(seg) == 4:
        return _by_external_id(state, unit, req, schema.name, seg[2], seg[3])
    raise not_found()


def _record(
    state: SandboxState, unit: UnitOfWork, req: ApiRequest, object_name: str, record_id: str,
) -> ApiResponse:
    if req.method == "GET":
        schema = unit.require_schema(object_name)
        try:
            row = unit.live_row(schema, record_id)
        except SalesforceError as exc:
            # Reading a deleted record is a 404, unlike writing one.
            exc.status = 404
            raise
        fields = queries.field_list(schema, req.query.get("fields"))
        return ApiResponse(200, state.store.read(row["Id"], fields=fields, version=req.version))
    if req.method == "PATCH":
        unit.update(object_name, record_id, req.json_object())
        return ApiResponse(204)
    if req.method == "DELETE":
        unit.delete(record_id, object_name)
        return ApiResponse(204)
    return _not_allowed(req, "GET,PATCH,DELETE")


def _by_external_id(
    state: SandboxState, unit: UnitOfWork, req: ApiRequest,
    object_name: str, field_name: str, value: str,
) -> ApiResponse:
    if req.method == "PATCH":
        try:
            record_id, created = unit.upsert(object_name, field_name, value, req.json_object())
        except MultipleMatches as exc:
            return ApiResponse(300, [record_url(req.version, object_name, m) for m in exc.matches])
        body = {"id": record_id, "success": True, "errors": [], "created": created}
        return ApiResponse(201 if created else 200, body)
    schema = unit.require_schema(object_name)
    key = schema.field_ci(field_name)
    if key is None or not (key.external_id or key.name == "Id"):
        raise SalesforceError(
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field_name}",
            status=404,
        )
    matches = state.store.find_by_field(schema.name, key.name, value)
    if len(matches) > 1:
        return ApiResponse(300, [record_url(req.version, schema.name, m) for m in matches])
    if not matches:
        raise not_found()
    return _record(state, unit, req, schema.name, matches[0])


def _only(req: ApiRequest, method: str, run: Callable[[], ApiResponse]) -> ApiResponse:
    if req.method != method:
        return _not_allowed(req, method)
    return run()


def _not_allowed(req: ApiRequest, allowed: str) -> ApiResponse:
    return ApiResponse(405, [{
        "errorCode": "METHOD_NOT_ALLOWED",
        "message": f"HTTP Method '{req.method}' not allowed. Allowed are {allowed}",
    }])


def _resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    names = ("sobjects", "query", "queryAll", "search", "composite", "limits")
    return {name: f"{base}/{name}" for name in names}


def _limits(state: SandboxState) -> dict[str, Any]:
    usage = state.usage
    body: dict[str, Any] = {
        "DailyApiRequests": {"Max": usage.daily_limit, "Remaining": usage.remaining()},
    }
    for name, maximum in (
        ("DailyBulkApiBatches", 15000), ("DailyAsyncApexExecutions", 250000),
        ("DataStorageMB", 1024), ("FileStorageMB", 1024),
        ("HourlyPublishedStandardVolumePlatformEvents", 100000),
    ):
        body[name] = {"Max": maximum, "Remaining": maximum}
    return body
