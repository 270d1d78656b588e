"""One REST call and its answer, independent of the HTTP server."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sandbox.salesforce.errors import SalesforceError, json_parser_error


@dataclass(frozen=True)
class ApiRequest:
    method: str
    segments: list[str]
    query: Mapping[str, str]
    body: Any
    version: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def json_object(self) -> dict[str, Any]:
        """Return the body, which must be a JSON object."""
        if not isinstance(self.body, dict):
            raise json_parser_error("The request body must be a JSON object")
        return self.body


@dataclass
class ApiResponse:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def error_response(exc: SalesforceError) -> ApiResponse:
    """Render a failed call as Salesforce's JSON error list."""
    return ApiResponse(exc.status, [exc.as_rest()])


def record_url(version: str, object_name: str, record_id: str) -> str:
    return f"/services/data/v{version}/sobjects/{object_name}/{record_id}"
