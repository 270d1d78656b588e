"""The org's records in memory, read by REST and the SOQL/SOSL engines.

Writes go through a :class:`~sandbox.salesforce.unit.UnitOfWork` opened
with :meth:`OrgStore.transaction`; reads use the methods here directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.salesforce import ids
from sandbox.salesforce.changes import ChangeListener
from sandbox.salesforce.records import materialize, rest_record
from sandbox.salesforce.schema import ObjectSchema
from sandbox.salesforce.search_index import IndexedRows, StoreSearchIndex
from sandbox.salesforce.unit import UnitOfWork
from sandbox.salesforce.values import format_datetime

# Counters start here so ids look like real ones (00Q8d00000A0001...).
_FIRST_COUNTER = 10 * 62**4
PERSON_RECORD_TYPE = "PersonAccount"
API_VERSION = "59.0"


@dataclass(frozen=True)
class CallContext:
    """Who makes an API call, and how they identified their client."""

    user_id: str
    client_id: str | None = None
    api_version: str = API_VERSION

    def change_origin(self) -> str:
        """Return the ``changeOrigin`` change events carry for this call."""
        origin = f"com/salesforce/api/rest/{self.api_version}"
        return f"{origin};client={self.client_id}" if self.client_id else origin


class OrgStore:
    """Every record of the org, indexed by object and by id."""

    def __init__(
        self, objects: Mapping[str, ObjectSchema], *, org_id: str,
        clock: Callable[[], float], username: str,
        listener: ChangeListener | None = None,
    ) -> None:
        self.org_id = org_id
        self.clock = clock
        self.listener = listener
        self.username = username
        self._objects = dict(objects)
        self._by_prefix = {o.key_prefix: o for o in self._objects.values()}
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self._search_index = StoreSearchIndex(self._records_of)
        self.counters: dict[str, int] = {}
        self.commit_number = 0
        self.integration_user_id = ""
        self.person_record_type_id = ""
        self.reset()

    # Schema and QuerySource.

    def objects(self) -> Iterable[ObjectSchema]:
        """Return every object type in the org."""
        return self._objects.values()

    def schema(self, object_name: str) -> ObjectSchema | None:
        """Return one object type, matched case-insensitively, or None."""
        found = self._objects.get(object_name)
        if found is not None:
            return found
        lowered = object_name.lower()
        return next((o for o in self._objects.values() if o.name.lower() == lowered), None)

    def rows(self, object_name: str, *, include_deleted: bool) -> Iterator[dict[str, Any]]:
        """Yield each record's full field map, deleted ones only on request."""
        schema = self.schema(object_name)
        if schema is None:
            return
        for row in self.records.get(schema.name, {}).values():
            if include_deleted or not row["IsDeleted"]:
                yield materialize(schema, row)

    def rows_by_id(
        self, object_name: str, record_ids: Collection[str], *, include_deleted: bool,
    ) -> Iterator[dict[str, Any]]:
        """Yield the full maps of the records with these 15-character ids, in rows() order."""
        schema = self.schema(object_name)
        if schema is None:
            return
        records = self.records.get(schema.name, {})
        wanted = {key for key in record_ids if key in records}
        # Walking the keys keeps the order of rows() without building every row.
        for key in records if wanted else ():
            if key in wanted:
                row = records[key]
                if include_deleted or not row["IsDeleted"]:
                    yield materialize(schema, row)

    def searchable(self, schema: ObjectSchema) -> IndexedRows:
        """Return an object's live records behind its search index."""
        return self._search_index.rows(schema)

    def get_by_id(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """Return (object name, full row) for a 15- or 18-character id, or None."""
        found = self.raw(record_id)
        if found is None:
            return None
        schema, row = found
        return schema.name, materialize(schema, row)

    # Reads for REST.

    def raw(self, record_id: str) -> tuple[ObjectSchema, dict[str, Any]] | None:
        """Return the schema and stored row of an id, deleted or not."""
        id15 = ids.normalize(record_id)
        if id15 is None:
            return None
        schema = self._by_prefix.get(ids.key_prefix(id15))
        if schema is None:
            return None
        row = self.records.get(schema.name, {}).get(id15)
        return (schema, row) if row is not None else None

    def read(
        self, record_id: str, *, fields: list[str] | None = None,
        version: str = API_VERSION,
    ) -> dict[str, Any] | None:
        """Return a live record in REST shape, or None when absent or deleted."""
        found = self.raw(record_id)
        if found is None or found[1]["IsDeleted"]:
            return None
        schema, row = found
        return rest_record(schema, row, version=version, fields=fields)

    def find_by_field(self, object_name: str, field: str, value: Any) -> list[str]:
        """Return the ids of live records whose ``field`` equals ``value``."""
        return [
            row["Id"] for row in self.records.get(object_name, {}).values()
            if not row["IsDeleted"] and row.get(field) == value
        ]

    def schema_for_id(self, record_id: str) -> ObjectSchema | None:
        """Return the object an id belongs to by its key prefix."""
        return self._by_prefix.get(ids.key_prefix(record_id))

    # Writes.

    def transaction(self, ctx: CallContext) -> UnitOfWork:
        """Open a unit of work; it commits on a clean exit, else rolls back."""
        return UnitOfWork(self, ctx)

    def timestamp(self) -> str:
        """Return the sandbox clock's now as a REST datetime."""
        return format_datetime(dt.datetime.fromtimestamp(self.clock(), dt.UTC))

    def new_id(self, schema: ObjectSchema) -> str:
        """Allocate the next id of an object type."""
        counter = self.counters.get(schema.key_prefix, _FIRST_COUNTER) + 1
        self.counters[schema.key_prefix] = counter
        return ids.make_id(schema.key_prefix, counter)

    def put(self, schema: ObjectSchema, row: dict[str, Any]) -> None:
        """Store a row under its id, replacing any previous version."""
        id15 = row["Id"][:15]
        self.records.setdefault(schema.name, {})[id15] = row
        self._search_index.mark_stale(schema.name, id15)

    def drop(self, schema: ObjectSchema, id15: str) -> None:
        """Forget a row entirely (used to roll back a create)."""
        self.records.get(schema.name, {}).pop(id15, None)
        self._search_index.mark_stale(schema.name, id15)

    def system_context(self) -> CallContext:
        """Return the context the sandbox's own operations run as."""
        return CallContext(user_id=self.integration_user_id)

    # Lifecycle.

    def reset(self) -> None:
        """Forget every record and seed the integration user and record types."""
        self.records = {}
        self._search_index.clear()
        self.counters = {}
        self.commit_number = 0
        self._seed()

    def dump(self) -> dict[str, Any]:
        """Return the store's state as JSON-ready data."""
        return {
            "records": self.records, "counters": self.counters,
            "commit_number": self.commit_number,
        }

    def load(self, state: Mapping[str, Any]) -> None:
        """Replace the store's state with data from :meth:`dump`."""
        self.records = {k: dict(v) for k, v in state["records"].items()}
        self._search_index.clear()
        self.counters = dict(state["counters"])
        self.commit_number = int(state["commit_number"])
        self._find_seeds()

    def _records_of(self, object_name: str) -> dict[str, dict[str, Any]]:
        return self.records.get(object_name, {})

    def _seed(self) -> None:
        user = self._objects["User"]
        user_id = self.new_id(user)
        self.integration_user_id = user_id
        self.put(user, self._system_row(user_id, {
            "Username": self.username, "LastName": "Integration", "FirstName": "Regal",
            "Email": self.username, "Alias": "integ", "IsActive": True,
            "TimeZoneSidKey": "America/Los_Angeles",
        }))
        record_type = self._objects["RecordType"]
        for developer_name, label, person in (
            ("Business_Account", "Business Account", False),
            (PERSON_RECORD_TYPE, "Person Account", True),
        ):
            self.put(record_type, self._system_row(self.new_id(record_type), {
                "Name": label, "DeveloperName": developer_name, "SobjectType": "Account",
                "IsActive": True, "IsPersonType": person,
            }))
        self._find_seeds()

    def _system_row(self, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        stamp = self.timestamp()
        creator = self.integration_user_id or record_id
        return {
            "Id": record_id, "IsDeleted": False, **fields,
            "CreatedDate": stamp, "CreatedById": creator, "LastModifiedDate": stamp,
            "LastModifiedById": creator, "SystemModstamp": stamp,
        }

    def _find_seeds(self) -> None:
        users = self.records.get("User", {}).values()
        self.integration_user_id = next(
            r["Id"] for r in users if r["Username"] == self.username
        )
        record_types = self.records.get("RecordType", {}).values()
        self.person_record_type_id = next(
            r["Id"] for r in record_types if r["DeveloperName"] == PERSON_RECORD_TYPE
        )
