"""The storage every service uses, whichever database is behind it."""

from __future__ import annotations

from types import TracebackType

from regalsync.storage._budgets import BudgetStore
from regalsync.storage._coordination import CheckpointStore, LeaseStore
from regalsync.storage._documents import DocumentStore
from regalsync.storage._event_log import EventLogStore
from regalsync.storage._ledger import LedgerStore
from regalsync.storage._queues import QueueStore

__all__ = ["Storage"]


class Storage(
    QueueStore,
    LedgerStore,
    CheckpointStore,
    LeaseStore,
    BudgetStore,
    DocumentStore,
    EventLogStore,
):
    """Durable queues, idempotency, checkpoints, leases, budgets,
    documents and the event log, on SQLite or PostgreSQL.

    Every method is one transaction: when it returns, its change is
    durable; when it raises, nothing changed. Open it with
    `open_storage`.
    """

    @property
    def backend_name(self) -> str:
        """Name the database behind this storage: sqlite or postgresql."""
        return self._backend.dialect.name

    async def close(self) -> None:
        """Release the database connections."""
        await self._backend.close()

    async def __aenter__(self) -> Storage:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
