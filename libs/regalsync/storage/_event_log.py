"""The event log operators read: one row per event outcome."""

from __future__ import annotations

# SQL here is assembled from constants and placeholder counts only;
# every value travels as a bound parameter.
# ruff: noqa: S608
from collections.abc import Sequence

from regalsync.storage._component import Component
from regalsync.storage._models import LogEntry, LogRecord
from regalsync.storage._sql import Row, Tx, chunked, placeholders

__all__ = ["EventLogStore"]

_COLUMNS = "tenant, direction, event_type, idempotency_key, status, detail"


class EventLogStore(Component):
    """Append, query and age out event outcomes per tenant."""

    async def append_log(self, entries: Sequence[LogEntry]) -> None:
        """Record entries, stamped with the current time."""
        now = self._clock()

        async def work(tx: Tx) -> None:
            for chunk in chunked(entries):
                params: list[object] = []
                for e in chunk:
                    params += [
                        e.tenant, e.direction, e.event_type,
                        e.idempotency_key, e.status, e.detail, now,
                    ]
                await tx.execute(
                    f"INSERT INTO event_log ({_COLUMNS}, recorded_at)"
                    f" VALUES {placeholders(len(chunk), 7)}",
                    params,
                )

        await self._backend.run(work)

    async def query_log(
        self,
        tenant: str,
        *,
        status: str | None = None,
        direction: str | None = None,
        since: float | None = None,
        limit: int = 100,
    ) -> list[LogRecord]:
        """Return a tenant's entries, newest first, optionally filtered
        by status, direction and earliest time (epoch seconds)."""
        sql = f"SELECT id, {_COLUMNS}, recorded_at FROM event_log"
        sql += " WHERE tenant = ?"
        params: list[object] = [tenant]
        for column, value in (("status", status), ("direction", direction)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if since is not None:
            sql += " AND recorded_at >= ?"
            params.append(since)
        sql += " ORDER BY recorded_at DESC, id DESC LIMIT ?"
        params.append(limit)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(sql, params)

        rows = await self._backend.run(work, write=False)

        return [_record(row) for row in rows]

    async def purge_log(
        self, older_than_seconds: float, tenant: str | None = None
    ) -> int:
        """Delete entries older than `older_than_seconds`, of one tenant
        or of all; return how many."""
        sql = "DELETE FROM event_log WHERE recorded_at < ?"
        params: list[object] = [self._clock() - older_than_seconds]
        if tenant is not None:
            sql += " AND tenant = ?"
            params.append(tenant)

        async def work(tx: Tx) -> int:
            return await tx.execute(sql, params)

        return await self._backend.run(work)


def _record(row: Row) -> LogRecord:
    entry = LogEntry(
        tenant=row[1],
        direction=row[2],
        event_type=row[3],
        idempotency_key=row[4],
        status=row[5],
        detail=row[6],
    )

    return LogRecord(id=int(row[0]), entry=entry, recorded_at=float(row[7]))
