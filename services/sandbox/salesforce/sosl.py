"""Run SOSL searches against a :class:`QuerySource`.

``FIND {text} [IN ALL|NAME|EMAIL|PHONE|SIDEBAR FIELDS]
[RETURNING Obj[(fields [WHERE ...] [ORDER BY ...] [LIMIT n] [OFFSET n])], ...]
[LIMIT n]``. The REST layer wraps the returned list as
``{"searchRecords": [...]}``. Records are found at once (Salesforce may
take minutes to index a new record; the sandbox does not imitate that).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox.salesforce.query_source import IndexedSource, QuerySource, SearchableRows
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.search_index import SEARCHED_TYPES
from sandbox.salesforce.soql import API_VERSION, object_schema, resolve_selection, select_rows
from sandbox.salesforce.soql_ast import Condition, FieldPath, OrderKey
from sandbox.salesforce.soql_errors import MALFORMED_SEARCH, SoqlError
from sandbox.salesforce.soql_filter import FilterContext
from sandbox.salesforce.soql_lexer import Kind, tokenize
from sandbox.salesforce.soql_parser import RESERVED, Parser
from sandbox.salesforce.soql_paths import RowReader, project
from sandbox.salesforce.sosl_terms import (
    AllOf,
    AnyOf,
    SearchExpression,
    Term,
    parse_search_text,
    phone_matches,
    text_matches,
)

__all__ = ["search"]

# Salesforce caps a search at 2,000 records in all.
MAX_RECORDS = 2000
_SCOPES = ("ALL", "NAME", "EMAIL", "PHONE", "SIDEBAR")
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
    searchable = (
        source.searchable(schema) if isinstance(source, IndexedSource)
        else _ScannedRows(source.rows(schema.name, include_deleted=False))
    )
    found = searchable.in_order(_Matcher(searched, searchable).matching(parsed.expression))
    # Filtering and a stable sort order the found rows as they would order
    # them among all rows, so matching before WHERE changes no answer.
    rows = select_rows(
        context, entry.where, entry.order_by, None, None, include_deleted=False, rows=found,
    )
    start = entry.skip or 0
    end = None if entry.limit is None else start + entry.limit

    return [
        project(schema.name, row, selected, context.reader, api_version)
        for row in rows[start:end]
    ]


def _scope_fields(schema: ObjectSchema, scope: str) -> list[FieldSchema]:
    """Return the fields a search scope looks in on one object."""
    fields = [field for field in schema.fields.values() if field.type in SEARCHED_TYPES]
    if scope == "EMAIL":
        return [field for field in fields if field.type == "email"]
    if scope == "PHONE":
        return [field for field in fields if field.type == "phone"]
    if scope == "NAME":
        return [field for field in fields if field.name.lower() in _NAME_FIELDS]
    return fields


class _Matcher:
    """Evaluate a search expression as sets of row keys.

    A row satisfies a term when any searched field matches it; AND, OR and
    NOT become intersection, union and complement, which is the same as
    testing the expression row by row. Each term's rows are the index's
    candidates that pass the exact field test.
    """

    def __init__(self, fields: list[FieldSchema], rows: SearchableRows) -> None:
        self._fields = fields
        self._rows = rows
        self._by_text: dict[str, set[str]] = {}
        self._every: set[str] | None = None

    def matching(self, expression: SearchExpression) -> set[str]:
        """Return the keys of the rows that satisfy ``expression``."""
        if isinstance(expression, Term):
            return self._term(expression)
        if isinstance(expression, AllOf):
            parts = [self.matching(part) for part in expression.operands]
            return set.intersection(*parts)
        if isinstance(expression, AnyOf):
            return set().union(*(self.matching(part) for part in expression.operands))
        return self._all() - self.matching(expression.operand)

    def _all(self) -> set[str]:
        if self._every is None:
            self._every = self._rows.keys()
        return self._every

    def _term(self, term: Term) -> set[str]:
        # Matching depends on the text alone; the result is shared, so callers
        # must not change it (set operations above always build new sets).
        found = self._by_text.get(term.text)
        if found is None:
            found = {key for key in self._candidates(term) if self._row_matches(key, term)}
            self._by_text[term.text] = found
        return found

    def _candidates(self, term: Term) -> set[str]:
        candidates: set[str] = set()
        for field in self._fields:
            keys = self._rows.candidates(field, term)
            if keys is None:
                return self._all()
            candidates |= keys
        return candidates

    def _row_matches(self, key: str, term: Term) -> bool:
        row = self._rows.row(key)
        return row is not None and any(
            _field_matches(term, field, row.get(field.name)) for field in self._fields
        )


class _ScannedRows:
    """A plain source's live rows for one search: every row is a candidate."""

    def __init__(self, rows: Iterable[dict[str, Any]]) -> None:
        self._rows = {str(position): row for position, row in enumerate(rows)}

    def keys(self) -> set[str]:
        return set(self._rows)

    def row(self, key: str) -> dict[str, Any] | None:
        return self._rows.get(key)

    def candidates(self, field: FieldSchema, term: Term) -> set[str] | None:
        return None

    def in_order(self, keys: set[str]) -> list[dict[str, Any]]:
        return [row for key, row in self._rows.items() if key in keys]


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
