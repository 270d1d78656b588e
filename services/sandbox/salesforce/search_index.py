"""The record store's search index: which records a SOSL term can match.

Testing every row with every term made a 200-number phone search cost
hundreds of milliseconds of event-loop time on a thousand-record org.
Instead, each text-type field files its records under *keys*:

* a phone field under its number's national digits and under every ending
  of those digits that is at least 7 digits long (a 7+ digit term may match
  the end of a number);
* any other text field under the case-folded tokens of its value.

A lookup returns a superset of the records whose field can match a term,
or None when the term (one made of wildcards only, or a phone prefix)
cannot be looked up. The search engine still tests every candidate with
:func:`~sandbox.salesforce.sosl_terms.phone_matches` and
:func:`~sandbox.salesforce.sosl_terms.text_matches`, so the index changes
how fast a search is, never what it finds.

The store marks a record stale on every write; the index refiles stale
records when a search next reads the object, so writes pay almost nothing
and an object nobody searches is never indexed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sandbox.salesforce.records import materialize
from sandbox.salesforce.schema import FieldSchema, ObjectSchema
from sandbox.salesforce.sosl_terms import (
    LOCAL_NUMBER_DIGITS,
    Term,
    field_tokens,
    has_wildcard,
    phone_number,
    phone_term,
    term_tokens,
)

Row = dict[str, Any]
# The describe types a search looks in (SOSL skips numbers, dates, picklists...).
SEARCHED_TYPES = frozenset({"string", "textarea", "email", "phone", "url"})
_NOTHING: frozenset[str] = frozenset()


def field_keys(field: FieldSchema, value: object) -> frozenset[str]:
    """Return the keys one field value is filed under."""
    if not value:
        return _NOTHING
    if field.type == "phone":
        number = phone_number(str(value))
        if not number:
            return _NOTHING
        endings = (number[start:] for start in range(len(number) - LOCAL_NUMBER_DIGITS + 1))
        return frozenset((number, *endings))
    return frozenset(field_tokens(str(value)))


def lookup_keys(field: FieldSchema, term: Term) -> frozenset[str] | None:
    """Return keys a record must be filed under (all of them) to possibly match.

    An empty set means the term can match no value of the field; None
    means the index cannot narrow the search and every record is a candidate.
    """
    if field.type == "phone":
        wanted = phone_term(term)
        if wanted is None:
            return _NOTHING
        # A prefix is not one key; such searches are rare enough to scan.
        return None if wanted.prefix else frozenset({wanted.digits})
    tokens = term_tokens(term)
    if not tokens:
        return _NOTHING
    plain = frozenset(token for token in tokens if not has_wildcard(token))
    return plain or None


class ObjectIndex:
    """One object's searchable fields: key -> ids of the records filed under it."""

    def __init__(self, schema: ObjectSchema) -> None:
        self._fields = [f for f in schema.fields.values() if f.type in SEARCHED_TYPES]
        self._postings: dict[str, dict[str, set[str]]] = {f.name: {} for f in self._fields}
        # What each record is filed under, to unfile it when it changes.
        self._filed: dict[str, list[tuple[str, frozenset[str]]]] = {}

    def file(self, record_key: str, row: Mapping[str, Any]) -> None:
        """File (or refile) a record's current values."""
        self.unfile(record_key)
        filed: list[tuple[str, frozenset[str]]] = []
        for f in self._fields:
            keys = field_keys(f, row.get(f.name))
            if not keys:
                continue
            postings = self._postings[f.name]
            for key in keys:
                postings.setdefault(key, set()).add(record_key)
            filed.append((f.name, keys))
        self._filed[record_key] = filed

    def unfile(self, record_key: str) -> None:
        """Forget a record; nothing happens if it was never filed."""
        for field_name, keys in self._filed.pop(record_key, ()):
            postings = self._postings[field_name]
            for key in keys:
                holders = postings[key]
                holders.discard(record_key)
                if not holders:
                    del postings[key]

    def candidates(self, field: FieldSchema, term: Term) -> set[str] | None:
        """Return ids of records whose ``field`` may match ``term``, or None for all."""
        postings = self._postings.get(field.name)
        if postings is None:
            return None
        wanted = lookup_keys(field, term)
        if wanted is None:
            return None
        found: set[str] | None = None
        for key in wanted:
            holders = postings.get(key)
            if not holders:
                return set()
            found = set(holders) if found is None else found & holders
        return found if found is not None else set()


class StoreSearchIndex:
    """Per-object indexes over the record store, brought up to date on read.

    ``records_of`` returns the store's own id -> stored row map of an object
    (ids are 15 characters); rows are materialized here so calculated text
    fields (a Contact's Name) are searchable like stored ones.
    """

    def __init__(self, records_of: Callable[[str], Mapping[str, Row]]) -> None:
        self._records_of = records_of
        self._indexes: dict[str, ObjectIndex] = {}
        self._stale: dict[str, set[str]] = {}

    def mark_stale(self, object_name: str, record_key: str) -> None:
        """Note that a record was written; cheap, as it runs on every write."""
        stale = self._stale.get(object_name)
        if stale is not None:
            stale.add(record_key)

    def clear(self) -> None:
        """Forget every index (the store's records were replaced)."""
        self._indexes.clear()
        self._stale.clear()

    def rows(self, schema: ObjectSchema) -> IndexedRows:
        """Return the object's live records for one search, behind its index."""
        return IndexedRows(schema, self.index(schema), self._records_of(schema.name))

    def index(self, schema: ObjectSchema) -> ObjectIndex:
        """Return the object's index with every write so far filed."""
        records = self._records_of(schema.name)
        index = self._indexes.get(schema.name)
        if index is None:
            index = ObjectIndex(schema)
            self._indexes[schema.name] = index
            self._refile(schema, index, records, records.keys())
        else:
            self._refile(schema, index, records, self._stale[schema.name])
        self._stale[schema.name] = set()
        return index

    @staticmethod
    def _refile(
        schema: ObjectSchema, index: ObjectIndex, records: Mapping[str, Row],
        record_keys: Iterable[str],
    ) -> None:
        for record_key in record_keys:
            row = records.get(record_key)
            if row is None or row["IsDeleted"]:
                index.unfile(record_key)
            else:
                index.file(record_key, materialize(schema, row))


class IndexedRows:
    """One object's live records as one search reads them; keys are 15-character ids.

    Rows are materialized only when a search asks for them, once each.
    """

    def __init__(
        self, schema: ObjectSchema, index: ObjectIndex, records: Mapping[str, Row],
    ) -> None:
        self._schema = schema
        self._index = index
        self._records = records
        self._materialized: dict[str, Row] = {}

    def keys(self) -> set[str]:
        return {key for key, row in self._records.items() if not row["IsDeleted"]}

    def row(self, key: str) -> Row | None:
        found = self._materialized.get(key)
        if found is not None:
            return found
        stored = self._records.get(key)
        if stored is None or stored["IsDeleted"]:
            return None
        found = materialize(self._schema, stored)
        self._materialized[key] = found
        return found

    def candidates(self, field: FieldSchema, term: Term) -> set[str] | None:
        return self._index.candidates(field, term)

    def in_order(self, keys: set[str]) -> list[Row]:
        found = (self.row(key) for key in self._records if key in keys)
        return [row for row in found if row is not None]
