"""Salesforce's error vocabulary, raised by the store and rendered by REST."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SalesforceError(Exception):
    """A failed operation, as Salesforce reports it to an API caller.

    ``status`` is the HTTP status a single-record call answers with; inside
    sObject Collections the same error becomes one record's result.
    """

    def __init__(
        self, error_code: str, message: str, *,
        fields: Sequence[str] = (), status: int = 400,
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.fields = list(fields)
        self.status = status

    def as_rest(self) -> dict[str, Any]:
        """Render the error as one entry of a REST error list."""
        body: dict[str, Any] = {"message": self.message, "errorCode": self.error_code}
        if self.fields:
            body["fields"] = self.fields
        return body

    def as_record_result(self) -> dict[str, Any]:
        """Render the error as a save result entry (composite, upsert)."""
        return {"statusCode": self.error_code, "message": self.message, "fields": self.fields}


def not_found() -> SalesforceError:
    """Return the error for a missing resource or record."""
    return SalesforceError(
        "NOT_FOUND", "The requested resource does not exist", status=404,
    )


def invalid_session() -> SalesforceError:
    """Return the error for an unknown, expired or revoked access token."""
    return SalesforceError(
        "INVALID_SESSION_ID", "Session expired or invalid", status=401,
    )


def json_parser_error(message: str) -> SalesforceError:
    """Return the error for a body that is not the JSON Salesforce expects."""
    return SalesforceError("JSON_PARSER_ERROR", message)
