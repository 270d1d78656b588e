"""One API call's writes: validated, applied, then committed or rolled back.

Each operation is atomic on its own (a failed record leaves no trace), and
the whole unit commits as one transaction the change-event bus hears about.
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import structlog

from sandbox.salesforce import derived, ids, person, writes
from sandbox.salesforce.changes import RecordChange, Transaction
from sandbox.salesforce.errors import SalesforceError, not_found
from sandbox.salesforce.schema import FieldSchema, ObjectSchema

if TYPE_CHECKING:
    from sandbox.salesforce.store import CallContext, OrgStore

log = structlog.get_logger(__name__)
Row = dict[str, Any]
# Objects callers cannot insert into through the API.
_NOT_CREATEABLE = frozenset({"RecordType"})


class MultipleMatches(SalesforceError):
    """An upsert's external id matched several records."""

    def __init__(self, matches: list[str]) -> None:
        super().__init__("MULTIPLE_CHOICES", "More than one record matched", status=300)
        self.matches = matches


class UnitOfWork:
    """Writes of one API call, committed together as one transaction."""

    def __init__(self, store: OrgStore, ctx: CallContext) -> None:
        self.store = store
        self.ctx = ctx
        self.now = store.timestamp()
        self._journal: list[tuple[ObjectSchema, str, Row | None]] = []
        self._changes: list[RecordChange] = []

    def __enter__(self) -> UnitOfWork:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None,
        exc: BaseException | None, tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.commit()
        else:
            self.rollback_to((0, 0))

    # Savepoints.

    def savepoint(self) -> tuple[int, int]:
        """Mark the current state so later writes can be undone."""
        return len(self._journal), len(self._changes)

    def rollback_to(self, mark: tuple[int, int]) -> None:
        """Undo every write made since ``mark``."""
        journal_at, changes_at = mark
        while len(self._journal) > journal_at:
            schema, id15, previous = self._journal.pop()
            if previous is None:
                self.store.drop(schema, id15)
            else:
                self.store.put(schema, previous)
        del self._changes[changes_at:]

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Run a block whose writes all vanish if it raises."""
        mark = self.savepoint()
        try:
            yield
        except BaseException:
            self.rollback_to(mark)
            raise

    def commit(self) -> None:
        """Tell the listener about this unit's changes, if there were any."""
        changes = [
            c for c in self._changes
            if (s := self.store.schema(c.entity)) is not None and s.change_events
        ]
        self._journal.clear()
        self._changes.clear()
        if not changes or self.store.listener is None:
            return
        self.store.commit_number += 1
        txn = Transaction(
            transaction_key=str(uuid.uuid4()),
            commit_timestamp_ms=int(self.store.clock() * 1000),
            commit_number=self.store.commit_number,
            commit_user=self.ctx.user_id,
            change_origin=self.ctx.change_origin(),
            changes=tuple(changes),
        )
        try:
            self.store.listener(txn)
        except Exception:
            log.exception("change_listener_failed", commit_number=txn.commit_number)

    # Operations callers ask for.

    def create(self, object_name: str, body: Mapping[str, Any]) -> str:
        """Validate and insert a record; return its 18-character id."""
        schema = self.require_schema(object_name)
        if schema.name in _NOT_CREATEABLE:
            raise SalesforceError(
                "INVALID_TYPE_FOR_OPERATION",
                f"entity type {schema.name} does not support insert",
            )
        fields = writes.prepare(schema, self._referenced(schema, body), creating=True)
        with self.atomic():
            return self._create(schema, fields)

    def update(self, object_name: str, record_id: str, body: Mapping[str, Any]) -> None:
        """Validate and apply changes to a live record."""
        schema = self.require_schema(object_name)
        row = self.live_row(schema, record_id)
        if schema.name == "Lead" and row.get("IsConverted"):
            raise SalesforceError(
                "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead",
            )
        fields = writes.prepare(schema, self._referenced(schema, body), creating=False)
        with self.atomic():
            self._update(schema, row, fields)

    def upsert(
        self, object_name: str, id_field: str, value: str, body: Mapping[str, Any],
    ) -> tuple[str, bool]:
        """Update the record whose external id is ``value`` or create it.

        Return (id, created).
        """
        schema = self.require_schema(object_name)
        key = schema.field_ci(id_field)
        if key is None or not (key.external_id or key.name == "Id"):
            raise SalesforceError(
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {id_field}",
                status=404,
            )
        if key.name == "Id":
            self.update(schema.name, value, body)
            return ids.to18(ids.normalize(value) or value), False
        matches = self.store.find_by_field(schema.name, key.name, value)
        if len(matches) > 1:
            raise MultipleMatches(matches)
        if matches:
            self.update(schema.name, matches[0], body)
            return matches[0], False
        return self.create(schema.name, {**body, key.name: value}), True

    def delete(self, record_id: str, object_name: str | None = None) -> None:
        """Move a live record to the recycle bin."""
        schema = self._schema_of(record_id, object_name)
        row = self.live_row(schema, record_id)
        with self.atomic():
            self.set_deleted(schema, row, deleted=True)
            person.after_account_delete(self, schema, row, deleted=True)

    def undelete(self, record_id: str) -> None:
        """Restore a record from the recycle bin."""
        schema = self._schema_of(record_id, None)
        found = self.store.raw(record_id)
        if found is None:
            raise not_found()
        row = found[1]
        if not row["IsDeleted"]:
            raise SalesforceError("UNDELETE_FAILED", "Entity is not in the recycle bin")
        with self.atomic():
            self.set_deleted(schema, row, deleted=False)
            person.after_account_delete(self, schema, row, deleted=False)

    def _referenced(self, schema: ObjectSchema, body: Mapping[str, Any]) -> dict[str, Any]:
        """Turn ``Lead__r: {"Ext__c": "k"}`` into the lookup's id, as the API does.

        A polymorphic lookup (``Who``) needs ``attributes.type`` to say which
        object the external id belongs to.
        """
        resolved: dict[str, Any] = {}
        for key, value in body.items():
            if key == "attributes" or not isinstance(value, Mapping):
                resolved[key] = value
                continue
            lookup = next((f for f in schema.fields.values() if f.relationship_name
                           and f.relationship_name.lower() == key.lower()), None)
            if lookup is None:
                raise SalesforceError(
                    "INVALID_FIELD",
                    f"No such column '{key}' on sobject of type {schema.name}", fields=[key])
            resolved[lookup.name] = self._foreign_id(lookup, key, value)
        return resolved

    def _foreign_id(self, lookup: FieldSchema, key: str, value: Mapping[str, Any]) -> str:
        kind = (value.get("attributes") or {}).get("type")
        targets = [t for t in lookup.reference_to if kind is None or t.lower() == kind.lower()]
        keys = [k for k in value if k != "attributes"]
        if len(targets) != 1 or len(keys) != 1:
            raise SalesforceError(
                "INVALID_FIELD",
                f"The relationship {key} needs one external id field and, when "
                "polymorphic, attributes.type", fields=[key])
        target = self.require_schema(targets[0])
        external = target.field_ci(keys[0])
        if external is None or not (external.external_id or external.name == "Id"):
            raise SalesforceError(
                "INVALID_FIELD",
                f"Field {keys[0]} on {target.name} is not an external id", fields=[key])
        wanted = value[keys[0]]
        found = self.store.find_by_field(target.name, external.name, wanted)
        if len(found) != 1:
            verdict = "not found" if not found else "matched more than one record"
            raise SalesforceError(
                "INVALID_FIELD",
                f"Foreign key external ID: {wanted} {verdict} for field "
                f"{external.name} in entity {target.name}", fields=[key])
        return found[0]

    # Lookups shared with the person-account and lead-conversion rules.

    def require_schema(self, object_name: str) -> ObjectSchema:
        schema = self.store.schema(object_name)
        if schema is None:
            raise not_found()
        return schema

    def live_row(self, schema: ObjectSchema, record_id: str) -> Row:
        """Return a record's stored row, refusing absent and deleted ones."""
        if ids.normalize(record_id) is None:
            raise SalesforceError(
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {record_id}",
                status=404,
            )
        found = self.store.raw(record_id)
        if found is None or found[0].name != schema.name:
            raise not_found()
        if found[1]["IsDeleted"]:
            raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted")
        return found[1]

    # Primitives: no caller validation, used by the rules above.

    def insert_row(
        self, schema: ObjectSchema, fields: Mapping[str, Any], record_id: str | None = None,
    ) -> str:
        """Store a new record with system fields and record its CREATE change."""
        new_id = record_id or self.store.new_id(schema)
        row: Row = {"Id": new_id, "IsDeleted": False, **writes.defaults(schema), **fields}
        if "OwnerId" in schema.fields:
            row.setdefault("OwnerId", self.ctx.user_id)
        row.update(self._audit(creating=True))
        row.update(self._auto_numbers(schema))
        row.update(derived.derive(schema.name, row, self.now))
        self._journal.append((schema, new_id[:15], None))
        self.store.put(schema, row)
        self._record(schema, "CREATE", row, [k for k, v in row.items() if v is not None])
        return new_id

    def modify_row(self, schema: ObjectSchema, row: Row, fields: Mapping[str, Any]) -> Row:
        """Apply values to a stored record and record its UPDATE change."""
        current = self.store.raw(row["Id"])
        previous = current[1] if current is not None else row
        updated = {**previous, **fields, **self._audit(creating=False)}
        updated.update(derived.derive(schema.name, updated, self.now))
        changed = [k for k, v in updated.items() if previous.get(k) != v or k in fields]
        self._journal.append((schema, row["Id"][:15], previous))
        self.store.put(schema, updated)
        self._record(schema, "UPDATE", updated, changed)
        return updated

    def set_deleted(self, schema: ObjectSchema, row: Row, *, deleted: bool) -> None:
        """Flip a record's recycle-bin flag and record DELETE or UNDELETE."""
        updated = {**row, "IsDeleted": deleted, **self._audit(creating=False)}
        self._journal.append((schema, row["Id"][:15], row))
        self.store.put(schema, updated)
        if deleted:
            self._record(schema, "DELETE", updated, [])
        else:
            self._record(schema, "UNDELETE", updated, [
                k for k, v in updated.items() if v is not None
            ])

    def check_references(self, schema: ObjectSchema, fields: Mapping[str, Any]) -> None:
        """Refuse lookups to absent, deleted or wrongly typed records."""
        for name, value in fields.items():
            f = schema.fields[name]
            if f.type != "reference" or value is None:
                continue
            target = self.store.schema_for_id(value)
            if target is None or target.name not in f.reference_to:
                raise SalesforceError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    f"{f.label}: id value of incorrect type: {value}", fields=[name],
                )
            found = self.store.raw(value)
            if found is None:
                raise SalesforceError(
                    "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                    fields=[name],
                )
            if found[1]["IsDeleted"]:
                raise SalesforceError("ENTITY_IS_DELETED", "entity is deleted", fields=[name])

    # Internals.

    def _create(self, schema: ObjectSchema, fields: Row) -> str:
        self.check_references(schema, fields)
        if schema.name == "Account":
            return person.create_account(self, schema, fields)
        row = {**writes.defaults(schema), **fields}
        row.update(derived.derive(schema.name, row, self.now))
        writes.check_required(schema, row)
        if schema.name == "Event" and row.get("DurationInMinutes") is None:
            writes.raise_missing(["DurationInMinutes"])
        return self.insert_row(schema, fields)

    def _update(self, schema: ObjectSchema, row: Row, fields: Row) -> None:
        self.check_references(schema, fields)
        if schema.name == "Account":
            person.update_account(self, schema, row, fields)
        elif schema.name == "Contact" and row.get("IsPersonAccount"):
            person.update_person_contact(self, schema, row, fields)
        else:
            self.modify_row(schema, row, fields)

    def _schema_of(self, record_id: str, object_name: str | None) -> ObjectSchema:
        if object_name is not None:
            return self.require_schema(object_name)
        schema = self.store.schema_for_id(record_id)
        if schema is None or ids.normalize(record_id) is None:
            raise SalesforceError("MALFORMED_ID", f"malformed id {record_id}")
        return schema

    def _audit(self, *, creating: bool) -> Row:
        stamps: Row = {
            "LastModifiedDate": self.now, "SystemModstamp": self.now,
            "LastModifiedById": self.ctx.user_id,
        }
        if creating:
            stamps.update(CreatedDate=self.now, CreatedById=self.ctx.user_id)
        return stamps

    def _auto_numbers(self, schema: ObjectSchema) -> Row:
        numbered: Row = {}
        for f in schema.fields.values():
            if f.auto_number_format is None:
                continue
            key = f"{schema.name}.{f.name}"
            self.store.counters[key] = self.store.counters.get(key, 0) + 1
            numbered[f.name] = _format_auto_number(f.auto_number_format, self.store.counters[key])
        return numbered

    def _record(
        self, schema: ObjectSchema, change_type: str, row: Row, changed: list[str],
    ) -> None:
        names = tuple(n for n in changed if n != "Id")
        self._changes.append(RecordChange(
            entity=schema.name, change_type=change_type, record_id=row["Id"],
            values={n: row.get(n) for n in names}, changed_fields=names,
            nulled_fields=tuple(n for n in names if row.get(n) is None),
        ))


def _format_auto_number(display_format: str, number: int) -> str:
    def pad(match: re.Match[str]) -> str:
        return str(number).zfill(len(match.group(1)))

    return re.sub(r"\{(0+)\}", pad, display_format)
