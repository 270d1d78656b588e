"""Describe the Salesforce writes a Regal event causes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mapping_service.domain.changes import MappingProblem
from mapping_service.domain.values import JsonObject, JsonValue


class WriteKind(StrEnum):
    """Name how the writer applies a write."""

    CREATE = "create"
    UPDATE = "update"
    # Create or update by an external id field: idempotent creates.
    UPSERT = "upsert"


@dataclass(frozen=True)
class MatchedRecord:
    """Hold the record the matcher chose and its current mapped values."""

    object_type: str
    record_id: str
    fields: Mapping[str, JsonValue] = field(default_factory=dict)

    @property
    def sobject(self) -> str:
        """Return the Salesforce object type: Person Accounts are Accounts."""
        return "Account" if self.object_type == "PersonAccount" else self.object_type


@dataclass(frozen=True)
class CreatedRecord:
    """Name the record an unmatched event creates (I4), before it has an id.

    Later writes of the event point at it through its ``Regal_Sync_Key__c``
    (a relationship by external id), and share its ordering key, so the
    writer applies them only after the record exists.
    """

    object_type: str
    sync_key: str
    ordering_key: str

    @property
    def sobject(self) -> str:
        """Return the Salesforce object type: Person Accounts are Accounts."""
        return "Account" if self.object_type == "PersonAccount" else self.object_type


@dataclass(frozen=True)
class WriteOut:
    """Hold one write for the salesforce-writer queue.

    ``purpose`` tells the writes of one event apart (``event_record``,
    ``attributes``, ``task``, ``create_record``); the adapter appends it to
    the event's idempotency key, so a redelivered event writes nothing twice.
    """

    kind: WriteKind
    object_type: str
    fields: JsonObject
    ordering_key: str
    purpose: str
    record_id: str | None = None
    external_id_field: str | None = None
    external_id: str | None = None
    problems: tuple[MappingProblem, ...] = ()
    # Text fields appended to the stored value instead of replacing it.
    append_fields: tuple[str, ...] = ()
    # The agent's email: the writer makes that Salesforce user the owner.
    owner_email: str | None = None
