"""Values that go into and come out of storage, and its errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from regalsync.errors import Conflict, InvalidInput, NotFound, Unavailable
from regalsync.tracing import current_trace_context

__all__ = [
    "ClaimedItem",
    "DeadLetter",
    "Document",
    "DocumentNotFound",
    "DocumentVersion",
    "LogEntry",
    "LogRecord",
    "QueueItem",
    "QueueItemNotFound",
    "QueueStats",
    "StorageUnavailable",
    "UnsupportedStorageUrl",
]


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One unit of work offered to a durable queue.

    The idempotency key is unique per queue and tenant: offering the same
    key again is a no-op. Items that share an ordering key are handed out
    strictly one at a time, oldest first.

    `trace_context` defaults to the span current where the item is made
    (None when tracing is off), so whoever handles it continues the
    trace of whoever offered it, even through a shared commit.
    """

    tenant: str
    idempotency_key: str
    ordering_key: str
    payload: bytes
    delay_seconds: float = 0.0
    trace_context: str | None = field(default_factory=current_trace_context)


@dataclass(frozen=True, slots=True)
class ClaimedItem:
    """An item leased to one worker until `lease_until`.

    `attempts` counts deliveries, this one included, so a worker can send
    an item that keeps failing (or keeps crashing its worker) to the dead
    letters.
    """

    id: int
    queue: str
    tenant: str
    idempotency_key: str
    ordering_key: str
    payload: bytes
    attempts: int
    enqueued_at: float
    lease_until: float
    last_error: str | None
    trace_context: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An item taken out of its queue after it could not be processed."""

    id: int
    queue: str
    tenant: str
    idempotency_key: str
    ordering_key: str
    payload: bytes
    attempts: int
    reason: str
    failed_at: float


@dataclass(frozen=True, slots=True)
class QueueStats:
    """How much work waits in a queue and for how long."""

    pending: int
    in_flight: int
    dead: int
    oldest_age_seconds: float | None


@dataclass(frozen=True, slots=True)
class Document:
    """One version of a tenant's document, such as a configuration."""

    kind: str
    tenant: str
    version: int
    body: bytes
    created_at: float


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    """A version of a document as listed, without its body."""

    version: int
    created_at: float
    active: bool


@dataclass(frozen=True, slots=True)
class LogEntry:
    """The outcome of one inbound or outbound event, for operators.

    `detail` must hold ids and counts only, never personal data.
    """

    tenant: str
    direction: str
    event_type: str
    idempotency_key: str
    status: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class LogRecord:
    """A stored event log entry with its id and time."""

    id: int
    entry: LogEntry
    recorded_at: float


def day_key(day: dt.date) -> str:
    """Return the key a usage counter uses for a calendar day."""
    return day.isoformat()


class UnsupportedStorageUrl(InvalidInput):
    """Reject a storage URL whose scheme no backend understands."""


class StorageUnavailable(Unavailable):
    """Signal that the database cannot be reached or stays locked."""


class DocumentNotFound(NotFound):
    """Report that a document version does not exist."""


class QueueItemNotFound(Conflict):
    """Report that an item is no longer pending in its queue.

    Another worker finished it after this worker's lease ran out, or it
    was sent to the dead letters.
    """
