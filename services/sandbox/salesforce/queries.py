"""``/query``, ``/queryAll`` and ``/search``: the SOQL/SOSL engines plus paging."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sandbox.salesforce import ids, soql, sosl
from sandbox.salesforce.calls import ApiRequest, ApiResponse
from sandbox.salesforce.context import QueryCursor, SandboxState
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.schema import ObjectSchema

DEFAULT_BATCH = 2000
MIN_BATCH = 200
_BATCH_OPTION = re.compile(r"batchSize\s*=\s*(\d+)")


def query(state: SandboxState, req: ApiRequest, include_deleted: bool) -> ApiResponse:
    """Run a SOQL query, or fetch the next page of an earlier one."""
    if len(req.segments) == 2:
        return _next_page(state, req, req.segments[1])
    if len(req.segments) != 1:
        raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
    text = req.query.get("q")
    if not text:
        raise SalesforceError("MALFORMED_QUERY", "A query string has to be specified")
    now = dt.datetime.fromtimestamp(state.clock.now(), dt.UTC)
    try:
        result = soql.execute(
            text, state.store, include_deleted=include_deleted, now=now,
            api_version=req.version,
        )
    except soql.SoqlError as exc:
        raise SalesforceError(exc.error_code, exc.message) from None
    cursor = QueryCursor(result.records, result.total_size, _batch_size(req))
    return _page(state, req.version, cursor, None, 0)


def search(state: SandboxState, req: ApiRequest) -> ApiResponse:
    """Run a SOSL search."""
    text = req.query.get("q")
    if not text:
        raise SalesforceError("MALFORMED_SEARCH", "No search term found")
    try:
        now = dt.datetime.fromtimestamp(state.clock.now(), dt.UTC)
        records = sosl.search(text, state.store, now=now, api_version=req.version)
    except soql.SoqlError as exc:
        raise SalesforceError(exc.error_code, exc.message) from None
    return ApiResponse(200, {"searchRecords": records})


def field_list(schema: ObjectSchema, raw: str | None) -> list[str] | None:
    """Resolve a ``fields=`` parameter to field names, refusing unknown ones."""
    if not raw:
        return None
    names = []
    for name in (part.strip() for part in raw.split(",") if part.strip()):
        found = schema.field_ci(name)
        if found is None:
            raise SalesforceError(
                "INVALID_FIELD",
                f"No such column '{name}' on entity '{schema.name}'. If you are attempting "
                "to use a custom field, be sure to append the '__c' after the custom "
                "field name.",
            )
        names.append(found.name)
    return names


def _next_page(state: SandboxState, req: ApiRequest, locator: str) -> ApiResponse:
    cursor_id, _, position = locator.rpartition("-")
    cursor = state.cursors.get(cursor_id)
    if cursor is None or not position.isdigit():
        raise SalesforceError("INVALID_QUERY_LOCATOR", "invalid query locator")
    return _page(state, req.version, cursor, cursor_id, int(position))


def _page(
    state: SandboxState, version: str, cursor: QueryCursor,
    cursor_id: str | None, start: int,
) -> ApiResponse:
    end = start + cursor.batch_size
    body: dict[str, Any] = {
        "totalSize": cursor.total_size, "done": end >= len(cursor.records),
        "records": cursor.records[start:end],
    }
    if not body["done"]:
        cursor_id = cursor_id or _new_cursor(state, cursor)
        body["nextRecordsUrl"] = f"/services/data/v{version}/query/{cursor_id}-{end}"
    elif cursor_id is not None:
        state.cursors.pop(cursor_id, None)
    return ApiResponse(200, body)


def _new_cursor(state: SandboxState, cursor: QueryCursor) -> str:
    state.cursor_counter += 1
    cursor_id = ids.make_id("01g", state.cursor_counter)
    state.cursors[cursor_id] = cursor
    return cursor_id


def _batch_size(req: ApiRequest) -> int:
    match = _BATCH_OPTION.search(req.headers.get("Sforce-Query-Options", ""))
    if match is None:
        return DEFAULT_BATCH
    return max(MIN_BATCH, min(DEFAULT_BATCH, int(match.group(1))))
