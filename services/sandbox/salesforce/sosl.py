"""Run SOSL searches against a :class:`QuerySource`.

``FIND {text} [IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS]
[RETURNING Obj[(fields [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n])], ...]
[LIMIT n]``. The REST layer wraps the returned list as
``{"searchRecords": [...]}``. Records are found at once (Salesforce may
take minutes to index a new record; the sandbox does not imitate that).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.salesforce.query_source import QuerySource
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.soql import API_VERSION, object_schema, resolve_selection, select_rows
from sandbox.salesforce.soql_ast import Condition, FieldPath, OrderKey
from sandbox.salesforce.soql_errors import MALFORMED_SEARCH, SoqlError
from sandbox.salesforce.soql_filter import FilterContext
from sandbox.salesforce.soql_lexer import Kind, tokenize
from sandbox.salesforce.soql_parser import RESERVED, Parser
from sandbox.salesforce.soql_paths import RowReader, project
from sandbox.salesforce.sosl_terms import (
    SearchExpression,
    Term,
    evaluate,
    parse_search_text,
    phone_matches,
    text_matches,
)

__all__ = ["search"]

# Salesforce caps a search at 2,000 records in all.
MAX_RECORDS = 2000
_SCOPES = ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR")
_TEXT_TYPES = frozenset({"string", "textarea", "email", "phone", "url"})
_NAME_FIELDS = frozenset({"name", "firstname", "lastname", "middlename", "suffix"})


@dataclass(frozen=True)
class _Returning:
    """One ``RETURNING`` entry: the object and what to do with its matches."""

    object_name: str
    offset: int
    fields: tuple[FieldPath, ...]
    where: Condition | None
    order_by: tuple[OrderKey, ...]
    limit: int | None
    skip: int | None


@dataclass(frozen=True)
class _Search:
    expression: SearchExpression
    scope: str
    returning: tuple[_Returning, ...]
    limit: int | None


def search(
    query: str,
    source: QuerySource,
    *,
    now: datetime | None = None,
    api_version: str = API_VERSION,
) -> list[dict[str, Any]]:
    """Run one SOSL search and return its ``searchRecords`` list.

    Raise :class:`SoqlError` (MALFORMED_SEARCH, INVALID_TYPE, INVALID_FIELD)
    when the org would refuse the search.
    """
    parsed = _parse(query)
    entries = parsed.returning or _every_object(source)
    moment = now or datetime.now(UTC)
    found: list[dict[str, Any]] = []
    for entry in entries:
        found.extend(_search_object(entry, parsed, query, source, moment, api_version))
    cap = MAX_RECORDS if parsed.limit is None else min(parsed.limit, MAX_RECORDS)

    return found[:cap]


def _every_object(source: QuerySource) -> tuple[_Returning, ...]:
    return tuple(
        _Returning(schema.name, 0, (FieldPath(("Id",), 0),), None, (), None, None)
        for schema in source.objects()
    )


def _search_object(
    entry: _Returning,
    parsed: _Search,
    query: str,
    source: QuerySource,
    now: datetime,
    api_version: str,
) -> list[dict[str, Any]]:
    schema = object_schema(source, entry.object_name, query, entry.offset)
    context = FilterContext(query, schema, source, RowReader(source), now)
    paths = entry.fields or (FieldPath(("Id",), entry.offset),)
    selected = resolve_selection(paths, context, MALFORMED_SEARCH)
    searched = _scope_fields(schema, parsed.scope)
    if not searched:
        return []
    rows = select_rows(
        context, entry.where, entry.order_by, None, None, include_deleted=False
    )
    hits = [row for row in rows if _row_matches(row, searched, parsed)]
    start = entry.skip or 0
    end = None if entry.limit is None else start + entry.limit

    return [
        project(schema.name, row, selected, context.reader, api_version)
        for row in hits[start:end]
    ]


def _scope_fields(schema: ObjectSchema, scope: str) -> list[FieldSchema]:
    """Return the fields a search scope looks in on one object."""
    fields = [field for field in schema.fields.values() if field.type in _TEXT_TYPES]
    if scope == "EMAIL":
        return [field for field in fields if field.type == "email"]
    if scope == "PHONE":
        return [field for field in fields if field.type == "phone"]
    if scope == "NAME":
        return [field for field in fields if field.name.lower() in _NAME_FIELDS]
    return fields


def _row_matches(row: dict[str, Any], fields: list[FieldSchema], parsed: _Search) -> bool:
    def term_matches(term: Term) -> bool:
        return any(_field_matches(term, field, row.get(field.name)) for field in fields)

    return evaluate(parsed.expression, term_matches)


def _field_matches(term: Term, field: FieldSchema, value: object) -> bool:
    if not value:
        return False
    if field.type == "phone":
        return phone_matches(term, str(value))
    return text_matches(term, str(value))


def _parse(query: str) -> _Search:
    """Parse a whole SOSL statement or raise MALFORMED_SEARCH."""
    parser = Parser(query, tokenize(query, error_code=MALFORMED_SEARCH, braces=True),
                    MALFORMED_SEARCH)
    parser.expect_word("FIND")
    text = parser.advance()
    if text.kind is not Kind.SEARCH:
        raise SoqlError(
            MALFORMED_SEARCH,
            "No search term found. The search term must be enclosed in braces.",
        )
    expression = parse_search_text(query, str(text.value), text.offset)
    scope = _scope(parser)
    returning = _returning_list(parser)
    limit = parser.integer_clause("LIMIT")
    parser.expect_end()

    return _Search(expression, scope, returning, limit)


def _scope(parser: Parser) -> str:
    if not parser.peek().is_word("IN"):
        return "ALL"
    parser.advance()
    if not parser.peek().is_word(*_SCOPES):
        raise parser.unexpected()
    scope = parser.advance().text.upper()
    parser.expect_word("FIELDS")

    return scope


def _returning_list(parser: Parser) -> tuple[_Returning, ...]:
    if not parser.peek().is_word("RETURNING"):
        return ()
    parser.advance()
    entries = [_returning(parser)]
    while parser.at_punct(","):
        parser.advance()
        entries.append(_returning(parser))
    return tuple(entries)


def _returning(parser: Parser) -> _Returning:
    name = parser.advance()
    if name.kind is not Kind.NAME or name.text.upper() in RESERVED:
        raise parser.unexpected(name)
    if not parser.at_punct("("):
        return _Returning(name.text, name.offset, (), None, (), None, None)
    parser.advance()
    fields = parser.field_list()
    where = parser.where()
    order_by = parser.order_by()
    limit = parser.integer_clause("LIMIT")
    skip = parser.integer_clause("OFFSET")
    parser.expect_punct(")")

    return _Returning(name.text, name.offset, fields, where, order_by, limit, skip)
