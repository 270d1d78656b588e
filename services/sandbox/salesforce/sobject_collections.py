"""sObject Collections: ``/composite/sobjects`` create, update, upsert, delete, read.

Upsert is ``PATCH /composite/sobjects/<Object>/<ExternalIdField>``: each
record carries its external id value and its result a ``created`` flag.

One result per record in request order. With ``allOrNone`` a single
failure rolls every record back; the valid ones then report
``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from sandbox.salesforce import ids
from sandbox.salesforce.calls import ApiRequest, ApiResponse
from sandbox.salesforce.context import SandboxState
from sandbox.salesforce.errors import SalesforceError, not_found
from sandbox.salesforce.queries import field_list
from sandbox.salesforce.unit import MultipleMatches, UnitOfWork

MAX_WRITE_RECORDS = 200
MAX_READ_IDS = 2000
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request "
    "was using AllOrNone header",
    "fields": [],
}
Result = dict[str, Any]


def handle(state: SandboxState, unit: UnitOfWork, req: ApiRequest) -> ApiResponse:
    """Serve one sObject Collections call."""
    if len(req.segments) == 3 and req.method == "GET":
        return _read(state, unit, req, req.segments[2])
    if len(req.segments) == 4 and req.method == "PATCH":
        return _upsert_all(unit, req, req.segments[2], req.segments[3])
    if len(req.segments) != 2:
        raise not_found()
    if req.method == "POST":
        return _write(unit, req, _create)
    if req.method == "PATCH":
        return _write(unit, req, _update)
    if req.method == "DELETE":
        return _delete(unit, req)
    return ApiResponse(405, [{
        "errorCode": "METHOD_NOT_ALLOWED",
        "message": f"HTTP Method '{req.method}' not allowed. Allowed are POST,PATCH,DELETE",
    }])


def _write(
    unit: UnitOfWork, req: ApiRequest, apply: Callable[[UnitOfWork, Any], str],
) -> ApiResponse:
    body = req.json_object()
    records = body.get("records")
    if not isinstance(records, list):
        raise SalesforceError("JSON_PARSER_ERROR", "records must be a JSON array")
    _check_count(len(records), MAX_WRITE_RECORDS)
    return _run_all(unit, bool(body.get("allOrNone", False)), [
        functools.partial(apply, unit, record) for record in records
    ], [r.get("Id") if isinstance(r, dict) else None for r in records])


def _upsert_all(
    unit: UnitOfWork, req: ApiRequest, object_name: str, id_field: str,
) -> ApiResponse:
    body = req.json_object()
    records = body.get("records")
    if not isinstance(records, list):
        raise SalesforceError("JSON_PARSER_ERROR", "records must be a JSON array")
    _check_count(len(records), MAX_WRITE_RECORDS)
    created: dict[int, bool] = {}

    def upsert_one(index: int, record: Any) -> str:
        if not isinstance(record, dict) or _record_type(record) != object_name:
            raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.")
        value = record.get(id_field)
        if not isinstance(value, str) or not value:
            raise SalesforceError("MISSING_ARGUMENT", f"{id_field} not specified")
        fields = {k: v for k, v in record.items() if k not in ("attributes", id_field)}
        try:
            record_id, created[index] = unit.upsert(object_name, id_field, value, fields)
        except MultipleMatches as exc:
            raise SalesforceError(
                "DUPLICATE_EXTERNAL_ID",
                f"{id_field}: more than one record found for external id field: "
                f"{exc.matches}") from None
        return record_id

    response = _run_all(unit, bool(body.get("allOrNone", False)), [
        functools.partial(upsert_one, index, record) for index, record in enumerate(records)
    ], [None] * len(records))
    results = response.body if isinstance(response.body, list) else []
    for index, result in enumerate(results):
        if result.get("success"):
            result["created"] = created.get(index, False)
    return response


def _delete(unit: UnitOfWork, req: ApiRequest) -> ApiResponse:
    record_ids = [i for i in req.query.get("ids", "").split(",") if i]
    _check_count(len(record_ids), MAX_WRITE_RECORDS)
    all_or_none = req.query.get("allOrNone", "false").lower() == "true"

    return _run_all(unit, all_or_none, [
        functools.partial(_delete_one, unit, record_id) for record_id in record_ids
    ], list(record_ids))


def _delete_one(unit: UnitOfWork, record_id: str) -> str:
    unit.delete(record_id)
    return record_id


def _run_all(
    unit: UnitOfWork, all_or_none: bool,
    operations: list[Callable[[], str]], known_ids: list[str | None],
) -> ApiResponse:
    start = unit.savepoint()
    results: list[Result] = []
    failed = False
    for operation, known_id in zip(operations, known_ids, strict=True):
        try:
            with unit.atomic():
                record_id = operation()
            results.append({"id": record_id, "success": True, "errors": []})
        except SalesforceError as exc:
            failed = True
            results.append(_failure(known_id, [exc.as_record_result()]))
    if all_or_none and failed:
        unit.rollback_to(start)
        results = [
            _failure(known, [_ROLLED_BACK]) if r["success"] else r
            for r, known in zip(results, known_ids, strict=True)
        ]
    return ApiResponse(200, results)


def _create(unit: UnitOfWork, record: Any) -> str:
    object_name = _record_type(record)
    return unit.create(object_name, record)


def _update(unit: UnitOfWork, record: Any) -> str:
    object_name = _record_type(record)
    record_id = record.get("Id")
    if not isinstance(record_id, str):
        raise SalesforceError("MISSING_ARGUMENT", "Id not specified in an update call")
    fields = {k: v for k, v in record.items() if k != "Id"}
    unit.update(object_name, record_id, fields)
    return ids.to18(ids.normalize(record_id) or record_id)


def _read(
    state: SandboxState, unit: UnitOfWork, req: ApiRequest, object_name: str,
) -> ApiResponse:
    schema = unit.require_schema(object_name)
    record_ids = [i for i in req.query.get("ids", "").split(",") if i]
    _check_count(len(record_ids), MAX_READ_IDS)
    fields = field_list(schema, req.query.get("fields"))
    if fields is None:
        raise SalesforceError("MISSING_ARGUMENT", "The fields parameter is required")
    records = []
    for record_id in record_ids:
        found = state.store.raw(record_id)
        live = found is not None and found[0] is schema and not found[1]["IsDeleted"]
        records.append(
            state.store.read(record_id, fields=fields, version=req.version) if live else None
        )
    return ApiResponse(200, records)


def _record_type(record: Any) -> str:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    object_name = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(object_name, str):
        raise SalesforceError("INVALID_TYPE", "Must send a concrete entity type.")
    return object_name


def _failure(record_id: str | None, errors: list[Result]) -> Result:
    result: Result = {"success": False, "errors": errors}
    if record_id:
        result = {"id": record_id, **result}
    return result


def _check_count(count: int, limit: int) -> None:
    if count > limit:
        raise SalesforceError(
            "EXCEEDED_ID_LIMIT",
            f"record limit reached. cannot submit more than {limit} records into this call",
        )
