"""Durable storage for every regal-sync service, on SQLite or PostgreSQL.

Open it with `open_storage(url)`; see docs/storage.md for the tables
and the guarantees.
"""

from regalsync.storage._models import (
    ClaimedItem,
    DeadLetter,
    Document,
    DocumentNotFound,
    DocumentVersion,
    LogEntry,
    LogRecord,
    QueueItem,
    QueueItemNotFound,
    QueueStats,
    StorageUnavailable,
    UnsupportedStorageUrl,
)
from regalsync.storage._open import migrate, open_storage
from regalsync.storage._storage import Storage
from regalsync.storage.clock import Clock, ManualClock, system_clock

__all__ = [
    "ClaimedItem",
    "Clock",
    "DeadLetter",
    "Document",
    "DocumentNotFound",
    "DocumentVersion",
    "LogEntry",
    "LogRecord",
    "ManualClock",
    "QueueItem",
    "QueueItemNotFound",
    "QueueStats",
    "Storage",
    "StorageUnavailable",
    "UnsupportedStorageUrl",
    "migrate",
    "open_storage",
    "system_clock",
]
