"""``/composite``: up to 25 subrequests in one call, chained by ``@{ref.path}``."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.salesforce.calls import ApiRequest, ApiResponse, error_response
from sandbox.salesforce.context import SandboxState
from sandbox.salesforce.errors import SalesforceError
from sandbox.salesforce.unit import UnitOfWork

MAX_SUBREQUESTS = 25
_REFERENCE = re.compile(r"@\{([^}]+)\}")
_PATH_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_URL = re.compile(r"^/services/data/v(\d+\.\d)/(.*)$")
_HALTED = "The transaction was rolled back since another operation in the same " \
    "transaction failed."
Dispatch = Callable[[SandboxState, UnitOfWork, ApiRequest], ApiResponse]


class _Unresolved(Exception):
    """A subrequest names a reference that has no value."""


def handle(
    state: SandboxState, unit: UnitOfWork, req: ApiRequest, dispatch: Dispatch,
) -> ApiResponse:
    """Run the subrequests in order and answer each one's result."""
    body = req.json_object()
    subrequests = body.get("compositeRequest")
    if not isinstance(subrequests, list) or not subrequests:
        raise SalesforceError("JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
    if len(subrequests) > MAX_SUBREQUESTS:
        raise SalesforceError(
            "LIMIT_EXCEEDED", f"Composite request can have at most {MAX_SUBREQUESTS} subrequests",
        )
    all_or_none = bool(body.get("allOrNone", False))
    start = unit.savepoint()
    results: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    for sub in subrequests:
        answer = _run_one(state, unit, req, sub, results, dispatch)
        answers.append(answer)
        if all_or_none and answer["httpStatusCode"] >= 400:
            unit.rollback_to(start)
            return ApiResponse(200, {"compositeResponse": _halt(answers, subrequests)})
    return ApiResponse(200, {"compositeResponse": answers})


def _run_one(
    state: SandboxState, unit: UnitOfWork, parent: ApiRequest, sub: Any,
    results: dict[str, Any], dispatch: Dispatch,
) -> dict[str, Any]:
    reference_id = sub.get("referenceId") if isinstance(sub, dict) else None
    try:
        request = _subrequest(parent, sub, results)
        with unit.atomic():
            response = dispatch(state, unit, request)
    except SalesforceError as exc:
        response = error_response(exc)
    except _Unresolved as exc:
        response = ApiResponse(400, [{
            "errorCode": "PROCESSING_HALTED",
            "message": f"Invalid reference specified. No value for {exc} found. "
            f"Provided referenceId ({reference_id}) must be valid.",
        }])
    if isinstance(reference_id, str) and response.status < 400:
        results[reference_id] = response.body
    return {
        "body": response.body, "httpHeaders": response.headers,
        "httpStatusCode": response.status, "referenceId": reference_id,
    }


def _subrequest(parent: ApiRequest, sub: Any, results: dict[str, Any]) -> ApiRequest:
    if not isinstance(sub, dict) or not isinstance(sub.get("url"), str):
        raise SalesforceError("JSON_PARSER_ERROR", "Each subrequest needs a method and url")
    url = _resolve_text(sub["url"], results)
    parts = urlsplit(url)
    match = _URL.match(parts.path.rstrip("/") + "/")
    if match is None:
        raise SalesforceError("NOT_FOUND", "The requested resource does not exist", status=404)
    segments = [s for s in match.group(2).split("/") if s]
    if segments == ["composite"]:
        raise SalesforceError("INVALID_SUBREQUEST", "A composite request cannot be nested")
    return ApiRequest(
        method=str(sub.get("method", "GET")).upper(), segments=segments,
        query=dict(parse_qsl(parts.query)), body=_resolve(sub.get("body"), results),
        version=match.group(1), headers=parent.headers,
    )


def _resolve(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _resolve_text(value, results)
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    return value


def _resolve_text(text: str, results: dict[str, Any]) -> Any:
    whole = _REFERENCE.fullmatch(text)
    if whole is not None:
        return _lookup(whole.group(1), results)
    return _REFERENCE.sub(lambda m: str(_lookup(m.group(1), results)), text)


def _lookup(path: str, results: dict[str, Any]) -> Any:
    steps = [m.group(1) if m.group(1) is not None else int(m.group(2))
             for m in _PATH_STEP.finditer(path)]
    if not steps or steps[0] not in results:
        raise _Unresolved(path)
    value: Any = results[steps[0]]
    for step in steps[1:]:
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            raise _Unresolved(path) from None
    return value


def _halt(answers: list[dict[str, Any]], subrequests: list[Any]) -> list[dict[str, Any]]:
    """Report every subrequest but the failing one as rolled back."""
    failed_at = len(answers) - 1
    halted = []
    for index, sub in enumerate(subrequests):
        if index == failed_at:
            halted.append(answers[index])
            continue
        reference_id = sub.get("referenceId") if isinstance(sub, dict) else None
        halted.append({
            "body": [{"errorCode": "PROCESSING_HALTED", "message": _HALTED}],
            "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference_id,
        })
    return halted
