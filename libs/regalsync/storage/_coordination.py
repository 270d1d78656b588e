"""Checkpoints and leases: how replicas share progress and ownership."""

from __future__ import annotations

from regalsync.errors import InvalidInput
from regalsync.storage._component import Component
from regalsync.storage._sql import Row, Tx

__all__ = ["CheckpointStore", "LeaseStore"]

_UPSERT_CHECKPOINT = (
    "INSERT INTO checkpoints (tenant, name, value, updated_at)"
    " VALUES (?, ?, ?, ?) ON CONFLICT (tenant, name) DO UPDATE"
    " SET value = excluded.value, updated_at = excluded.updated_at"
)

# Take the lease when it is free, expired, or already ours.
_ACQUIRE = (
    "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
    " ON CONFLICT (name) DO UPDATE"
    " SET holder = excluded.holder, expires_at = excluded.expires_at"
    " WHERE leases.holder = excluded.holder OR leases.expires_at <= ?"
    " RETURNING holder"
)

# A prefix compared character for character: LIKE would read `%` and `_`
# as wildcards (and ignores case in SQLite), and a range comparison would
# follow PostgreSQL's collation, which need not order names by bytes.
_COUNT_LIVE_WITH_PREFIX = (
    "SELECT count(*) FROM leases"
    " WHERE substr(name, 1, length(?)) = ? AND expires_at > ?"
)


class CheckpointStore(Component):
    """Keep small named values per tenant, such as a replay id."""

    async def get_checkpoint(self, tenant: str, name: str) -> bytes | None:
        """Return the checkpoint's value, or None if never set."""

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "SELECT value FROM checkpoints WHERE tenant = ? AND name = ?",
                (tenant, name),
            )

        rows = await self._backend.run(work, write=False, one_statement=True)

        return bytes(rows[0][0]) if rows else None

    async def set_checkpoint(
        self, tenant: str, name: str, value: bytes
    ) -> None:
        """Store the checkpoint's value, replacing any earlier one."""
        params = (tenant, name, value, self._clock())

        async def work(tx: Tx) -> int:
            return await tx.execute(_UPSERT_CHECKPOINT, params)

        await self._backend.run(work, one_statement=True)

    async def compare_and_set_checkpoint(
        self, tenant: str, name: str, expected: bytes | None, value: bytes
    ) -> bool:
        """Store `value` only if the checkpoint still holds `expected`
        (None: is unset); return whether it was stored."""
        now = self._clock()

        async def work(tx: Tx) -> int:
            if expected is None:
                return await tx.execute(
                    "INSERT INTO checkpoints (tenant, name, value, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (tenant, name) DO NOTHING",
                    (tenant, name, value, now),
                )
            return await tx.execute(
                "UPDATE checkpoints SET value = ?, updated_at = ?"
                " WHERE tenant = ? AND name = ? AND value = ?",
                (value, now, tenant, name, expected),
            )

        return await self._backend.run(work, one_statement=True) == 1

    async def take_checkpoint(self, tenant: str, name: str) -> bytes | None:
        """Remove the checkpoint and return its value (None if unset).

        One caller wins: a value taken here is gone for every other
        caller, which makes a checkpoint a single-use ticket.
        """

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "DELETE FROM checkpoints WHERE tenant = ? AND name = ?"
                " RETURNING value",
                (tenant, name),
            )

        rows = await self._backend.run(work, one_statement=True)

        return bytes(rows[0][0]) if rows else None


class LeaseStore(Component):
    """Grant named, expiring ownership to one holder at a time."""

    async def acquire_lease(
        self, name: str, holder: str, ttl_seconds: float
    ) -> bool:
        """Take or extend the lease for `ttl_seconds`; return False while
        another holder's lease is live."""
        if ttl_seconds <= 0:
            raise InvalidInput("ttl_seconds must be positive")
        now = self._clock()
        params = (name, holder, now + ttl_seconds, now)

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(_ACQUIRE, params)

        return bool(await self._backend.run(work, one_statement=True))

    async def renew_lease(
        self, name: str, holder: str, ttl_seconds: float
    ) -> bool:
        """Extend a lease `holder` still has; return False if it lost it."""
        if ttl_seconds <= 0:
            raise InvalidInput("ttl_seconds must be positive")
        params = (self._clock() + ttl_seconds, name, holder)

        async def work(tx: Tx) -> int:
            return await tx.execute(
                "UPDATE leases SET expires_at = ?"
                " WHERE name = ? AND holder = ?",
                params,
            )

        return await self._backend.run(work, one_statement=True) == 1

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give up a lease so another holder can take it at once."""

        async def work(tx: Tx) -> int:
            return await tx.execute(
                "DELETE FROM leases WHERE name = ? AND holder = ?",
                (name, holder),
            )

        return await self._backend.run(work, one_statement=True) == 1

    async def lease_holder(self, name: str) -> str | None:
        """Return who holds a live lease on `name`, if anyone."""
        now = self._clock()

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(
                "SELECT holder FROM leases WHERE name = ? AND expires_at > ?",
                (name, now),
            )

        rows = await self._backend.run(work, write=False, one_statement=True)

        return str(rows[0][0]) if rows else None

    async def count_live_leases(self, prefix: str) -> int:
        """Return how many live leases have a name starting with `prefix`,
        such as the members of a group that each hold one."""
        params = (prefix, prefix, self._clock())

        async def work(tx: Tx) -> list[Row]:
            return await tx.fetch(_COUNT_LIVE_WITH_PREFIX, params)

        rows = await self._backend.run(work, write=False, one_statement=True)

        return int(rows[0][0])
