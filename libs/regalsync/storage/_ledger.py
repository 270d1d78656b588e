"""The idempotency ledger: keys a stage has already handled."""

from __future__ import annotations

# SQL here is assembled from constants and placeholder counts only;
# every value travels as a bound parameter.
# ruff: noqa: S608
from collections.abc import Sequence

from regalsync.storage._component import Component
from regalsync.storage._sql import Tx, chunked, placeholders

__all__ = ["LedgerStore"]


class LedgerStore(Component):
    """Remember idempotency keys per tenant and scope."""

    async def remember(
        self, tenant: str, scope: str, keys: Sequence[str]
    ) -> list[bool]:
        """Record keys; return, per key, whether this is its first time."""
        now = self._clock()

        async def work(tx: Tx) -> set[str]:
            fresh: set[str] = set()
            for chunk in chunked(keys):
                params: list[object] = []
                for key in chunk:
                    params += [tenant, scope, key, now]
                rows = await tx.fetch(
                    "INSERT INTO remembered_keys"
                    " (tenant, scope, key, remembered_at)"
                    f" VALUES {placeholders(len(chunk), 4)}"
                    " ON CONFLICT (tenant, scope, key) DO NOTHING"
                    " RETURNING key",
                    params,
                )
                fresh.update(row[0] for row in rows)
            return fresh

        fresh = await self._backend.run(work)
        result = []
        for key in keys:
            result.append(key in fresh)
            fresh.discard(key)

        return result

    async def seen(
        self, tenant: str, scope: str, keys: Sequence[str]
    ) -> list[bool]:
        """Return, per key, whether it has been remembered."""

        async def work(tx: Tx) -> set[str]:
            found: set[str] = set()
            for chunk in chunked(keys):
                rows = await tx.fetch(
                    "SELECT key FROM remembered_keys"
                    " WHERE tenant = ? AND scope = ?"
                    f" AND key IN ({placeholders(len(chunk))})",
                    (tenant, scope, *chunk),
                )
                found.update(row[0] for row in rows)
            return found

        found = await self._backend.run(work, write=False)

        return [key in found for key in keys]

    async def purge_remembered(self, older_than_seconds: float) -> int:
        """Forget keys remembered more than `older_than_seconds` ago."""
        cutoff = self._clock() - older_than_seconds

        async def work(tx: Tx) -> int:
            return await tx.execute(
                "DELETE FROM remembered_keys WHERE remembered_at < ?",
                (cutoff,),
            )

        return await self._backend.run(work)
