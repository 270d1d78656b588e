"""What the record store tells the change-event bus after each commit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

CHANGE_TYPES = frozenset({
    "CREATE", "UPDATE", "DELETE", "UNDELETE",
    "GAP_CREATE", "GAP_UPDATE", "GAP_DELETE", "GAP_UNDELETE", "GAP_OVERFLOW",
})


@dataclass(frozen=True)
class RecordChange:
    """One record's change inside a committed transaction.

    ``values`` holds field name -> new value for the fields named in
    ``changed_fields`` (for CREATE: every non-null field); ``nulled_fields``
    lists fields set to null. Names are top-level field names, including
    compound components such as ``BillingCity``; the bus maps components to
    their compound parent when it builds bitmaps. Values use the REST
    representation (ISO strings for dates); the bus converts to Avro.
    """

    entity: str
    change_type: str
    record_id: str
    values: dict[str, Any] = field(default_factory=dict)
    changed_fields: tuple[str, ...] = ()
    nulled_fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class Transaction:
    """A committed unit of work: every change one API call made, in order."""

    transaction_key: str
    commit_timestamp_ms: int
    commit_number: int
    commit_user: str
    # "com/salesforce/api/rest/59.0" plus ";client=<id>" when the caller sent
    # Sforce-Call-Options: client=<id>.
    change_origin: str
    changes: Sequence[RecordChange]


ChangeListener = Callable[[Transaction], None]
