"""The error every SOQL and SOSL failure becomes, worded as Salesforce words it.

Salesforce reports a query error with the offending line, a caret under
the column, ``ERROR at Row:R:Column:C`` and a detail line. The REST layer
turns a :class:`SoqlError` into a 400 body
``[{"message": ..., "errorCode": ...}]``.
"""

from __future__ import annotations

MALFORMED_QUERY = "MALFORMED_QUERY"
MALFORMED_SEARCH = "MALFORMED_SEARCH"
INVALID_FIELD = "INVALID_FIELD"
INVALID_TYPE = "INVALID_TYPE"
INVALID_QUERY_FILTER_OPERATOR = "INVALID_QUERY_FILTER_OPERATOR"
NUMBER_OUTSIDE_VALID_RANGE = "NUMBER_OUTSIDE_VALID_RANGE"


class SoqlError(Exception):
    """A query the org refuses; ``error_code`` is Salesforce's errorCode.

    ``row`` and ``column`` are 1-based and 0 when the error has no place
    in the query text.
    """

    def __init__(
        self, error_code: str, message: str, *, row: int = 0, column: int = 0
    ) -> None:
        super().__init__(message)
        self.error_code = error_code
        self.message = message
        self.row = row
        self.column = column

    def __str__(self) -> str:
        return f"{self.error_code}: {self.message}"


def error_at(error_code: str, query: str, offset: int, detail: str) -> SoqlError:
    """Build an error pointing at ``offset`` of ``query`` the way Salesforce does."""
    row, column, line = locate(query, offset)
    caret = " " * (column - 1) + "^"
    message = f"{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{detail}"

    return SoqlError(error_code, message, row=row, column=column)


def locate(text: str, offset: int) -> tuple[int, int, str]:
    """Return the 1-based row and column of ``offset`` and that row's text."""
    offset = max(0, min(offset, len(text)))
    before = text[:offset]
    row = before.count("\n") + 1
    line_start = before.rfind("\n") + 1
    line_end = text.find("\n", offset)
    if line_end == -1:
        line_end = len(text)

    return row, offset - line_start + 1, text[line_start:line_end]
